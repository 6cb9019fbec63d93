"""Which llama.cpp build runs (portable CPU, CUDA or native) and loading its backend modules.

The installer's llama.cpp is built with GGML_BACKEND_DL: the CPU code is one module per x86
level (libggml-cpu-haswell.so, -skylakex, -x64 ...) and ggml loads the best one this processor
runs. ggml looks for the modules beside the executable and in the current folder only, never
beside libllama inside the llama_cpp package (nor inside a PyInstaller bundle), so RadVal
loads them from there itself, before llama.cpp's first use.
"""

from __future__ import annotations

import ctypes
import functools
import json
import logging
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radval_desktop.errors import ModelLoadError, Words, sentence

log = logging.getLogger(__name__)

# Written by packaging/build-linux.sh (and the Windows build) into the frozen bundle.
BUILD_INFO_FILE = "build-info.json"

PORTABLE, CUDA, NATIVE = "portable CPU", "CUDA", "native CPU"

# libggml-cpu-haswell.so, ggml-cuda.dll ...; not libggml.so / libggml-base.so / libggml-cpu.so.
_MODULE = re.compile(r"^(?:lib)?ggml-(cpu-[\w.]+|cuda|hip|vulkan|sycl|musa|blas|rpc)\.(?:so|dll)$")
_LOADED_CPU = re.compile(r"ggml-cpu-([\w.]+)\.(?:so|dll)")

_lock = threading.Lock()
_params_lock = threading.Lock()
_backends_loaded = False


@dataclass(frozen=True)
class LlamaBuild:
    variant: str  # PORTABLE, CUDA or NATIVE
    cpu_module: str | None  # the CPU variant ggml chose for this processor, e.g. "haswell"
    gpu: bool  # llama.cpp found a GPU it can offload to
    package_version: str  # llama-cpp-python's
    system_info: str  # llama_print_system_info(): the features the loaded backends use
    how: str  # where the variant was read from: the build-info file or the libraries found

    def label(self) -> str:
        """Short, for the status bar: "portable (haswell)", "CUDA", "native (-march=native)"."""
        return str(self.label_words())

    def label_words(self) -> Words:
        """label() as a template and values, for the window's language."""
        if self.variant == PORTABLE:
            return (Words("Backends", _LABELS[1], (("module", self.cpu_module),))
                    if self.cpu_module else Words("Backends", _LABELS[0]))
        if self.variant == CUDA:
            return Words("Backends", _LABELS[2] if self.gpu else _LABELS[3])
        return Words("Backends", _LABELS[4])

    def explain(self) -> str:
        """A sentence for IT (the self-test)."""
        return str(self.explain_words())

    def explain_words(self) -> Words:
        """explain() as a template and values: the self-test says it in IT's language."""
        if self.variant == PORTABLE:
            if self.cpu_module:
                return Words("Backends", sentence("Backends", "portable CPU build: the {module} "
                                                  "variant was chosen at start for this "
                                                  "processor"), (("module", self.cpu_module),))
            return Words("Backends", sentence("Backends", "portable CPU build: a variant was "
                                              "chosen at start for this processor"))
        if self.variant == CUDA:
            return Words("Backends", sentence("Backends", "CUDA build: layers go to the NVIDIA GPU")
                         if self.gpu else
                         sentence("Backends", "CUDA build, but no usable NVIDIA GPU or driver: "
                                  "it runs on the CPU"))
        return Words("Backends", sentence("Backends", "native CPU build (-march=native): stops "
                                          "with 'illegal instruction' on a processor older than "
                                          "its build machine's"))


# The build's short names (LlamaBuild.label), the status bar's: portable, portable with the
# CPU variant chosen, CUDA, CUDA without a GPU, native.
_LABELS = (sentence("Backends", "portable"), sentence("Backends", "portable ({module})"),
           CUDA, sentence("Backends", "CUDA (no GPU found)"),
           sentence("Backends", "native (-march=native)"))
_MODULE_LABEL = re.compile(r"portable \((?P<module>[^()]+)\)")


def label_words(label: str) -> Words:
    """A label as the engine put it on the device (DeviceChoice.build, a str), as Words:
    the window says it in its language; a label it does not know stays as it is."""
    found = _MODULE_LABEL.fullmatch(label)
    if found:
        return Words("Backends", _LABELS[1], (("module", found["module"]),))
    return Words("Backends", label)


def _lib_dir() -> Path:
    import llama_cpp

    return Path(llama_cpp.__file__).resolve().parent / "lib"


def _modules(lib_dir: Path) -> list[str]:
    if not lib_dir.is_dir():
        return []
    return sorted(m.group(1) for p in lib_dir.iterdir() if (m := _MODULE.match(p.name)))


def _libggml() -> Any:
    """The ggml that libllama itself uses.

    pip installs libggml.so and libggml.so.0 as two files (wheels hold no symlinks), and
    llama_cpp._ggml opens the first while libllama links the second: two ggml instances, two
    backend registries. Modules loaded into the wrong one leave llama.cpp with no backend,
    so the functions are looked up through libllama (dlsym searches its dependencies).
    Windows has one ggml.dll and GetProcAddress does not search dependencies: _ggml's then.
    """
    from llama_cpp import llama_cpp as bindings

    try:
        lib = bindings._lib
        lib.ggml_backend_load_all_from_path  # noqa: B018 (lookup only: AttributeError if absent)
    except AttributeError:
        from llama_cpp import _ggml

        lib = _ggml.libggml
    lib.ggml_backend_reg_count.argtypes = []
    lib.ggml_backend_reg_count.restype = ctypes.c_size_t
    lib.ggml_backend_load_all_from_path.argtypes = [ctypes.c_char_p]
    lib.ggml_backend_load_all_from_path.restype = None
    return lib


