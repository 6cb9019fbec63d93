"""Nothing leaves the machine: drafting, batch, report and scoring make no network attempt."""

from __future__ import annotations

import json
import socket
import sys
import urllib.request
from pathlib import Path

import pytest
from reader_study_data import build_scored_study, build_study

from radval_desktop.cli import main
from radval_desktop.drafting import DraftRequest, draft
from radval_desktop.engine.sampling import Sampling
from radval_desktop.evaluation.batch import run_model
from radval_desktop.store.database import open_database
from radval_desktop.store.evaluation_runs import NewCase, save_cases
from radval_desktop.store.reader_study import (
    Answer,
    load_answers,
    open_study,
    save_answer,
    save_rater,
)

# Client libraries that would mean an upload or a download path is wired in.
NETWORK_CLIENTS = ("huggingface_hub", "requests", "httpx", "urllib3", "aiohttp")
SHORT = Sampling(max_tokens=16)  # a few tokens prove the path; the draft's quality is elsewhere


def _new_network_clients(before: set[str]) -> list[str]:
    return sorted(m for m in set(sys.modules) - before if m.split(".")[0] in NETWORK_CLIENTS)


def test_guard_catches_tcp_dns_and_http(network_attempts: list[tuple[str, str]]) -> None:
    # The promise below is only as good as this guard: it must see each kind of attempt.
    with pytest.raises(ConnectionRefusedError, match="promises none"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    with pytest.raises(ConnectionRefusedError, match="promises none"):
        socket.getaddrinfo("example.org", 443)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as raw, \
            pytest.raises(ConnectionRefusedError, match="promises none"):
        raw.connect(("127.0.0.1", 9))  # an address given as numbers needs no lookup
    with pytest.raises(ConnectionRefusedError, match="promises none"):
        urllib.request.urlopen("http://example.org/", timeout=1)
    events = [event for event, _ in network_attempts]
    assert "socket.getaddrinfo" in events
    assert "urllib.Request" in events
    assert "socket.connect" in events


def test_guard_allows_unix_sockets(network_attempts: list[tuple[str, str]]) -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        left.sendall(b"ok")
        assert right.recv(2) == b"ok"
    assert network_attempts == []


@pytest.mark.slow
def test_drafting_makes_no_network_attempt(engine, network_attempts: list[tuple[str, str]]
                                           ) -> None:
    before = set(sys.modules)
    result = draft(engine, DraftRequest("Small right pleural effusion.", "chest", "CT"), SHORT)
    assert result.attempts  # the model really ran
    assert network_attempts == []
    assert _new_network_clients(before) == []


@pytest.mark.slow
def test_batch_makes_no_network_attempt(default_model_path: Path, tmp_path: Path,
                                        network_attempts: list[tuple[str, str]]) -> None:
    before = set(sys.modules)
    db = open_database(tmp_path / "batch.db")
    cases = [NewCase("1", "chest", "CT", "en", "Small right pleural effusion.",
                     "Right pleural effusion.", source_id="a"),
             NewCase("1", "head", "MRI", "en", "Small acute infarct in the left basal ganglia.",
                     "Acute infarct.", source_id="b")]
    ids = save_cases(db, cases)
    summary = run_model(db, default_model_path, cases, ids, sampling=SHORT)
    assert summary.generated + summary.failed == 2
    assert db["candidates"].count == 2
    assert network_attempts == []
    assert _new_network_clients(before) == []


def test_report_makes_no_network_attempt(tmp_path: Path,
                                         network_attempts: list[tuple[str, str]]) -> None:
    db = tmp_path / "study.db"
    build_scored_study(db)
    out = tmp_path / "report"
    before = set(sys.modules)
    assert main(["report", "--study", str(db), "--out", str(out)]) == 0
    assert (out / "report.html").is_file()
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")
    # The HTML is self-contained: opening it fetches nothing either.
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert 'src="https://' not in html
    assert 'href="https://' not in html
    assert network_attempts == []
    assert _new_network_clients(before) == []


def test_scoring_makes_no_network_attempt(tmp_path: Path,
                                          network_attempts: list[tuple[str, str]]) -> None:
    before = set(sys.modules)
    study = build_study(tmp_path / "study.db")
    db = open_study(tmp_path / "study.db")
    rater = save_rater(db, "Dr Test", "senior")
    candidate = db.execute("SELECT uuid FROM candidates").fetchone()[0]
    save_answer(db, study.uuid, rater.uuid, candidate, Answer("overall", 70,
                quotes=("effusion",), explanation=json.dumps("fine")))
    assert load_answers(db, study.uuid, rater.uuid)[(candidate, "overall")].score == 70
    db.close()
    assert network_attempts == []
    assert _new_network_clients(before) == []
