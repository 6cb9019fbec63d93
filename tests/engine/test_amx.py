"""Intel AMX: llama.cpp built for a processor with AMX repacks K-quant weights into its AMX
buffer, and its AMX matrix product then crashes the process (SIGSEGV in
ggml_backend_amx_mul_mat on a Xeon with AMX_INT8, session 9; ggml-org/llama.cpp#20824).
RadVal keeps the weights in plain CPU memory where the build has AMX."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from radval_desktop.engine.backends import amx_in_build, weights_in_plain_memory

AMX = "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_BF16 = 1 | AMX_INT8 = 1 | REPACK = 1 |"
PLAIN = "CPU : AVX2 = 1 | AVX512 = 1 | AVX512_BF16 = 1 | REPACK = 1 |"


def test_amx_is_read_from_the_builds_features() -> None:
    assert amx_in_build(AMX)
    assert not amx_in_build(PLAIN)
    assert not amx_in_build("CPU : AMX_INT8 = 0 |")


def test_a_build_with_amx_loads_weights_without_extra_buffers() -> None:
    from llama_cpp import llama_cpp as bindings

    assert bindings.llama_model_default_params().use_extra_bufts
    with weights_in_plain_memory(AMX):
        assert not bindings.llama_model_default_params().use_extra_bufts
    assert bindings.llama_model_default_params().use_extra_bufts  # put back after the load
    with weights_in_plain_memory(PLAIN):  # elsewhere the repacked weights stay (faster)
        assert bindings.llama_model_default_params().use_extra_bufts


@pytest.mark.slow
def test_the_k_quant_file_itself_drafts_on_this_processor(default_model_path: Path) -> None:
    """The default model read as it is (Q4_K_M, no BF16 copy), as a model too large for the
    copy always is. In a process of its own: a crash here is a failed test, not a lost run.
    On a processor with AMX this crashed before RadVal kept the weights out of its buffer."""
    script = (
        "import sys\n"
        "from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine\n"
        "from radval_desktop.engine.sampling import Sampling\n"
        "engine = LlamaEngine(sys.argv[1], EngineSettings(bf16_copy=False, n_threads=1))\n"
        "engine.load()\n"
        "print(''.join(engine.stream('The chest CT shows', "
        "Sampling(max_tokens=8, temperature=0.0))))\n")
    done = subprocess.run([sys.executable, "-c", script, str(default_model_path)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip()