def load_backends() -> None:
    """Load the backend modules of a GGML_BACKEND_DL build; nothing to do for other builds.

    Raises ModelLoadError when a DL build finds no CPU module this processor can run.
    """
    global _backends_loaded
    with _lock:
        if _backends_loaded:
            return
        # llama-cpp-python prints every ggml message (debug included) until the first
        # Llama(verbose=False) sets its logger; loading happens before that. Errors still show.
        llama_log = logging.getLogger("llama-cpp-python")
        if llama_log.level == logging.NOTSET:
            llama_log.setLevel(logging.ERROR)
        lib_dir = _lib_dir()
        is_dl_build = bool(_modules(lib_dir)) or (
            _read_build_info().get("llama_variant") in (PORTABLE, CUDA))
        if is_dl_build:
            lib = _libggml()
            if lib.ggml_backend_reg_count() == 0:
                lib.ggml_backend_load_all_from_path(str(lib_dir).encode("utf-8"))
                log.info("llama.cpp backends loaded from %s: %d", lib_dir,
                         lib.ggml_backend_reg_count())
            if lib.ggml_backend_reg_count() == 0:
                raise ModelLoadError(sentence(
                    "RadvalError", "llama.cpp found no CPU code in {lib_dir} that this "
                    "processor can run; the installation is incomplete: reinstall RadVal."),
                    lib_dir=lib_dir)
        _backends_loaded = True


def _loaded_cpu_module(lib_dir: Path) -> str | None:
    if sys.platform.startswith("linux"):
        try:
            maps = Path("/proc/self/maps").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        found = _LOADED_CPU.search(maps)
        return found.group(1) if found else None
    if sys.platform == "win32":
        kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined,unused-ignore]
        for module in _modules(lib_dir):
            if module.startswith("cpu-") and kernel32.GetModuleHandleW(f"ggml-{module}.dll"):
                return module.removeprefix("cpu-")
    return None


def build_info_file() -> Path | None:
    """The build-info file of a frozen (installed) RadVal; None when run from source."""
    base = getattr(sys, "_MEIPASS", None)
    return Path(base) / BUILD_INFO_FILE if base else None


def _read_build_info() -> dict[str, Any]:
    path = build_info_file()
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        log.warning("The build-info file %s cannot be read: %s", path, err)
        return {}
    return data if isinstance(data, dict) else {}


@functools.cache
def llama_build() -> LlamaBuild:
    """Describe the installed llama.cpp; loads its backends first (see load_backends)."""
    import llama_cpp

    load_backends()
    lib_dir = _lib_dir()
    modules = _modules(lib_dir)
    info = _read_build_info()
    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    system_info = llama_cpp.llama_print_system_info().decode("utf-8", "replace").strip()
    if info.get("llama_variant") in (PORTABLE, CUDA, NATIVE):
        variant, how = str(info["llama_variant"]), f"{BUILD_INFO_FILE} ({info.get('cmake_args')})"
    elif any(lib_dir.glob("*ggml-cuda*")):  # a module (DL build) or a linked library
        variant, how = CUDA, f"CUDA library in {lib_dir}"
    elif any(m.startswith("cpu-") for m in modules):
        variant, how = PORTABLE, f"CPU variant modules in {lib_dir}"
    else:
        variant, how = NATIVE, f"one CPU library in {lib_dir} (llama-cpp-python's default build)"
    return LlamaBuild(variant, _loaded_cpu_module(lib_dir), gpu, llama_cpp.__version__,
                      system_info, how)


def amx_in_build(system_info: str | None = None) -> bool:
    """Whether the CPU code llama.cpp runs uses Intel AMX (its features, e.g. llama_build().
    system_info; read from llama.cpp when not given)."""
    if system_info is None:
        system_info = llama_build().system_info
    return bool(re.search(r"\bAMX_INT8 = 1\b", system_info))


@contextmanager
def weights_in_plain_memory(system_info: str | None = None) -> Iterator[None]:
    """Around a Llama(...) load: where the build has AMX, the weights stay in plain CPU
    memory, not llama.cpp's extra buffers (AMX, and the repacked layouts with it).

    On a Xeon with AMX_INT8, llama.cpp 0.3.36's AMX matrix product of K-quant weights
    crashed the process (SIGSEGV in ggml_backend_amx_mul_mat; ggml-org/llama.cpp#20824,
    closed without a fix), at the first prompt: the plain CPU kernels draft the same text.
    llama-cpp-python builds its model parameters inside Llama.__init__ from
    llama_model_default_params(), so the default is changed for the load's duration.
    """
    if not amx_in_build(system_info):
        yield
        return
    from llama_cpp import llama_cpp as bindings

    with _params_lock:  # one load at a time changes the default
        default = bindings.llama_model_default_params

        def plain() -> Any:
            params = default()
            params.use_extra_bufts = False
            return params

        bindings.llama_model_default_params = plain
        try:
            yield
        finally:
            bindings.llama_model_default_params = default
