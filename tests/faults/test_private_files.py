"""Local data is private: database, logs and settings owner-only; findings never in the log."""

from __future__ import annotations

import logging
import logging.handlers
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from radval_desktop import paths
from radval_desktop.config import load_settings, save_user_settings
from radval_desktop.store.database import database_path
from radval_desktop.store.history import History
from radval_desktop.store.reader_study import open_study

FINDINGS = "Zebra-marker 4.2 cm hypodense lesion in hepatic segment VII."


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def loose_umask() -> Iterator[None]:
    # A workstation's umask may let everyone read new files; the promise must not rely on it.
    old = os.umask(0o002)
    yield
    os.umask(old)


@pytest.fixture
def app_log() -> Iterator[Path]:
    """The app's own log set-up (ui/app.py), removed again after the test."""
    from radval_desktop.ui.app import setup_logging

    root = logging.getLogger()
    before, hook, level = list(root.handlers), sys.excepthook, root.level
    try:
        yield setup_logging()
    finally:
        for handler in set(root.handlers) - set(before):
            root.removeHandler(handler)
            handler.close()
        sys.excepthook, root.level = hook, level


def test_history_database_and_its_wal_are_owner_only(radval_home: Path) -> None:
    history = History()
    history.recent()  # opens (creates) the database
    db = history.database()
    assert db is not None
    db.execute("CREATE TABLE IF NOT EXISTS probe (x)")  # a write, so the WAL file exists
    path = database_path()
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700
    side_files = [p for p in path.parent.iterdir() if p.name.startswith(path.name + "-")]
    assert side_files, "WAL mode should leave -wal/-shm files beside the database"
    for side in side_files:
        assert _mode(side) == 0o600, side
    history.close()


def test_study_database_is_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "new-folder" / "study.db"
    open_study(path).close()
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700


def test_user_settings_file_and_folder_are_owner_only(radval_home: Path) -> None:
    save_user_settings(load_settings(), {"history.retention_days": 30})
    assert _mode(paths.user_config_file()) == 0o600
    assert _mode(paths.config_dir()) == 0o700


def test_the_platform_folders_radval_creates_are_owner_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Without RADVAL_HOME: ~/.local/state/radval (the log's parent) was left 0755.
    monkeypatch.delenv("RADVAL_HOME", raising=False)
    monkeypatch.delenv("RADVAL_CACHE", raising=False)
    for name in ("XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    made = [paths.log_dir(), paths.data_dir(), paths.config_dir(), paths.cache_dir()]
    for folder in made:
        # Every folder from the XDG base down, the one named radval included.
        for part in [folder, *folder.parents]:
            if part == tmp_path:
                break
            assert _mode(part) == 0o700, part


def test_the_model_digest_cache_is_owner_only(radval_home: Path, tmp_path: Path) -> None:
    # It names the user's model files; README promises owner-only files (issue 17).
    from radval_desktop.engine.checksums import cached_sha256

    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF" + bytes(60))
    cached_sha256(model)
    assert _mode(paths.data_dir() / "sha256-cache.json") == 0o600


def test_log_file_stays_owner_only_after_rotation(app_log: Path) -> None:
    assert _mode(app_log) == 0o600
    assert _mode(app_log.parent) == 0o700
    [handler] = [h for h in logging.getLogger().handlers
                 if isinstance(h, logging.handlers.RotatingFileHandler)
                 and Path(h.baseFilename) == app_log]
    logging.getLogger("radval_desktop.test").warning("before rotation")
    handler.doRollover()
    logging.getLogger("radval_desktop.test").warning("after rotation")
    handler.flush()
    assert "after rotation" in app_log.read_text(encoding="utf-8")
    for path in app_log.parent.iterdir():
        assert _mode(path) == 0o600, path


@pytest.mark.slow
def test_a_draft_leaves_no_findings_in_the_log(qtbot, default_model_path: Path,  # noqa: ANN001
                                               app_log: Path) -> None:
    from radval_desktop.drafting import DraftRequest
    from radval_desktop.engine.llama_engine import EngineSettings
    from radval_desktop.engine.sampling import Sampling
    from radval_desktop.workers.inference import InferenceService

    service = InferenceService()
    try:
        with qtbot.waitSignal(service.model_loaded, timeout=60_000):
            service.load(default_model_path, EngineSettings(n_threads=1))
        with qtbot.waitSignal(service.draft_finished, timeout=60_000) as finished:
            service.generate(1, DraftRequest(FINDINGS, "abdomen", "CT"),
                             Sampling(max_tokens=16))
        with qtbot.waitSignal(service.draft_failed, timeout=10_000):
            service.generate(2, DraftRequest(FINDINGS * 2000, "abdomen", "CT"),
                             Sampling(max_tokens=16))  # too long: refused with a sentence
    finally:
        service.shutdown()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = app_log.read_text(encoding="utf-8")
    assert "loaded" in text  # the log did receive the session's records
    assert "Zebra-marker" not in text
    impression = finished.args[1].text.strip()
    if len(impression) >= 12:  # a short impression ("Normal.") could appear by chance
        assert impression not in text


@pytest.mark.slow
def test_core_paths_log_no_findings_at_info_or_above(
        engine, caplog: pytest.LogCaptureFixture) -> None:  # noqa: ANN001
    # Every logger, RadVal's and the libraries' (jieba, sqlite-utils, llama_cpp), captured
    # down to DEBUG while the findings pass through drafting, the history, the safety checks,
    # retrieval and ROUGE; only DEBUG (off unless turned on) may ever carry them.
    from radval_desktop.drafting import DraftRequest, draft
    from radval_desktop.engine.sampling import Sampling
    from radval_desktop.errors import InputError
    from radval_desktop.evaluation.rouge import score
    from radval_desktop.safety.checks import run_checks
    from radval_desktop.safety.retrieval import ExampleCorpus, Pair
    from radval_desktop.ui.main_window import new_draft

    zh = "斑马标记：肝右叶见类圆形低密度影，约4.2cm，边界清。"
    caplog.set_level(logging.DEBUG)
    history = History()
    for findings, system in ((FINDINGS, "abdomen"), (zh, "abdomen")):
        request = DraftRequest(findings, system, "CT")
        result = draft(engine, request, Sampling(max_tokens=16))
        uuid = history.save_draft(new_draft(request, result, "m"))
        assert uuid is not None
        history.set_copied(uuid, result.text or "Hepatic lesion.")
        assert history.search(findings[:12])
        run_checks(findings, result.text or "Hepatic lesion.")
        db = history.database()
        assert db is not None
        corpus = ExampleCorpus(db)
        corpus.add(Pair(findings, "Hepatic lesion.", system))
        corpus.similar(findings, system, 3)
        score(result.text, findings)
    with pytest.raises(InputError):
        draft(engine, DraftRequest(FINDINGS * 2000, "abdomen", "CT"), Sampling(max_tokens=16))
    history.close()
    for record in caplog.records:
        if record.levelno >= logging.INFO:
            text = record.getMessage() + (record.exc_text or "")
            assert "Zebra-marker" not in text, record
            assert "斑马标记" not in text, record
