"""`radval --self-test`: the verdict IT reads after installing, on the real default model."""

from __future__ import annotations

from pathlib import Path

import pytest
from gguf_builder import write_gguf

from radval_desktop.cli import main
from radval_desktop.config import load_settings
from radval_desktop.self_test import SelfTestReport, run_self_test


def _system(home: Path, text: str) -> None:
    # conftest points RADVAL_SYSTEM_CONFIG at this file.
    path = home / "system-config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _by_name(report: SelfTestReport) -> dict[str, tuple[bool | None, str]]:
    return {c.name: (c.ok, c.detail) for c in report.checks}


@pytest.mark.slow
def test_default_model_passes_and_prints_one_screen(
        default_model_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert len(lines) <= 24  # one screen
    draft_line = next(line for line in lines if " draft " in line)
    flagged = any(line.split()[:2] == ["WARN", "checks"] for line in lines)
    if draft_line.lstrip().startswith("ok") and flagged:  # drafted; the checks flag it
        assert lines[-1].startswith("PASS, with a warning: RadVal runs on this workstation, "
                                    "but see checks")
    elif draft_line.lstrip().startswith("ok"):
        assert lines[-1].startswith("PASS: RadVal is ready to draft")
    else:  # the model ran but its drafts were refused: a pass that says so
        assert lines[-1].startswith("PASS, with a warning: RadVal runs on this workstation")
    for name in ("version", "settings", "llama.cpp", "model", "sha256", "allowlist", "load",
                 "device", "draft", "database", "fonts", "Qt"):
        assert any(f" {name} " in line for line in lines), name
    assert "RadVal 0.1.0" in out
    assert "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32" in out
    assert "embedded default model" in out
    assert "no allowlist set by IT" in out
    load_line = next(line for line in lines if " load " in line)
    assert "qwen2.5-coder-0.5b-instruct Q4_K_M in " in load_line  # not the header's "AWQ"
    assert "AWQ" not in out
    assert "writable (history on, kept 90 days)" in out


@pytest.mark.slow
def test_default_model_on_the_allowlist_passes(default_model_path: Path, radval_home: Path
                                                ) -> None:
    _system(radval_home, '[model]\nallowed_sha256 = '
            '["1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"]\n'
            '[history]\nenabled = false\n')
    report = run_self_test()
    checks = _by_name(report)
    assert report.passed, report.lines()
    assert checks["allowlist"] == (True, "on IT's list of approved models (1 approved)")
    assert checks["settings"][0] is True
    assert "model.allowed_sha256" in checks["settings"][1]
    assert checks["database"][1].endswith("(history off)")
    # Drafted through the window's pipeline, with the starter examples; a draft the guards
    # refuse is the model's quality, shown to IT but not failed (the install works).
    assert checks["draft"][0] is not False
    assert "3 starter examples" in checks["draft"][1]


def test_model_off_the_allowlist_fails_before_loading(tmp_path: Path, radval_home: Path) -> None:
    model = write_gguf(tmp_path / "other.gguf", {"general.architecture": "llama"},
                       [("token_embd.weight", [8, 4])])
    _system(radval_home, f'[model]\npath = "{model}"\nallowed_sha256 = ["{"a" * 64}"]\n')
    report = run_self_test()
    checks = _by_name(report)
    assert not report.passed
    assert checks["allowlist"][0] is False
    assert checks["load"][0] is False
    assert "is not on IT's list of approved models" in checks["load"][1]
    assert "draft" not in checks
    assert report.lines()[-1].startswith("FAIL: allowlist, load")


def test_missing_model_fails_with_exit_1(tmp_path: Path, radval_home: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    _system(radval_home, f'[model]\npath = "{tmp_path / "gone.gguf"}"\n')
    assert main(["--self-test"]) == 1
    out = capsys.readouterr().out
    assert "FAIL model" in " ".join(out.split())
    assert "does not exist" in out
    assert out.splitlines()[-1].startswith("FAIL: model")


def test_broken_it_file_fails_the_settings_check(tmp_path: Path, radval_home: Path) -> None:
    _system(radval_home, f'[model]\npath = "{tmp_path / "gone.gguf"}"\nn_gpu_layer = 3\n')
    checks = _by_name(run_self_test())
    assert checks["settings"][0] is False
    assert "unknown setting 'model.n_gpu_layer'" in checks["settings"][1]


def test_unwritable_database_fails_only_when_history_is_on(tmp_path: Path, radval_home: Path
                                                          ) -> None:
    (radval_home / "data" / "radval.db").mkdir(parents=True)  # cannot be opened as a file
    _system(radval_home, f'[model]\npath = "{tmp_path / "gone.gguf"}"\n')
    assert _by_name(run_self_test())["database"][0] is False
    _system(radval_home, f'[model]\npath = "{tmp_path / "gone.gguf"}"\n'
            '[history]\nenabled = false\n')
    settings = load_settings()
    assert _by_name(run_self_test(settings))["database"][0] is None


def test_fonts_and_qt_plugin_are_found_from_source(tmp_path: Path, radval_home: Path) -> None:
    _system(radval_home, f'[model]\npath = "{tmp_path / "gone.gguf"}"\n')
    checks = _by_name(run_self_test())
    assert checks["fonts"][0] is True
    assert checks["Qt"][0] is True


def test_unparsable_it_file_fails_closed_and_says_why(radval_home: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # Issue 17: a typo in IT's file used to leave nothing locked, and the model loaded.
    _system(radval_home, "[model]\nallowed_sha256 = ['" + "a" * 64 + "'\n")
    assert main(["--self-test"]) == 1
    out = capsys.readouterr().out
    checks = {line.split()[1]: line for line in out.splitlines() if "FAIL " in line}
    assert "is not valid TOML" in checks["settings"]
    assert "no model is loaded" in checks["model"]
    assert "load" not in checks
    assert " load " not in out  # the model was never loaded


def test_a_refused_draft_is_not_called_ready_to_draft() -> None:
    # Issue 17: the verdict said "ready to draft" whatever the draft was.
    report = SelfTestReport()
    report.add("load", True, "a model in 1 s")
    report.add("draft", None, "the model ran, but its drafts were refused: Not usable …",
               warn=True)
    lines = report.lines()
    assert report.passed  # the installation works: IT's check passes
    assert "WARN draft" in "\n".join(lines)
    assert "ready to draft" not in lines[-1]
    assert lines[-1].startswith("PASS, with a warning: RadVal runs on this workstation")
    assert "draft" in lines[-1]


def test_a_forged_digest_cache_does_not_put_a_model_on_the_allowlist(
        tmp_path: Path, radval_home: Path) -> None:
    # issue 17: the cache is the user's own file; the self-test reports the bytes' digest.
    from radval_desktop.engine.checksums import remember_sha256, sha256_file

    model = write_gguf(tmp_path / "other.gguf", {"general.architecture": "llama"},
                       [("token_embd.weight", [8, 4])])
    remember_sha256(model, "a" * 64)
    _system(radval_home, f'[model]\npath = "{model}"\nallowed_sha256 = ["{"a" * 64}"]\n')
    checks = _by_name(run_self_test())
    assert checks["sha256"][1] == sha256_file(model)
    assert checks["allowlist"][0] is False
    assert "is not on IT's list of approved models" in checks["load"][1]


def _gone_model(tmp_path: Path, language: str | None = None) -> None:
    """A user file naming a model that is not there (no load: the test stays quick)."""
    from radval_desktop import paths

    user = paths.user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    ui = f'[ui]\nlanguage = "{language}"\n' if language else ""
    user.write_text(f'[model]\npath = "{tmp_path / "gone.gguf"}"\n{ui}', encoding="utf-8")


def test_self_test_speaks_the_shells_language_or_ui_language(
        radval_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """IT on a Chinese workstation reads the verdict in Chinese (LANG=zh_CN.UTF-8, or
    ui.language = "zh_CN"); ui.language = "en" keeps it English. ok/FAIL stay, for grep."""
    _gone_model(tmp_path)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["--self-test"]) == 1
    chinese = capsys.readouterr().out.splitlines()
    assert chinese[0].startswith("RadVal 自检（")
    assert chinese[-1].startswith("未通过：模型：请查看标为 FAIL 的行（")
    model = next(line for line in chinese if "FAIL" in line)
    assert model.startswith("  FAIL 模型      ")  # two columns a character: names line up
    assert model.endswith("不存在")
    assert str(tmp_path / "gone.gguf") in model
    fonts = next(line for line in chinese if "wqy-microhei.ttc" in line)
    assert fonts.startswith("  ok   字体      ")
    assert fonts.endswith("存在")
    assert "数据库" in "\n".join(chinese)
    assert "可写入（历史记录开启，保留 90 天）" in "\n".join(chinese)
    _gone_model(tmp_path, "en")
    assert main(["--self-test"]) == 1
    english = capsys.readouterr().out.splitlines()
    assert english[-1].startswith("FAIL: model: see the lines marked FAIL (")
    assert not any("\u4e00" <= c <= "\u9fff" for c in "\n".join(english))
    monkeypatch.setenv("LANG", "C.UTF-8")
    _gone_model(tmp_path, "zh_CN")
    assert main(["--self-test"]) == 1
    assert capsys.readouterr().out.splitlines()[-1].startswith("未通过：模型：")


@pytest.mark.slow
def test_default_model_self_test_in_chinese_translates_the_draft_line(
        default_model_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[-1].startswith(("通过：RadVal 已可在此工作站生成草稿", "通过，但有警告："))
    load = next(line for line in lines if " 加载 " in line)
    assert " 秒，" in load
    assert "个线程" in load
    draft = next(line for line in lines if " 草稿 " in line)
    assert "个词元" in draft
    assert "条内置示例" in draft
    assert "IT 未设置允许列表" in out


def test_a_flagged_draft_is_a_warning_that_names_the_flag() -> None:
    # The package's self-test drafted this over its fixed findings and printed "ok" alone.
    from radval_desktop.catalogue import translator
    from radval_desktop.safety.checks import run_checks
    from radval_desktop.self_test import FINDINGS, add_draft_flags

    flags = run_checks(FINDINGS, "右肺上叶胸膜下可见片状磨玻璃影是肺癌的特征。", "zh")
    assert flags
    report = SelfTestReport()
    report.add("draft", True, "0.8 s: 右肺上叶胸膜下可见片状磨玻璃影是肺癌的特征。")
    add_draft_flags(report, flags)
    lines = report.lines()
    [line] = [x for x in lines if x.split()[1:2] == ["checks"]]
    assert line.lstrip().startswith("WARN")
    assert "the safety checks flag the draft: " in line
    assert f"({len(flags)} flag(s))" in line
    assert report.passed  # the installation works
    assert lines[-1].startswith("PASS, with a warning: RadVal runs on this workstation, but "
                                "see checks")
    chinese = "\n".join(report.lines(translator("zh_CN")))
    assert "the safety checks flag the draft" not in chinese  # said in IT's language
    assert "“肺癌”" in chinese  # the concept as the draft words it, as the window says it


def test_a_draft_with_no_flag_adds_no_line() -> None:
    from radval_desktop.self_test import add_draft_flags

    report = SelfTestReport()
    add_draft_flags(report, ())
    assert report.checks == []
