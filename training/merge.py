"""The `merge` step: the base reloaded in full precision with the adapter merged into it.

Never onto the 4-bit weights training used: merging into NF4 would round the LoRA update
into the quantization grid and then quantize again at export.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from training.errors import TrainingError
from training.gguf_base import with_hf_base
from training.modeling import adapter_trains_embeddings, base_dir, go_offline, torch_dtype
from training.recipe import Recipe
from training.run_folder import RunFolder, sha256_files

# Files a tokenizer may consist of (SentencePiece, BPE, tiktoken, chat templates): copied
# byte for byte, because llama.cpp's converter reads them and a re-save by transformers can
# drop tokenizer.model or rewrite the chat template.
_TOKENIZER_FILES = ("tokenizer.model", "tokenizer.json", "tokenizer_config.json",
                    "special_tokens_map.json", "added_tokens.json", "chat_template.jinja",
                    "chat_template.json", "vocab.json", "merges.txt", "vocab.txt",
                    "*.tiktoken", "tokenizer.*")


def copy_tokenizer_files(source: Path, target: Path) -> list[str]:
    copied = []
    for pattern in _TOKENIZER_FILES:
        for path in sorted(source.glob(pattern)):
            if path.is_file() and path.name not in copied:
                # Bytes only: copy2 would carry the base's 0644 into an owner-only run.
                shutil.copyfile(path, target / path.name)
                copied.append(path.name)
    return copied


def _saved_dtype(base: Path, wanted: str) -> str:
    if wanted != "auto":
        return wanted
    config = json.loads((base / "config.json").read_text(encoding="utf-8"))
    name = str(config.get("dtype") or config.get("torch_dtype") or "float32")
    return name if name in ("float32", "float16", "bfloat16") else "float32"


MERGE_FORMAT = "untied-output-2"


def untie_output_layer(model: Any) -> bool:
    """Give the output layer its own copy of the embeddings' weights; True if they were shared.

    Stage one's LoRA is on the input embeddings only, so the trained model's output layer is
    the base's. Merged into a tensor the output layer shares (Qwen2.5 0.5B-3B, Llama 3.2,
    Gemma), the update would move the output layer too: the exported model would not be the
    one trained (issue 16; PEFT warns of it). Untied, the merged model and its GGUF carry a
    separate output.weight, equal to the base's.
    """
    import torch

    inputs, outputs = model.get_input_embeddings(), model.get_output_embeddings()
    if outputs is None or outputs.weight is not inputs.weight:
        return False
    outputs.weight = torch.nn.Parameter(inputs.weight.detach().clone(),
                                        requires_grad=inputs.weight.requires_grad)
    for config in {id(c): c for c in (model.config, model.config.get_text_config())}.values():
        config.tie_word_embeddings = False
    return True


def merge(recipe: Recipe, run: RunFolder, force: bool = False) -> dict[str, Any]:
    started = time.time()
    adapter = run.adapter
    if not (adapter / "adapter_config.json").is_file():
        raise TrainingError(f"No trained adapter in {adapter}: run `python -m training train`.")
    # A GGUF base: merged into its dequantized copy (run.json keeps the recipe's own path).
    base = base_dir(with_hf_base(recipe, run).model)
    # MERGE_FORMAT: a merge made before tied output layers were kept is redone (issue 16).
    inputs = hashlib.sha256((sha256_files(sorted(adapter.iterdir())) + str(base.resolve())
                             + json.dumps(recipe.as_dict()["merge"]) + MERGE_FORMAT
                             ).encode()).hexdigest()
    previous = run.step_record("merge")
    if (not force and previous and run.is_done("merge", inputs)
            and (run.merged / "config.json").is_file()):
        return dict(previous["summary"], skipped=True)

    go_offline()
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(
        base, dtype=torch_dtype(recipe.merge.dtype), local_files_only=True,
        trust_remote_code=recipe.model.trust_remote_code)
    # Only an embeddings LoRA moves a shared tensor; otherwise a copy would only add size.
    untied = adapter_trains_embeddings(adapter, recipe.train) and untie_output_layer(model)
    merged = PeftModel.from_pretrained(model, str(adapter)).merge_and_unload()
    save_dtype = _saved_dtype(base, recipe.merge.save_dtype)
    merged = merged.to(torch_dtype(save_dtype))
    tmp = run.merged.with_name(run.merged.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    merged.save_pretrained(str(tmp))
    copied = copy_tokenizer_files(base, tmp)
    shutil.rmtree(run.merged, ignore_errors=True)
    tmp.rename(run.merged)
    summary = {"base": str(base), "adapter": str(adapter), "merge_dtype": recipe.merge.dtype,
               "saved_dtype": save_dtype, "tokenizer_files": copied,
               "untied_output_layer": untied,
               "parameters": sum(p.numel() for p in merged.parameters())}
    run.record("merge", recipe, inputs, started, summary)
    return summary
