"""IT's settings hold against the command line (issue 17): a broken IT file refuses, a locked
key refuses a different command-line value with exit 2. None of these loads a model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radval_desktop.cli import main

CASE = {"findings": "Lungs clear. No effusion.", "impression": "Normal chest.",
        "body_system": "chest", "modality": "CT"}


def _system(home: Path, text: str) -> Path:
    # conftest points RADVAL_SYSTEM_CONFIG at this file.
    path = home / "system-config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _cases(tmp_path: Path) -> str:
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps(CASE) + "\n", encoding="utf-8")
    return str(path)


def test_batch_with_a_broken_it_file_refuses_even_with_model(
        tmp_path: Path, radval_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _system(radval_home, "[model\nallowed_sha256 = []\n")
    code = main(["batch", _cases(tmp_path), "--db", str(tmp_path / "out.db"),
                 "--model", str(tmp_path / "mine.gguf")])
    err = capsys.readouterr().err
    assert code == 1
    assert "is not valid TOML" in err
    assert "no model is loaded" in err


def test_draft_with_a_broken_it_file_refuses(
        tmp_path: Path, radval_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _system(radval_home, "[model]\npath = \"C:\\models\\a.gguf\"\n")
    findings = tmp_path / "f.txt"
    findings.write_text("Lungs clear.", encoding="utf-8")
    code = main(["draft", str(findings), "--system", "chest", "--model",
                 str(tmp_path / "mine.gguf")])
    err = capsys.readouterr().err
    assert code == 1
    assert "single quotes" in err


# --- a locked key beats the command-line option (issue 17, item 5) ---------------------------
# The choice: refuse with exit 2 and say which setting IT fixed, rather than quietly run with
# IT's value: a batch asked to compare two models must not print figures for another one.


def _lock(home: Path, tmp_path: Path, extra: str = "") -> Path:
    # The locked model does not exist: a test that got past the lock stops at loading it.
    return _system(home, f"[model]\npath = '{tmp_path / 'approved.gguf'}'\n{extra}")


@pytest.mark.parametrize(
    ("extra", "args", "key"),
    [
        ("", ["--model", "mine.gguf"], "model.path"),
        ("[drafting]\ntemplate = 'zh_structured'\n", ["--template", "en_free"],
         "drafting.template"),
        ("[drafting]\nexamples = 0\n", ["--examples", "3"], "drafting.examples"),
    ],
    ids=["model", "template", "examples"],
)
@pytest.mark.parametrize("command", ["batch", "draft"])
def test_option_against_a_locked_key_is_refused_with_exit_2(
        tmp_path: Path, radval_home: Path, capsys: pytest.CaptureFixture[str], command: str,
        extra: str, args: list[str], key: str) -> None:
    system = _lock(radval_home, tmp_path, extra)
    if command == "batch":
        argv = ["batch", _cases(tmp_path), "--db", str(tmp_path / "out.db"), *args]
    else:
        findings = tmp_path / "f.txt"
        findings.write_text("Lungs clear.", encoding="utf-8")
        argv = ["draft", str(findings), "--system", "chest", *args]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert f"IT set {key}" in err
    assert str(system) in err
    assert args[0] in err


def test_model_info_model_against_the_locked_model_is_refused(
        tmp_path: Path, radval_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _lock(radval_home, tmp_path)
    assert main(["model-info", "--model", str(tmp_path / "mine.gguf")]) == 2
    assert "IT set model.path" in capsys.readouterr().err


def test_option_equal_to_the_locked_value_is_accepted(
        tmp_path: Path, radval_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _lock(radval_home, tmp_path, "[drafting]\nexamples = 0\n")
    code = main(["model-info", "--model", str(tmp_path / "approved.gguf")])
    assert code == 1  # past the lock, stopped at the missing model file
    assert "does not exist" in capsys.readouterr().err


def test_batch_uses_it_s_locked_template_and_examples_by_default(
        tmp_path: Path, radval_home: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from radval_desktop.evaluation import batch

    _lock(radval_home, tmp_path, "[drafting]\ntemplate = 'zh_structured'\nexamples = 2\n")
    user = radval_home / "config" / "config.toml"
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text("[drafting]\ntemplate = 'en_free'\n", encoding="utf-8")
    calls: list[dict[str, object]] = []

    def fake_run_model(db, model, cases, ids, **kwargs):  # noqa: ANN001, ANN202
        calls.append({"model": model, **kwargs})
        raise SystemExit(0)

    monkeypatch.setattr(batch, "run_model", fake_run_model)
    with pytest.raises(SystemExit):
        main(["batch", _cases(tmp_path), "--db", str(tmp_path / "out.db"),
              "--model", str(tmp_path / "approved.gguf")])
    assert calls[0]["model"] == tmp_path / "approved.gguf"
    assert calls[0]["template_id"] == "zh_structured"
    assert calls[0]["examples_k"] == 2  # not batch's own default, 0


def test_a_broken_it_file_is_said_once_on_the_command_line(tmp_path: Path) -> None:
    # In process the log goes to pytest; the doubled sentence showed only in a real run.
    import os
    import subprocess
    import sys

    system = _system(tmp_path, "[model\n")
    findings = tmp_path / "f.txt"
    findings.write_text("Lungs clear.", encoding="utf-8")
    env = {**os.environ, "RADVAL_SYSTEM_CONFIG": str(system), "RADVAL_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "radval_desktop", "draft", str(findings),
                           "--system", "chest"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 1
    assert done.stderr.count("is not valid TOML") == 1, done.stderr


def test_help_speaks_to_the_user_not_the_developer(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    assert "drafts the IMPRESSION" in out
    assert "argument parsing" not in out
    assert "--self-test" in out
