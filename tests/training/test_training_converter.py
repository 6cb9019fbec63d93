"""llama.cpp's converters from the installed llama-cpp-python's sdist; the LoRA export."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from training_helpers import MODEL_CACHE

from radval_desktop.engine.gguf_file import read_gguf
from training.converter import (
    Converter,
    _unpack,
    converter_home,
    fetch_converter,
    installed_version,
    require_converter,
)
from training.errors import ConverterMissing


def test_converter_matches_the_installed_llama_cpp(converter: Converter) -> None:
    assert converter.version == installed_version() == "0.3.36"
    assert converter.root == MODEL_CACHE / "llama.cpp-converter" / "0.3.36"
    assert converter.hf_script.is_file()
    assert converter.lora_script.is_file()
    assert (converter.root / "conversion" / "llama.py").is_file()
    assert (converter.gguf_py / "gguf" / "lazy.py").is_file()


def test_fetch_again_is_instant_and_offline(converter: Converter,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    def no_pip(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("pip was called although the converter is there")

    monkeypatch.setattr(subprocess, "run", no_pip)
    found, fetched = fetch_converter()
    assert found == converter
    assert not fetched


def test_a_missing_converter_says_what_to_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              trained_run: dict[str, Any]) -> None:
    from training.export import export

    monkeypatch.setenv("RADVAL_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(ConverterMissing, match=r"Run once.*`python -m training "
                                               r"fetch-converter`"):
        require_converter()
    with pytest.raises(ConverterMissing, match=str(converter_home())):
        export(trained_run["recipe"], trained_run["run"], force=True)


def test_unpacking_takes_only_the_converters_and_nothing_outside(tmp_path: Path) -> None:
    archive = tmp_path / "sdist.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        def add(name: str, data: bytes = b"x", kind: bytes = tarfile.REGTYPE,
                link: str = "") -> None:
            info = tarfile.TarInfo(name)
            info.size, info.type, info.linkname = len(data), kind, link
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)

        add("pkg-0.3.36/vendor/llama.cpp/convert_hf_to_gguf.py")
        add("pkg-0.3.36/vendor/llama.cpp/gguf-py/gguf/__init__.py")
        add("pkg-0.3.36/vendor/llama.cpp/ggml/src/ggml.c")  # not wanted
        add("pkg-0.3.36/vendor/llama.cpp/conversion/../../../../evil.py")
        add("pkg-0.3.36/vendor/llama.cpp/conversion/link", kind=tarfile.SYMTYPE,
            link="/etc/passwd")
    target = tmp_path / "out"
    with pytest.raises(tarfile.TarError):  # the escaping member is refused outright
        _unpack(archive, target)
    assert not (tmp_path / "evil.py").exists()
    assert not (target / "ggml").exists()


@pytest.fixture(scope="module")
def base_gguf(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path,
              converter: Converter) -> Path:
    from training.export import convert

    return convert(converter, tiny_base, tmp_path_factory.mktemp("base-gguf"), "tiny", "f32")


def test_adapter_exports_to_a_gguf_lora_llama_cpp_applies(
        trained_run: dict[str, Any], base_gguf: Path) -> None:
    """base GGUF + the GGUF LoRA (stage one's embeddings LoRA included) through the app's
    adapter code == the merged model, logit for logit."""
    from llama_cpp import Llama
    from test_training_end_to_end import _hf_logits
    from transformers import AutoTokenizer

    from radval_desktop.engine.adapters import attach_adapter, is_adapter
    from training.adapter_export import export_adapter

    run = trained_run["run"]
    result = export_adapter(trained_run["recipe"], run)
    adapter = Path(result["adapter_gguf"])
    info = read_gguf(adapter)
    assert is_adapter(info)
    assert info.get("adapter.lora.alpha") == 16
    tokenizer = AutoTokenizer.from_pretrained(str(run.merged), local_files_only=True)
    ids = tokenizer("检查所见：右肺上叶磨玻璃结节。诊断意见：Small nodule.")["input_ids"]
    llm = Llama(model_path=str(base_gguf), n_ctx=256, n_threads=1, logits_all=True,
                verbose=False)
    try:
        attach_adapter(llm, adapter)
        llm.eval(ids)
        with_lora = np.array(llm.scores[: len(ids)])
    finally:
        llm.close()
    merged = _hf_logits(run.merged, ids)
    base = _hf_logits(Path(trained_run["recipe"].model.base), ids)
    assert float(np.abs(merged - base).max()) > 1e-2  # the adapter changes the model
    diff = float(np.abs(with_lora - merged).max())
    print(f"adapter GGUF: {result['size']} bytes; base+LoRA vs merged max abs diff {diff:.2e}")
    assert diff < 1e-3
