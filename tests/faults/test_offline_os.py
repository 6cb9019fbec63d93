"""Nothing leaves the machine, proved below Python: each path in a fresh interpreter, in a
network namespace with no route out, with every socket call of the whole process tree
(native code and child processes included) traced by strace.

tests/faults/test_no_network.py proves the same with an audit hook inside one test process;
that cannot see llama.cpp's or Qt's own calls, and a network client imported by an earlier
test hides a new import (issue 17). Here each path starts from nothing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("offline_child.py")
FINDINGS_EN = "Small right pleural effusion. No pneumothorax."
FINDINGS_ZH = "双肺纹理清晰，右肺上叶见结节，直径约6mm。双侧胸腔未见积液。"
# A socket call to anything but a local (AF_UNIX) or kernel (AF_NETLINK) endpoint.
_INET_CALL = re.compile(r"\b(connect|sendto|sendmsg|sendmmsg)\(\d+, .*sa_family=AF_INET6?\b")


def _namespace() -> list[str] | None:
    """How to start a process with no network: a new, empty network namespace."""
    if shutil.which("unshare") is None:
        return None
    for command in (["unshare", "-n"], ["unshare", "-rn"]):  # root; an ordinary user
        if subprocess.run([*command, "true"], capture_output=True).returncode == 0:
            return command
    return None


@pytest.fixture(scope="module")
def offline() -> list[str]:
    namespace = _namespace()
    if shutil.which("strace") is None or namespace is None:
        pytest.skip("needs strace and unshare (./radval.sh test installs strace as root)")
    return namespace


def _run_offline(namespace: list[str], tmp_path: Path, name: str, mode: str,
                 *args: str) -> tuple[dict[str, object], list[str]]:
    trace, out = tmp_path / f"{name}.strace", tmp_path / f"{name}.json"
    env = {**os.environ, "RADVAL_HOME": str(tmp_path / f"{name}-home"),
           "QT_QPA_PLATFORM": "offscreen"}
    command = ["strace", "-f", "-qq", "-e", "trace=connect,sendto,sendmsg,sendmmsg",
               "-o", str(trace), *namespace, sys.executable, str(CHILD), str(out), mode,
               *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    calls = [line for line in trace.read_text().splitlines() if _INET_CALL.search(line)]
    return json.loads(out.read_text(encoding="utf-8")), calls


def test_the_trace_sees_a_native_connect(offline: list[str], tmp_path: Path) -> None:
    # The proof below is only as good as this: a connect from a child process, in C.
    trace = tmp_path / "probe.strace"
    subprocess.run(["strace", "-f", "-qq", "-e", "trace=connect", "-o", str(trace),
                    *offline, "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9 || true"],
                   capture_output=True, timeout=60)
    assert any(_INET_CALL.search(line) for line in trace.read_text().splitlines())


def test_draft_batch_report_and_self_test_run_offline_with_no_socket_call(
        offline: list[str], tmp_path: Path, default_model_path: Path) -> None:
    findings = tmp_path / "findings.txt"
    findings.write_text(FINDINGS_ZH, encoding="utf-8")
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps({"findings": f, "impression": i, "body_system": "chest",
                                         "modality": "CT"}, ensure_ascii=False) + "\n"
                             for f, i in ((FINDINGS_EN, "Right pleural effusion."),
                                          (FINDINGS_ZH, "右肺上叶小结节"))), encoding="utf-8")
    db = tmp_path / "batch.db"
    paths = {
        "draft": ["draft", str(findings), "--system", "chest", "--modality", "CT"],
        "batch": ["batch", str(cases), "--db", str(db)],
        "report": ["report", "--db", str(db), "--out", str(tmp_path / "report")],
        "self-test": ["--self-test"],
    }
    for name, args in paths.items():
        result, calls = _run_offline(offline, tmp_path, name, "cli", *args)
        assert result["code"] in (0, 3), (name, result)  # 3: every draft refused, said so
        assert calls == [], (name, calls)
        assert result["network_modules"] == [], (name, result["network_modules"])
    assert (tmp_path / "report" / "report.html").is_file()


def test_the_window_drafts_offline_with_no_socket_call(
        offline: list[str], tmp_path: Path, default_model_path: Path) -> None:
    result, calls = _run_offline(offline, tmp_path, "window", "window", FINDINGS_EN)
    assert result["code"] == 0, result
    assert result["text"]  # the model really wrote, in the real window, with no network
    assert calls == []
    assert result["network_modules"] == []
