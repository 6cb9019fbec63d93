"""Sampling settings for a draft and how a retry changes them."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Sampling:
    # Greedy by default: a radiologist expects the same findings to give the same draft,
    # and small quantized models drift at the paper's temperature 1.0 (§3.4).
    temperature: float = 0.0
    top_k: int = 50  # paper §3.4
    top_p: float = 1.0  # paper §3.4
    # A mild penalty stops most "双肺双肺双肺" loops before the guard has to retry.
    repeat_penalty: float = 1.1
    max_tokens: int = 512  # paper §3.4: max new tokens
    seed: int = 42


def retry_sampling(base: Sampling, attempt: int) -> Sampling:
    """Sampling for retry ``attempt`` (1, 2, ...): leave the greedy path, penalize repeats.

    SPEC §5: an empty or looping output is retried "with changed sampling".
    """
    if attempt <= 0:
        return base
    return replace(
        base,
        temperature=max(base.temperature, 0.5) + 0.2 * (attempt - 1),
        top_k=max(base.top_k, 40),
        top_p=min(base.top_p, 0.95),
        repeat_penalty=max(base.repeat_penalty, 1.1) + 0.1 * attempt,
        seed=base.seed + attempt,
    )
