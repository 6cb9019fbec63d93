"""Issue 11: the adapter `training` exports (llama.cpp's convert_lora_to_gguf) attaches to its
base model in the app's engine, changes what it writes, is listed by the Models catalog
beside its base, and is recorded in the model info a draft keeps.

Here, under tests/training, because it needs the session's trained run (conftest.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from radval_desktop.engine.catalog import CatalogSettings, scan_models
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.memory import Memory
from radval_desktop.engine.sampling import Sampling

PROMPT = "<|user|>\n右肺上叶见磨玻璃结节。\n<|assistant|>\n"
GREEDY = Sampling(temperature=0.0, max_tokens=16, repeat_penalty=1.0)


def _tokens(model: Path, adapter: Path | None = None) -> tuple[str, LlamaEngine]:
    engine = LlamaEngine(model, EngineSettings(n_ctx=256, n_threads=1,
                                               adapter_path=str(adapter) if adapter else None))
    engine.load()
    try:
        return "".join(engine.stream(PROMPT, GREEDY)), engine
    finally:
        engine.close()


@pytest.mark.slow
def test_trained_adapter_attaches_to_its_base_and_changes_the_output(
        trained_run: dict[str, Any], tiny_base: Path, converter: Any, tmp_path: Path) -> None:
    from training.adapter_export import export_adapter
    from training.export import convert

    folder = tmp_path / "models"
    exported = export_adapter(trained_run["recipe"], trained_run["run"],
                              outfile=folder / "hospital-h1-lora-f32.gguf")
    adapter = Path(exported["adapter_gguf"])
    base = convert(converter, tiny_base, folder, "tiny-base", "f32")

    plain, _ = _tokens(base)
    started = time.perf_counter()
    adapted, engine = _tokens(base, adapter)
    seconds = time.perf_counter() - started
    merged, _ = _tokens(Path(trained_run["export"]["model"]).with_name(
        trained_run["export"]["unquantized"]))
    print(f"adapter {adapter.stat().st_size} bytes, load+attach+draft {seconds:.2f} s\n"
          f"base:    {plain!r}\nadapter: {adapted!r}\nmerged:  {merged!r}")
    assert adapted != plain
    info = engine.info
    assert info is not None
    assert info.adapter is not None
    assert info.adapter.sha256 == exported["sha256"]
    assert info.adapter.name == "hospital-h1-lora-f32"

    catalog = scan_models(CatalogSettings(folders=(folder,), include_default=False),
                          memory=Memory("RAM", 16 * 10**9))
    [listed_base] = catalog.models
    assert [a.path for a in catalog.adapters_for(listed_base)] == [adapter]
