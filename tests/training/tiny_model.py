"""A tiny random Llama (~200k parameters) with a SentencePiece tokenizer trained here.

The tokenizer is what Llama-2 ships: a SentencePiece BPE model (tokenizer.model) with byte
fallback, so llama.cpp's converter reads it as an SPM vocabulary with its real scores and
tokenizes exactly as transformers does (a `tokenizers`-trained BPE goes through the
converter with every score at -1000 and splits words differently; a GPT-2-style one is
refused). max_sentencepiece_length 4 keeps tokens short: one token per sentence gives NaN
losses (ENVIRONMENT.md).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from pathlib import Path

# A chat template, so that training and drafting go through the model's own template
# (render_prompt) rather than the plain layout.
CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)


def build_tokenizer(texts: Iterable[str], out: Path, vocab_size: int = 1000) -> None:
    import sentencepiece as spm
    from transformers import AutoTokenizer

    model = io.BytesIO()
    # Llama-2's trainer settings (identity normalization, dummy prefix, digits split, byte
    # fallback), at toy size.
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(texts)), model_writer=model, model_type="bpe",
        vocab_size=vocab_size, byte_fallback=True, character_coverage=1.0,
        max_sentencepiece_length=4, unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        split_digits=True, add_dummy_prefix=True, normalization_rule_name="identity",
        remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
        hard_vocab_limit=False, minloglevel=2)
    (out / "tokenizer.model").write_bytes(model.getvalue())
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "LlamaTokenizer", "bos_token": "<s>", "eos_token": "</s>",
        "unk_token": "<unk>", "add_bos_token": True, "add_eos_token": False}), encoding="utf-8")
    tokenizer = AutoTokenizer.from_pretrained(str(out))  # converted to a fast tokenizer here
    tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(str(out))


def build_model(out: Path, vocab_size: int, seed: int = 0, tied: bool = False) -> int:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=64, intermediate_size=128,
                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048, tie_word_embeddings=tied,
                         bos_token_id=1, eos_token_id=2, rms_norm_eps=1e-6)
    model = LlamaForCausalLM(config)
    model.save_pretrained(str(out))
    return sum(p.numel() for p in model.parameters())


def build_tiny_llama(out: Path, texts: Iterable[str], tied: bool = False) -> Path:
    """``tied``: the output layer shares the embeddings' tensor, as in Qwen2.5 0.5B-3B,
    Llama 3.2 1B/3B and Gemma (issue 16)."""
    from transformers import AutoTokenizer

    out.mkdir(parents=True, exist_ok=True)
    build_tokenizer(texts, out)
    vocab = len(AutoTokenizer.from_pretrained(str(out)))
    build_model(out, vocab, tied=tied)
    return out
