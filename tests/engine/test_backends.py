"""Which llama.cpp build runs: the variant label, its detection, and the status bar text."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from radval_desktop.engine import backends
from radval_desktop.engine.backends import CUDA, NATIVE, PORTABLE, LlamaBuild, llama_build
from radval_desktop.engine.device import DeviceChoice, choose_device


def _build(variant: str, cpu: str | None = None, gpu: bool = False) -> LlamaBuild:
    return LlamaBuild(variant, cpu, gpu, "0.3.36", "CPU : AVX2 = 1 |", "test")


@pytest.fixture
def fresh_detection() -> Iterator[None]:
    llama_build.cache_clear()
    yield
    llama_build.cache_clear()


def test_labels_name_the_variant_shortly() -> None:
    assert _build(PORTABLE, "haswell").label() == "portable (haswell)"
    assert _build(PORTABLE).label() == "portable"
    assert _build(CUDA, gpu=True).label() == "CUDA"
    assert _build(CUDA).label() == "CUDA (no GPU found)"
    assert _build(NATIVE).label() == "native (-march=native)"


def test_explanations_tell_it_what_to_expect() -> None:
    assert "haswell variant was chosen" in _build(PORTABLE, "haswell").explain()
    assert "runs on the CPU" in _build(CUDA).explain()
    assert "illegal instruction" in _build(NATIVE).explain()


def test_device_description_carries_the_build_once_set() -> None:
    cpu = choose_device(-1, 24, supports_gpu=lambda: False)
    assert cpu.describe() == "CPU: this llama.cpp build has no GPU support (no CUDA)"
    shown = DeviceChoice(cpu.n_gpu_layers, cpu.kind, cpu.reason, build="portable (haswell)")
    assert shown.describe() == ("CPU: llama.cpp portable (haswell); this llama.cpp build has "
                                "no GPU support (no CUDA)")


def test_backend_modules_are_told_from_the_core_libraries(tmp_path: Path) -> None:
    for name in ("libggml.so", "libggml-base.so", "libggml-cpu.so", "libllama.so",
                 "libggml-cpu-haswell.so", "libggml-cpu-x64.so", "libggml-cuda.so",
                 "ggml-cpu-sse42.dll"):
        (tmp_path / name).touch()
    assert backends._modules(tmp_path) == ["cpu-haswell", "cpu-sse42", "cpu-x64", "cuda"]
    assert backends._modules(tmp_path / "missing") == []


def test_installed_llama_cpp_is_described(fresh_detection: None) -> None:
    build = llama_build()
    assert build.variant in (PORTABLE, CUDA, NATIVE)
    assert build.package_version == "0.3.36"
    assert "CPU" in build.system_info
    assert build.label()
    if build.variant == PORTABLE and sys.platform.startswith("linux"):
        assert build.cpu_module  # the module ggml loaded is found in /proc/self/maps


def test_build_info_file_of_the_installer_wins(tmp_path: Path, fresh_detection: None,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / backends.BUILD_INFO_FILE).write_text(json.dumps(
        {"llama_variant": CUDA, "cmake_args": "-DGGML_CUDA=on"}), encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    build = llama_build()
    assert build.variant == CUDA
    assert "-DGGML_CUDA=on" in build.how


def test_unreadable_build_info_falls_back_to_the_libraries(
        tmp_path: Path, fresh_detection: None, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / backends.BUILD_INFO_FILE).write_text("{not json", encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert not llama_build().how.startswith(backends.BUILD_INFO_FILE)


class _FakeGgml:
    """ggml's registry as ctypes sees it, with no CPU module this processor can run."""

    def __init__(self) -> None:
        self.loaded_from: list[bytes] = []

    def ggml_backend_reg_count(self) -> int:
        return 0

    def ggml_backend_load_all_from_path(self, path: bytes) -> None:
        self.loaded_from.append(path)


def test_a_dl_build_without_a_usable_cpu_module_is_a_sentence(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from radval_desktop.errors import ModelLoadError

    (tmp_path / "libggml-cpu-x64.so").touch()
    fake = _FakeGgml()
    monkeypatch.setattr(backends, "_lib_dir", lambda: tmp_path)
    monkeypatch.setattr(backends, "_libggml", lambda: fake)
    monkeypatch.setattr(backends, "_backends_loaded", False)
    with pytest.raises(ModelLoadError, match="no CPU code .* reinstall RadVal"):
        backends.load_backends()
    assert fake.loaded_from == [str(tmp_path).encode()]
    assert backends._backends_loaded is False  # tried again next time


def test_a_single_library_build_loads_nothing(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "libggml-cpu.so").touch()  # linked into libggml: llama.cpp registers it
    monkeypatch.setattr(backends, "_lib_dir", lambda: tmp_path)
    monkeypatch.setattr(backends, "_libggml", lambda: pytest.fail("ggml was asked to load"))
    monkeypatch.setattr(backends, "_backends_loaded", False)
    backends.load_backends()
    assert backends._backends_loaded is True
