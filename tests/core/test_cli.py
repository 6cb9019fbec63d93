"""`radval draft` and `radval model-info` as a user runs them: a real process, real model."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from gguf_builder import write_gguf

pytestmark = pytest.mark.slow

ZH = "胸廓对称，纵隔心影居中。双肺纹理清晰，右肺上叶胸膜下可见片状磨玻璃影。双侧胸腔内未见积液。"


def run(args: list[str], stdin: bytes | str = b"", env: dict[str, str] | None = None
        ) -> subprocess.CompletedProcess[str]:
    data = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
    proc = subprocess.run(
        [sys.executable, "-m", "radval_desktop", *args], input=data, capture_output=True,
        env={**os.environ, **(env or {})}, timeout=120, check=False,
    )
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def test_draft_prints_a_chinese_impression(default_model_path: Path) -> None:
    proc = run(["draft", "--system", "chest", "--modality", "CT"], ZH)
    assert proc.returncode == 0, proc.stderr
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in proc.stdout) > 5
    assert "Traceback" not in proc.stderr


def test_draft_from_file_suggests_system(default_model_path: Path, tmp_path: Path) -> None:
    findings = tmp_path / "f.txt"
    findings.write_text("Small left pleural effusion. Lungs otherwise clear. Heart normal.")
    proc = run(["draft", str(findings)])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


def test_gbk_findings_file_is_read(default_model_path: Path, tmp_path: Path) -> None:
    findings = tmp_path / "gbk.txt"
    findings.write_bytes(ZH.encode("gbk"))
    proc = run(["draft", str(findings), "--system", "chest", "--modality", "CT"])
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"", "The findings are empty"),
        (b"   \n\t", "The findings are empty"),
        (os.urandom(4096), "not text"),
        (("Lung nodule. " * 420_000).encode(), "characters long; at most 20,000"),
        ("右肺上叶见结节，".encode() * 1500, "too long for this model"),
    ],
    ids=["empty", "whitespace", "binary", "5MB", "over-context"],
)
def test_bad_findings_give_one_sentence_and_exit_1(default_model_path: Path, stdin: bytes,
                                                   message: str) -> None:
    proc = run(["draft", "--system", "chest", "--modality", "CT"], stdin)
    assert proc.returncode == 1
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""


def test_bad_model_files_give_one_sentence(tmp_path: Path) -> None:
    truncated = write_gguf(tmp_path / "cut.gguf", {"general.architecture": "llama"},
                           [("a", [256, 256])])
    truncated.write_bytes(truncated.read_bytes()[:5000])
    text = tmp_path / "notes.gguf"
    text.write_text("hello " * 20)
    cases = [(tmp_path / "absent.gguf", "does not exist"), (truncated, "truncated"),
             (text, "not a GGUF model")]
    for path, message in cases:
        proc = run(["draft", "--model", str(path), "--system", "chest"], "Lungs clear.")
        assert proc.returncode == 1, proc.stderr
        assert message in proc.stderr
        assert "Traceback" not in proc.stderr


def test_it_pinned_sha256_refuses_the_model(default_model_path: Path, radval_home: Path) -> None:
    system = radval_home / "system-config.toml"
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text(f"[model]\npath = '{default_model_path}'\nsha256 = '{'0' * 64}'\n")
    proc = run(["model-info"])
    assert proc.returncode == 1
    assert "not the approved one" in proc.stderr


def test_model_info(default_model_path: Path) -> None:
    proc = run(["model-info"])
    assert proc.returncode == 0, proc.stderr
    for expected in ("qwen2", "Q4_K_M", "4,096 tokens", "yes (from the GGUF)", "CPU:",
                     "embedded default model", "1d9614638d18"):
        assert expected in proc.stdout
