"""A BF16 copy of a small quantized model, in memory, for CPUs that compute in BF16.

Reading the prompt is most of a draft's time on a CPU (a 3-example prompt is 400-700
tokens; the impression is ~20). llama.cpp's CPU matrix code reads a BF16 model with the
AVX512_BF16 dot product, but a K-quant (the default Q4_K_M) through integer kernels that
are slower for a whole prompt: on this project's 2-core machine 500 prompt tokens took
1.97 s from the Q4_K_M file and 1.23 s from a BF16 copy of it (254 -> 406 tokens/s), and
bench/quality.py's MedPix CT/MRI drafts with 3 examples a median 2.18 s -> 1.63 s, with the
same ROUGE-L (0.141 both); 1.88 s once each draft read its whole prompt afresh.
Generating reads every weight once per token, so a BF16 copy,
3x the bytes, generates slower (20 -> 32 ms a token): it pays only while the model is small
and the prompt long, hence the size bound below.

The copy is the approved file's own weights: BF16 holds a Q4_K value to ~0.2% (8 bits of
mantissa against 4-bit steps), so no new model enters. It is made from the bytes IT's pin
and allowlist judged (the SealedFile's descriptor) into a memfd that is sealed before
llama.cpp maps it: nothing is written to disk, and no other file can stand in for it.
"""

from __future__ import annotations

import ctypes
import logging
import os
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from radval_desktop.engine.gguf_file import GGUFInfo
from radval_desktop.engine.sealed_file import SEALED_LINUX, seal

# 1.5e9 parameters = 3 GB of BF16. Measured at 0.5B only; a 7B model would generate ~3x
# slower from 14 GB, which no shorter prompt reading repays.
MAX_PARAMETERS = 1_500_000_000
# Already a float type: nothing to gain.
_FLOAT_TYPES = frozenset({"F32", "F16", "BF16"})
# How llama.cpp's CPU backend names the features whose BF16 dot product it uses.
_BF16_FEATURES = ("AVX512_BF16 = 1", "AMX_BF16 = 1")


@dataclass(frozen=True)
class ReadingCopy:
    fd: int
    compute_type: str = "BF16"

    @property
    def load_path(self) -> Path:
        return Path(f"/proc/self/fd/{self.fd}")

    def close(self) -> None:
        with suppress(OSError):
            os.close(self.fd)


def cpu_features() -> str:
    import llama_cpp

    return bytes(llama_cpp.llama_print_system_info()).decode("utf-8", "replace")


def wants_bf16_copy(gguf: GGUFInfo, on_cpu: bool, enabled: bool,
                    features: str | None = None) -> bool:
    """Whether this model, on this device, drafts faster from a BF16 copy."""
    if not (enabled and on_cpu and SEALED_LINUX):
        return False
    if gguf.quantization in _FLOAT_TYPES or gguf.quantization == "unknown":
        return False
    if not gguf.parameter_count or gguf.parameter_count > MAX_PARAMETERS:
        return False
    features = cpu_features() if features is None else features
    return any(flag in features for flag in _BF16_FEATURES)


def make_bf16_copy(source: Path, name: str) -> ReadingCopy | None:
    """The model at ``source`` (a sealed descriptor's path) converted to BF16 in a sealed
    memfd; None when llama.cpp cannot convert it (then the file itself is loaded: the copy
    only saves time, and a model that loads as it is must not fail because of it)."""
    import llama_cpp

    try:
        fd = os.memfd_create(f"radval-bf16-{name}"[:200], os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    except OSError:  # no memory or descriptors left: the file itself still loads
        return None
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_BF16
    params.allow_requantize = True  # the source is quantized: dequantize, then store BF16
    params.nthread = os.cpu_count() or 1
    # llama.cpp logs every tensor it converts through llama-cpp-python's logger.
    logger = logging.getLogger("llama-cpp-python")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        failed = llama_cpp.llama_model_quantize(str(source).encode(),
                                                f"/proc/self/fd/{fd}".encode(),
                                                ctypes.byref(params))
        if failed or os.fstat(fd).st_size == 0:
            os.close(fd)
            return None
        seal(fd)
    except (OSError, RuntimeError):
        with suppress(OSError):
            os.close(fd)
        return None
    finally:
        logger.setLevel(level)
    return ReadingCopy(fd)
