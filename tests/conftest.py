"""Shared fixtures: a private RADVAL_HOME per test, Qt offscreen, the real default model."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

# Before anything imports Qt: without a display pytest-qt would abort the interpreter.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

REPO = Path(__file__).resolve().parent.parent
# The assembled default model (491 MB) is rebuilt only when missing: one copy per checkout.
MODEL_CACHE = REPO / ".cache" / "test-models"


@pytest.fixture(autouse=True)
def radval_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "radval-home"
    monkeypatch.setenv("RADVAL_HOME", str(home))
    monkeypatch.setenv("RADVAL_CACHE", str(MODEL_CACHE))
    # Honoured only because the tests run from the checkout (paths.system_config_file).
    monkeypatch.setenv("RADVAL_SYSTEM_CONFIG", str(home / "system-config.toml"))
    # The CLI speaks the shell's language (catalogue.cli_language): English unless a test
    # asks, whatever the developer's own locale.
    monkeypatch.setenv("LANG", "C.UTF-8")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    before = {t.ident for t in threading.enumerate()}
    yield home
    leaked = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()
              and not t.daemon]
    assert not leaked, f"test left threads running: {leaked}"


@pytest.fixture(scope="session")
def default_model_path() -> Path:
    from radval_desktop.engine.default_model import default_model_path as locate

    old = os.environ.get("RADVAL_CACHE")
    os.environ["RADVAL_CACHE"] = str(MODEL_CACHE)
    try:
        return locate()
    finally:
        if old is None:
            os.environ.pop("RADVAL_CACHE", None)
        else:
            os.environ["RADVAL_CACHE"] = old


@pytest.fixture(scope="session")
def engine(default_model_path: Path, tmp_path_factory: pytest.TempPathFactory):
    """The real default model, loaded once for the session (owned by the main thread)."""
    from radval_desktop.engine.llama_engine import LlamaEngine

    os.environ["RADVAL_HOME"] = str(tmp_path_factory.mktemp("engine-home"))
    loaded = LlamaEngine(default_model_path)
    loaded.load()
    yield loaded
    loaded.close()
