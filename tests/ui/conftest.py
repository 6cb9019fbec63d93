"""Fixtures for driving the real window: a configured QApplication and windows that clean up."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from radval_desktop import paths
from radval_desktop.engine.checksums import cached_sha256
from radval_desktop.ui.app import configure_application
from radval_desktop.ui.main_window import MainWindow

# The offscreen platform warns on every window shown; it is not RadVal's doing.
# (pyproject's qt_log_ignore would be the one place for this; see the report of issue 3.)
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"

LOAD_TIMEOUT_MS = 60_000
SHA256_CACHE = "sha256-cache.json"  # radval_desktop.engine.checksums keeps it in data_dir()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def configured_app(qapp):  # noqa: ANN001, ANN201 (pytest-qt's fixture)
    configure_application(qapp)
    return qapp


def write_user_config(home: Path, max_tokens: int = 16, model_path: Path | None = None,
                      bf16_copy: bool = False) -> Path:
    """The user's config.toml for a test.

    One llama.cpp thread: with two on two cores, any other busy process (a parallel test
    run, a benchmark) makes llama.cpp's spinning threads thrash — measured here at 0.3
    tokens/s instead of 43 with one thread. The model file read as it is, not from a BF16
    copy in memory (engine/reading_copy.py) unless asked: making one costs 2-3 s a window
    here; tests/engine/test_reading_copy.py checks the copy's drafts, and the one-pipeline
    test drafts with it, as the user's window does on a BF16 CPU.
    """
    path = home / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    model = f'path = "{model_path}"\n' if model_path else ""
    path.write_text(f"[model]\nn_threads = 1\nbf16_copy = {str(bf16_copy).lower()}\n{model}\n"
                    f"[sampling]\nmax_tokens = {max_tokens}\n", encoding="utf-8")
    return path


@pytest.fixture
def user_config(radval_home: Path) -> Callable[..., Path]:
    """Write this test's config.toml: ``user_config(max_tokens=..., model_path=...)``."""
    return functools.partial(write_user_config, radval_home)


@pytest.fixture
def short_drafts(radval_home: Path) -> Path:
    """Drafts capped at 16 tokens: enough to see streaming, quick on 2 cores."""
    return write_user_config(radval_home, max_tokens=16)


@pytest.fixture(scope="session")
def model_digest_cache(default_model_path: Path, tmp_path_factory: pytest.TempPathFactory
                       ) -> str:
    """The engine's sha256 cache for the default model, hashed once for the session: each
    test has its own RADVAL_HOME and would otherwise re-hash 491 MB."""
    home = tmp_path_factory.mktemp("digest-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RADVAL_HOME", str(home))
        cached_sha256(default_model_path)
        return (paths.data_dir() / SHA256_CACHE).read_text(encoding="utf-8")


@pytest.fixture
def make_window(qtbot: QtBot, model_digest_cache: str) -> Iterator[Callable[..., MainWindow]]:
    """Make real windows; ``loaded=True`` waits until the model is ready (or failed)."""
    (paths.data_dir() / SHA256_CACHE).write_text(model_digest_cache, encoding="utf-8")
    windows: list[MainWindow] = []

    def make(loaded: bool = True, expect_failure: bool = False) -> MainWindow:
        window = MainWindow(load_model=False)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        if loaded:
            signal = window.service.model_failed if expect_failure else window.service.model_loaded
            with qtbot.waitSignal(signal, timeout=LOAD_TIMEOUT_MS):
                window.load_model()
        return window

    yield make
    for window in windows:
        window.shutdown()
        assert not window.service.is_running(), "the inference thread is still running"
