"""`export-adapter`: the trained PEFT adapter as a GGUF LoRA (llama.cpp's convert_lora_to_gguf).

llama.cpp applies such a file on top of the base model's GGUF (`Llama(lora_path=...)`), so
one base can serve several institutions' adapters. The adapter holds stage one's LoRA on
the embeddings as lora_embedding_A/B, which the converter maps to token_embd.lora_a/b.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from radval_desktop.engine.checksums import sha256_file
from radval_desktop.engine.gguf_file import read_gguf
from training.converter import require_converter
from training.errors import TrainingError
from training.export import OUTTYPES, model_name, write_card
from training.gguf_base import TIED_ADAPTER, is_tied, with_hf_base
from training.modeling import adapter_has_full_embeddings, adapter_trains_embeddings, base_dir
from training.recipe import Recipe
from training.run_folder import RunFolder, owner_only


def export_adapter(recipe: Recipe, run: RunFolder, adapter: Path | None = None,
                   outfile: Path | None = None) -> dict[str, Any]:
    """Convert ``adapter`` (default: the run's trained one) against the recipe's base."""
    # Owner-only when called from Python too, not only through `python -m training`: the
    # adapter was trained on patients' reports (issue 17).
    with owner_only():
        return _export_adapter(recipe, run, adapter, outfile)


def _export_adapter(recipe: Recipe, run: RunFolder, adapter: Path | None,
                    outfile: Path | None) -> dict[str, Any]:
    started = time.time()
    adapter = adapter or run.adapter
    if not (adapter / "adapter_config.json").is_file():
        raise TrainingError(f"No PEFT adapter in {adapter}: run `python -m training train`.")
    if adapter_has_full_embeddings(adapter, recipe.train):
        raise TrainingError(
            f"The adapter in {adapter} holds a retrained whole embedding matrix (the paper's "
            "stage one, train.embeddings=full), which a LoRA adapter applied on the quantized "
            "base cannot carry: use `python -m training merge` and `export` for this run, or "
            "train the adapter again with --set train.embeddings=lora.")
    outtype = recipe.export.outtype
    if outtype not in OUTTYPES:
        raise TrainingError(f"export.outtype must be one of {', '.join(OUTTYPES)}.")
    converter = require_converter()
    outfile = outfile or run.export / f"{model_name(recipe)}-lora-{outtype}.gguf"
    outfile.parent.mkdir(parents=True, exist_ok=True)
    tmp = outfile.with_name(f".{outfile.name}.converting")
    tmp.unlink(missing_ok=True)
    # --base: the base's config (and nothing else) so no hub lookup is attempted.
    hf = with_hf_base(recipe, run)  # a GGUF base: the config of its dequantized copy
    if adapter_trains_embeddings(adapter, recipe.train) and is_tied(base_dir(hf.model)):
        raise TrainingError(TIED_ADAPTER.format(
            name=Path(recipe.model.base).name,
            fix="Use `python -m training merge` and `export` for this model, or train the "
                "adapter with --set train.stage_one_fraction=0."))
    # "auto" makes convert_lora_to_gguf guess from the tensors, and its guess calls .dim() on
    # its own LoRA tensors, which have none (llama.cpp for llama-cpp-python 0.3.36: every
    # adapter failed). An adapter is small: auto means f16 here, which llama.cpp applies as is.
    lora_outtype = "f16" if outtype == "auto" else outtype
    converter.run(converter.lora_script, [str(adapter), "--base", str(base_dir(hf.model)),
                                          "--outfile", str(tmp), "--outtype", lora_outtype])
    os.replace(tmp, outfile)
    info = read_gguf(outfile)
    # A card beside the adapter, as beside a merged model: the app reads it for the prompt
    # the adapter was trained with, and it names the base (for a GGUF base, by sha256) that
    # the adapter applies to.
    checked = {"architecture": info.architecture, "quantization": info.quantization,
               "kind": "LoRA adapter", "tensors": info.tensor_count, "size": info.file_size}
    card = write_card(recipe, run, outfile, checked,
                      {"converter": f"llama.cpp from llama-cpp-python {converter.version}",
                       "outtype": lora_outtype})
    return {"adapter_gguf": str(outfile), "card": str(card), "size": outfile.stat().st_size,
            "sha256": sha256_file(outfile), "seconds": round(time.time() - started, 2)}

