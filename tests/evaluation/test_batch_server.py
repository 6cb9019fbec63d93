"""`radval batch --server`: a real OpenAI-compatible server on 127.0.0.1, and misbehaving ones.

The real one is llama-cpp-python's own server (`python -m llama_cpp.server`, started through
radval_desktop.engine.serve for its guard against llama.cpp's AMX crash) with the default
model; the misbehaving ones are a small http.server that errs on purpose.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlite_utils

from radval_desktop import paths
from radval_desktop.cli.main import EXIT_ERROR, main
from radval_desktop.engine.sampling import Sampling
from radval_desktop.engine.served import RetryPolicy, Server, ServerError
from radval_desktop.evaluation.batch import run_server
from radval_desktop.store.database import open_database
from radval_desktop.store.evaluation_runs import NewCase, save_cases

REPO = Path(__file__).resolve().parents[2]
# Short drafts: the test is about the way, not the quality (2 shared cores).
MAX_TOKENS = 40

CASES = [
    ("1", "chest", "CT", "Blunting of the right costophrenic angle with a meniscus.",
     "Right pleural effusion."),
    ("1", "head", "MRI", "Restricted diffusion in the left basal ganglia.", "Acute infarct."),
    ("2", "chest", "CT", "双肺纹理清晰，右肺上叶见磨玻璃影。", "右肺上叶炎症"),
    ("2", "chest", "XR", "Heart size normal. Lungs are clear.", "No acute disease."),
    ("1", "abdomen", "CT", "The appendix is dilated to 12 mm with periappendiceal fat "
     "stranding.", "Acute appendicitis."),
    ("2", "head", "CT", "右侧基底节区见低密度灶。", "右侧基底节区腔隙性梗死"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _case_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    rows = [{"institution": i, "body_system": s, "modality": m, "findings": f, "impression": r}
            for i, s, m, f, r in CASES]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


def _settings(home: Path, servers: dict[str, str]) -> None:
    system = Path(os.environ["RADVAL_SYSTEM_CONFIG"])
    system.parent.mkdir(parents=True, exist_ok=True)
    table = ", ".join(f'{name} = "{url}"' for name, url in servers.items())
    system.write_text(f"[batch]\nservers = {{{table}}}\n", encoding="utf-8")
    user = paths.user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    # The server computes from the GGUF as it is; so does the in-process run it is compared
    # with (not from the BF16 copy a BF16-capable CPU would otherwise read: other float sums).
    user.write_text(f"[model]\nbf16_copy = false\n[sampling]\nmax_tokens = {MAX_TOKENS}\n",
                    encoding="utf-8")


def _radval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "radval_desktop", *args], capture_output=True,
                          text=True, timeout=300, check=False, env=os.environ.copy())


@pytest.fixture(scope="module")
def llama_server(default_model_path: Path) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server, set up as the engine drafts in process
    (context 4096, flash attention), on 127.0.0.1."""
    port = _free_port()
    proc = subprocess.Popen(
        # llama_cpp.server, behind the engine's guard against llama.cpp's AMX crash.
        [sys.executable, "-m", "radval_desktop.engine.serve", "--model",
         str(default_model_path), "--model_alias", "qwen-served", "--host", "127.0.0.1",
         "--port", str(port),
         "--n_ctx", "4096", "--flash_attn", "true", "--n_threads", "1",
         # Its default cuts a streaming answer short when the next request comes in.
         "--interrupt_requests", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            assert proc.poll() is None, "llama_cpp.server exited at start"
            time.sleep(0.2)
    try:
        yield url
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def _rows(db: Path) -> dict[str, tuple[object, ...]]:
    sql = ("SELECT k.findings, c.uuid, c.created_at, c.text, c.raw_text, c.attempts, c.ok "
           "FROM candidates c JOIN cases k ON k.uuid = c.case_uuid")
    return {row[0]: row[1:] for row in sqlite_utils.Database(db).execute(sql).fetchall()}


@pytest.mark.slow
def test_server_batch_killed_halfway_resumes_and_equals_the_in_process_drafts(
        radval_home: Path, tmp_path: Path, llama_server: str) -> None:
    _settings(radval_home, {"local": llama_server})
    cases = _case_file(tmp_path)
    served_db = tmp_path / "served.db"
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "radval_desktop", "batch", str(cases),
                             "--db", str(served_db), "--server", "local", "--requests", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ.copy())
    done = 0
    while time.monotonic() - started < 180 and proc.poll() is None:
        if served_db.exists():
            try:
                done = sqlite_utils.Database(served_db)["candidates"].count
            except Exception:  # noqa: BLE001 - not created yet or locked: poll again
                done = 0
            if done >= 2:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 2 <= done < len(CASES), "the batch should be killed halfway"
    before = _rows(served_db)
    resumed = _radval("batch", str(cases), "--db", str(served_db), "--server", "local",
                      "--requests", "2", "--progress", "json")
    assert resumed.returncode == 0, resumed.stderr
    events = [json.loads(line) for line in resumed.stdout.splitlines()]
    after = _rows(served_db)
    # No case lost or doubled; what was saved before the kill is untouched.
    assert len(after) == len(CASES)
    db = sqlite_utils.Database(served_db)
    assert db["candidates"].count == len(CASES)
    assert {k: after[k] for k in before} == before
    summary = events[-1]
    assert summary["event"] == "model_done"
    assert summary["model"] == "qwen-served"
    assert summary["generated"] + summary["skipped"] == len(CASES)
    assert summary["skipped"] >= len(before)  # a row saved just as it was killed counts too
    progress = [e for e in events if e["event"] == "progress"]
    assert progress[-1]["done"] == progress[-1]["total"] == len(CASES)
    assert progress[-1]["cases_per_s"] > 0
    assert progress[-1]["models"]["qwen-served"]["generated"] == summary["generated"]
    model = db.execute("SELECT name, file_name, quantization FROM models").fetchone()
    assert model == ("qwen-served", "local: qwen-served", "served")
    # The same cases in process, greedy: the same drafts, attempt for attempt.
    local_db = tmp_path / "local.db"
    local = _radval("batch", str(cases), "--db", str(local_db))
    assert local.returncode == 0, local.stderr
    in_process = _rows(local_db)
    assert set(in_process) == set(after)
    differing = [f for f in after if after[f][2:] != in_process[f][2:]]
    assert differing == []
    print(f"served batch with a kill, resume and the in-process run: "
          f"{time.monotonic() - started:.1f} s")


class _Misbehaving(BaseHTTPRequestHandler):
    """Answers the fingerprint probe well; every case prompt per the server's ``mode``."""

    server: _MisbehavingServer

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._send(200, json.dumps({"data": [{"id": "m1"}]}).encode())

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        probe = body["prompt"].startswith("Findings: Small right pleural effusion.")
        mode = "ok" if probe else self.server.mode
        if not probe:
            self.server.case_requests += 1
        if mode == "500":
            self._send(500, b'{"error": "out of memory"}')
            return
        if mode == "slow":
            time.sleep(1.5)  # past the client's 0.5 s
        if mode == "drop":
            self.close_connection = True
            return  # no status line at all
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        model = "other-model" if mode == "other" else body.get("model")
        pieces = ["Right", " pleural", " effusion", "."]
        for number, piece in enumerate(pieces):
            if mode == "cut" and number == 2:
                self.close_connection = True
                return
            last = number == 3 and mode != "unfinished"  # that one ends on [DONE] alone
            chunk = {"model": model, "choices": [
                {"text": piece, "finish_reason": "stop" if last else None}]}
            self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


class _MisbehavingServer(ThreadingHTTPServer):
    daemon_threads = True
    mode = "ok"
    case_requests = 0


@pytest.fixture
def misbehaving() -> Iterator[_MisbehavingServer]:
    server = _MisbehavingServer(("127.0.0.1", 0), _Misbehaving)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


_REASONS = {
    "500": "answered HTTP 500",
    "unfinished": "cut the answer off after 4 pieces",
    "cut": "cut the answer off after 2 pieces",
    "other": "answered as the model other-model, not m1",
    "slow": "did not answer in time",
    "drop": "could not be reached",
}


@pytest.mark.slow
@pytest.mark.parametrize("mode", sorted(_REASONS))
def test_a_failing_server_is_retried_within_bounds_then_each_case_left_with_its_reason(
        default_model_path: Path, tmp_path: Path, misbehaving: _MisbehavingServer,
        mode: str) -> None:
    db = open_database(tmp_path / "study.db")
    cases = [NewCase(i, s, m, "", f, r) for i, s, m, f, r in CASES[:2]]
    ids = save_cases(db, cases)
    server = Server("flaky", f"http://127.0.0.1:{misbehaving.server_address[1]}", timeout=0.5)
    policy = RetryPolicy(tries=3, first_wait=0.01, max_wait=0.05)
    misbehaving.mode = mode
    first = run_server(db, server, default_model_path, cases, ids, requests=2, policy=policy,
                       sampling=Sampling(max_tokens=8))
    assert (first.generated, first.left) == (0, 2)
    assert misbehaving.case_requests == 2 * 3  # each case tried 3 times, no more
    assert db["candidates"].count == 0  # nothing half-saved
    problems = list(db["batch_problems"].rows)
    assert sorted(p["case_uuid"] for p in problems) == sorted(ids)
    assert all(_REASONS[mode] in p["reason"] and p["tries"] == 3 for p in problems)
    assert all(_REASONS[mode] in p for p in first.problems)
    # The next run, the server well again: each case drafted once, its reason gone.
    misbehaving.mode = "ok"
    second = run_server(db, server, default_model_path, cases, ids, requests=2, policy=policy,
                        sampling=Sampling(max_tokens=8))
    assert (second.generated, second.skipped, second.left) == (2, 0, 0)
    assert db["candidates"].count == 2
    assert db["batch_problems"].count == 0
    assert {r["model_name"] for r in db["candidates"].rows} == {"m1"}


def test_a_server_that_is_down_is_refused_after_its_tries_with_a_sentence(
        default_model_path: Path, tmp_path: Path) -> None:
    db = open_database(tmp_path / "study.db")
    cases = [NewCase(*CASES[0][:3], "en", *CASES[0][3:])]
    ids = save_cases(db, cases)
    server = Server("gpu1", f"http://127.0.0.1:{_free_port()}", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ServerError, match=r"the server gpu1 \(http://127\.0\.0\.1:\d+\) could "
                       "not be reached") as err:
        run_server(db, server, default_model_path, cases, ids,
                   policy=RetryPolicy(tries=3, first_wait=0.05, max_wait=0.1))
    assert err.value.tries == 3
    assert time.monotonic() - started < 20
    assert db["candidates"].count == 0


def test_parallel_with_a_server_is_refused_with_a_sentence_and_nothing_sent(
        radval_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # --parallel decodes in this process; the server's own K is --requests.
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        listening.setblocking(False)
        _settings(radval_home, {"local": f"http://127.0.0.1:{listening.getsockname()[1]}"})
        db = tmp_path / "study.db"
        code = main(["batch", str(_case_file(tmp_path)), "--db", str(db), "--server", "local",
                     "--parallel", "4"])
        with pytest.raises(BlockingIOError):
            listening.accept()  # nobody knocked
    assert code == EXIT_ERROR
    err = capsys.readouterr().err
    assert err == ("radval: --parallel decodes cases together in this process and --server "
                   "drafts on the server local, so the two do not go together. Use --requests "
                   "4 to have the server draft 4 cases at once. Nothing was sent.\n")
    assert not db.exists()
