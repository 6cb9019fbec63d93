"""The project's measure of draft quality (issue 15, SPEC §9) on ../shared/data.

Each file stands in for one institution. A fixed, seeded test part (``--n`` pairs, default
100; a file too small for a separate corpus, cov_ctr, is tested whole, leave-one-out) is
drafted by `radval batch`'s own code (``evaluation.batch.run_model``, the window's pipeline)
twice:

(a) no user corpus: the pipeline's starter examples, as on a fresh install;
(b) the rest of the file as the corpus, k=3 retrieved examples, never the case itself or a
    near copy of it (the pipeline's rule, ``safety.retrieval.near_duplicate``).

Beside them, on the same pairs, two baselines: the nearest-neighbour copy (the impression of
the most similar pair in the corpus, same exclusion rule) and copy-the-findings. For each:
ROUGE-1/2/L F1 (jieba words for Chinese), the share of drafts shown that are dangerous
(restated, called normal, wrong side, negation flipped: ``safety.danger``, the checks the
window shows) per kind, the share not usable (the guards refused every attempt), and the
median and p90 seconds per draft. Prints; asserts nothing.

    python bench/quality.py [--n 100] [--files openi,cov] [--runs a,b] [--template t1_terse]
                            [--show 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared_data import SKIPPED, Pair, find_data_dir, load_pairs, use_bench_cache  # noqa: E402

from radval_desktop.engine.default_model import default_model_path  # noqa: E402
from radval_desktop.engine.gguf_file import read_gguf  # noqa: E402
from radval_desktop.engine.reading_copy import wants_bf16_copy  # noqa: E402
from radval_desktop.evaluation.batch import run_model  # noqa: E402
from radval_desktop.evaluation.rouge import score  # noqa: E402
from radval_desktop.safety import retrieval  # noqa: E402
from radval_desktop.safety.danger import DANGER_KINDS, dangers  # noqa: E402
from radval_desktop.store.database import open_database  # noqa: E402
from radval_desktop.store.evaluation_runs import NewCase, save_cases  # noqa: E402

SEED = 20261130
K = 3
# A file with fewer pairs than this is tested whole, each case's corpus being the others.
LEAVE_ONE_OUT_BELOW = 200


@dataclass(frozen=True)
class Drafted:
    pair: Pair
    text: str  # "" when not usable
    ok: bool
    seconds: float


def split(pairs: list[Pair], n: int, seed: int = SEED) -> tuple[list[Pair], list[Pair]]:
    """(test, corpus): a seeded test part independent of line order; small files whole."""
    ordered = sorted(pairs, key=lambda p: p.id)
    if len(ordered) < LEAVE_ONE_OUT_BELOW:
        return ordered, ordered
    test = random.Random(seed).sample(ordered, min(n, len(ordered)))
    chosen = {p.id for p in test}
    return test, [p for p in ordered if p.id not in chosen]


def build_corpus(pairs: list[Pair], path: Path, institution: str) -> retrieval.ExampleCorpus:
    corpus = retrieval.ExampleCorpus(open_database(path), path)
    corpus.add_many(retrieval.Pair(p.findings, p.impression, p.body_system, p.modality,
                                   p.language, institution, "bench") for p in pairs)
    return corpus


def draft_all(model: Path, test: list[Pair], folder: Path, name: str, institution: str,
              corpus: retrieval.ExampleCorpus | None, template: str | None = None
              ) -> list[Drafted]:
    """Draft every test pair through `radval batch`'s run_model; keep text, ok and time."""
    db = open_database(folder / f"{name}.db")
    cases = [NewCase(institution=institution, body_system=p.body_system, modality=p.modality,
                     language=p.language, findings=p.findings, reference_impression=p.impression,
                     source_id=p.id, source_file=p.file, source_line=i)
             for i, p in enumerate(test, 1)]
    ids = save_cases(db, cases)

    def progress(done: object) -> None:
        print(f"\r  {name}: {done.done}/{done.total}", end="", file=sys.stderr,  # type: ignore[attr-defined]
              flush=True)

    run_model(db, model, cases, ids, template_id=template, examples_k=K if corpus else 0,
              corpus=corpus, on_progress=progress)
    print(file=sys.stderr)
    rows = {r["case_uuid"]: r for r in db.query("SELECT case_uuid, text, ok, seconds "
                                                 "FROM candidates")}
    db.close()
    return [Drafted(p, rows[c]["text"] or "", bool(rows[c]["ok"]), rows[c]["seconds"] or 0.0)
            for p, c in zip(test, ids, strict=True) if c in rows]


