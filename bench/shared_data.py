"""Locating and sampling the real report pairs in ../shared/data (never copied into the repo)."""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
# The data's licences forbid copying it into the project (../shared/data/README.md), so
# benchmarks read it where it lies: next to the checkout, or the shared mount.
CANDIDATE_DIRS = (REPO.parent / "shared" / "data", Path("/work/shared/data"))
# A persistent cache (the 491 MB assembled default model, jieba's cache), the one the tests
# use, so a benchmark does not rebuild it in a temporary folder each run.
BENCH_CACHE = REPO / ".cache" / "test-models"

# The data's modality labels -> the prompt's: a CT+MR case is prompted as its first modality.
MODALITY = {"CT": "CT", "MR": "MRI", "MRI": "MRI", "CT+MR": "CT", "XR": "XR"}


@dataclass(frozen=True)
class Pair:
    id: str
    file: str
    findings: str
    impression: str
    language: str
    modality: str  # as the prompt wants it: CT, MRI or XR
    body_system: str


def use_bench_cache() -> None:
    os.environ.setdefault("RADVAL_CACHE", str(BENCH_CACHE))


def find_data_dir(given: str | None = None) -> Path | None:
    candidates = (Path(given),) if given else CANDIDATE_DIRS
    for candidate in candidates:
        if candidate.is_dir() and any(candidate.glob("*.jsonl")):
            return candidate
    return None


def load_pairs(path: Path) -> list[Pair]:
    pairs = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            pairs.append(Pair(
                id=row["id"], file=path.name, findings=row["findings"],
                impression=row["impression"], language=row["language"],
                modality=MODALITY.get(row["modality"], row["modality"]),
                body_system=row["body_system"],
            ))
    return pairs


def sample(pairs: list[Pair], n: int, seed: int) -> list[Pair]:
    """A seeded sample, independent of the file's line order."""
    ordered = sorted(pairs, key=lambda p: p.id)
    return random.Random(seed).sample(ordered, min(n, len(ordered)))


SKIPPED = "Skipped: ../shared/data is not here (it is not shipped with the project)."


def load_engine(model: str | None) -> Any:  # a LlamaEngine; imported late (light benches)
    """The given GGUF, else the embedded default model, loaded; prints what runs where."""
    from radval_desktop.engine.default_model import default_model_path
    from radval_desktop.engine.llama_engine import LlamaEngine

    use_bench_cache()
    engine = LlamaEngine(Path(model) if model else default_model_path())
    info = engine.load()
    print(f"{info.name} {info.quantization}, {info.device.describe()}, threads {info.threads}")
    return engine
