"""Headless QLoRA fine-tuning from institution exports to a GGUF the app runs (SPEC §4).

Never imports Qt. torch, transformers, peft and bitsandbytes are imported inside the
functions that need them, so data preparation runs (and is tested) without them.
"""
