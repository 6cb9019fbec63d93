"""Where IT's settings file is read from: a user cannot move it in an installed app (issue 17)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from radval_desktop import paths


def test_source_checkout_honours_the_test_override(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADVAL_SYSTEM_CONFIG", str(tmp_path / "it.toml"))
    assert paths.system_config_file() == tmp_path / "it.toml"


def test_frozen_app_ignores_radval_system_config(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RADVAL_SYSTEM_CONFIG", str(tmp_path / "mine.toml"))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert paths.system_config_file() == Path("/etc/radval/config.toml")


def test_installed_package_ignores_radval_system_config(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # A wheel in site-packages has no pyproject.toml beside the package folder.
    monkeypatch.setenv("RADVAL_SYSTEM_CONFIG", str(tmp_path / "mine.toml"))
    monkeypatch.setattr(paths, "PACKAGE_DIR", tmp_path / "site-packages" / "radval_desktop")
    assert paths.system_config_file() == Path("/etc/radval/config.toml")


def test_windows_reads_programdata_from_the_known_folder_not_the_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(paths, "WINDOWS", True)
    monkeypatch.setenv("PROGRAMDATA", str(tmp_path / "user-chosen"))
    monkeypatch.setattr(paths, "known_program_data", lambda: tmp_path / "ProgramData")
    assert paths.system_config_file() == tmp_path / "ProgramData" / "RadVal" / "config.toml"
