"""Nothing leaves the machine: drafting, batch, report and scoring make no network attempt."""

from __future__ import annotations

import json
import os
import socket
import subprocess
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


# Run in a fresh interpreter: this test session has long since imported what it imported.
_IMPORT_EVERYTHING = """
import importlib, json, pkgutil, sys
import radval_desktop
names = sorted(m.name for m in pkgutil.walk_packages(radval_desktop.__path__, "radval_desktop.")
               if not m.name.endswith("__main__"))  # __main__ would start the app
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": len(names), "loaded": sorted(sys.modules)}))
"""

_HUB_WITHOUT_ENDPOINT = """
import json, os, sys
from pathlib import Path
from radval_desktop.config import load_settings
from radval_desktop.engine.hub_mirror import cached_gguf_files
settings = load_settings()
cached_gguf_files(Path(sys.argv[1]), settings.hub().downloads_enabled)  # imports the library
import huggingface_hub.constants as constants
print(json.dumps({"env": os.environ.get("HF_HUB_OFFLINE"), "offline": constants.HF_HUB_OFFLINE}))
"""


def _python(code: str, *args: str) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=300, check=False, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
def test_no_radval_module_loads_a_network_client_when_imported() -> None:
    # huggingface_hub is imported inside engine/hub_mirror.py's functions only, when a model
    # is looked up in IT's hub cache or downloaded from IT's mirror: never at start-up.
    result = _python(_IMPORT_EVERYTHING)
    assert isinstance(result["modules"], int)
    assert result["modules"] > 40  # the walk really went through the package
    loaded = result["loaded"]
    assert isinstance(loaded, list)
    assert "radval_desktop.engine.hub_mirror" in loaded
    assert [m for m in loaded if m.split(".")[0] in NETWORK_CLIENTS] == []


def _write_toml(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_an_endpoint_in_the_users_own_settings_enables_no_download(
        radval_home: Path, tmp_path: Path, network_attempts: list[tuple[str, str]]) -> None:
    from radval_desktop import paths
    from radval_desktop.config import load_settings
    from radval_desktop.engine.hub_mirror import download_model
    from radval_desktop.errors import ConfigError

    _write_toml(paths.user_config_file(), '[hub]\nendpoint = "http://mirror.example.org"\n')
    hub = load_settings().hub()
    assert not hub.downloads_enabled  # only IT's system file may name a mirror
    with pytest.raises(ConfigError, match="never uses the network"):
        download_model(hub, "org/model", "model.gguf", tmp_path, [])
    assert network_attempts == []


@pytest.mark.slow
def test_without_an_it_endpoint_the_hub_library_loads_offline(radval_home: Path,
                                                              tmp_path: Path) -> None:
    cache = tmp_path / "hub-cache"
    cache.mkdir()
    result = _python(_HUB_WITHOUT_ENDPOINT, str(cache))
    assert result == {"env": "1", "offline": True}


@pytest.mark.slow
def test_with_an_it_endpoint_the_hub_library_may_go_online(radval_home: Path,
                                                           tmp_path: Path) -> None:
    # The other side of the promise: IT's system file is what turns downloads on.
    _write_toml(Path(os.environ["RADVAL_SYSTEM_CONFIG"]),
                '[hub]\nendpoint = "http://mirror.hospital.example"\n')
    cache = tmp_path / "hub-cache"
    cache.mkdir()
    result = _python(_HUB_WITHOUT_ENDPOINT, str(cache))
    assert result == {"env": None, "offline": False}


def test_batch_server_without_its_list_is_refused_before_any_connection(
        radval_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        network_attempts: list[tuple[str, str]]) -> None:
    # Issue 18: a listening server the user's own settings name must see no connection.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.3)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        from radval_desktop import paths

        _write_toml(paths.user_config_file(), f'[batch]\nservers = {{gpu = "{url}"}}\n')
        cases = tmp_path / "cases.jsonl"
        cases.write_text(json.dumps({"findings": "Small right pleural effusion.",
                                     "impression": "Effusion.", "body_system": "chest",
                                     "modality": "CT"}) + "\n")
        db = tmp_path / "out.db"
        assert main(["batch", str(cases), "--db", str(db), "--server", "gpu"]) == 2
        refused = capsys.readouterr().err
        assert ("--server gpu is refused: IT lists no server ([batch] servers in IT's settings "
                "file), and only a server IT lists may receive findings. Nothing was sent."
                in refused)
        # IT lists another server: this one is still refused.
        _write_toml(Path(os.environ["RADVAL_SYSTEM_CONFIG"]),
                    '[batch]\nservers = {gpu2 = "http://10.0.0.5:8000"}\n')
        assert main(["batch", str(cases), "--db", str(db), "--server", "gpu"]) == 2
        assert "--server gpu is refused: IT lists gpu2" in capsys.readouterr().err
        with pytest.raises(TimeoutError):
            listener.accept()
    assert network_attempts == []
    assert not db.exists()  # refused before anything was written