def baseline(test: list[Pair], corpus: retrieval.ExampleCorpus | None, kind: str
             ) -> list[Drafted]:
    out = []
    for pair in test:
        if kind == "copy findings":
            text = pair.findings
        else:
            assert corpus is not None
            near = corpus.similar(pair.findings, pair.body_system, 1,
                                  exclude_near=pair.findings)
            text = near[0].impression if near else ""
        out.append(Drafted(pair, text, bool(text), 0.0))
    return out


def row(label: str, drafted: list[Drafted], timed: bool) -> str:
    shown = [d for d in drafted if d.ok and d.text]
    scores = [score(d.text, d.pair.impression, d.pair.language) for d in drafted]

    def mean(values: list[float]) -> float:
        return statistics.mean(values) if values else 0.0

    kinds: Counter[str] = Counter()
    dangerous = 0
    for d in shown:
        found = dangers(d.pair.findings, d.text, d.pair.language)
        kinds.update(found)
        dangerous += bool(found)
    share = 100 / max(len(shown), 1)
    seconds = sorted(d.seconds for d in drafted)
    timing = (f"{statistics.median(seconds):.2f} / {seconds[int(0.9 * (len(seconds) - 1))]:.2f}"
              if timed and seconds else "—")
    per_kind = " / ".join(f"{kinds[k] * share:.0f}" for k in DANGER_KINDS)
    not_usable = 100 * (len(drafted) - len(shown)) / max(len(drafted), 1)
    return (f"| {label} | {mean([s.rouge1.f1 for s in scores]):.3f} "
            f"| {mean([s.rouge2.f1 for s in scores]):.3f} "
            f"| {mean([s.rougeL.f1 for s in scores]):.3f} | {dangerous * share:.1f}% "
            f"| {per_kind} | {not_usable:.0f}% | {timing} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="folder of *.jsonl (default: ../shared/data)")
    parser.add_argument("--n", type=int, default=100, help="test pairs per larger file")
    parser.add_argument("--files", help="comma-separated name prefixes (default: all)")
    parser.add_argument("--runs", default="a,b", help="a = starter examples, b = corpus k=3")
    parser.add_argument("--model", help="GGUF (default: the embedded default model)")
    parser.add_argument("--template", help="prompt template id (default: the file's default)")
    parser.add_argument("--show", type=int, default=0, help="print N drafts per file and run")
    args = parser.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print(SKIPPED)
        return 0
    use_bench_cache()
    model = Path(args.model) if args.model else default_model_path()
    runs = args.runs.split(",")
    files = sorted(data.glob("*.jsonl"))
    if args.files:
        files = [f for f in files if any(f.stem.startswith(x) for x in args.files.split(","))]
    started = time.perf_counter()
    tables = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for path in files:
            test, corpus_pairs = split(load_pairs(path), args.n)
            corpus = build_corpus(corpus_pairs, folder / f"{path.stem}-corpus.db", path.stem)
            how = "all pairs, leave-one-out" if test is corpus_pairs or len(test) == len(
                corpus_pairs) else f"{len(test)} test, {len(corpus_pairs)} corpus"
            lines = [f"\n### {path.stem} ({how}; seed {SEED})\n",
                     "| drafts | R-1 | R-2 | R-L | dangerous | "
                     + " / ".join(DANGER_KINDS) + " (%) | not usable | s median / p90 |",
                     "| --- |" + " --- |" * 7]
            for run in runs:
                label = ("(a) starter examples, no corpus" if run == "a"
                         else f"(b) corpus, k={K}")
                drafted = draft_all(model, test, folder, f"{path.stem}-{run}", path.stem,
                                    None if run == "a" else corpus, args.template)
                lines.append(row(label, drafted, timed=True))
                for d in drafted[: args.show]:
                    print(f"[{path.stem} {run}] {d.pair.findings[:120]!r}\n   -> {d.text!r}"
                          f"\n   ref {d.pair.impression!r}", file=sys.stderr)
            lines.append(row("nearest-neighbour copy", baseline(test, corpus, "nn"), False))
            lines.append(row("copy the findings", baseline(test, None, "copy findings"), False))
            corpus.db.close()
            tables.append("\n".join(lines))
            print(tables[-1], flush=True)
    copy = wants_bf16_copy(read_gguf(model), on_cpu=True, enabled=True)
    print(f"\n{time.perf_counter() - started:.0f} s in all; model {model.name}; CPU, "
          "the engine's default threads; read "
          + ("from a BF16 copy in memory (engine/reading_copy.py)" if copy else "as it is"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
