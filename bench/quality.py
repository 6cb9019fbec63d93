"""Draft quality of a model on ../shared/data: R-1/R-2/R-L per file, as the paper's tables.

A fixed, seeded sample per file (each file stands in for one institution), drafted with the
product's defaults (template, greedy sampling, guards). Prints the tables of
`radval report`; asserts nothing.

    python bench/quality.py [--n 100] [--model path.gguf] [--template t2_numbered]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared_data import SKIPPED, find_data_dir, load_engine, load_pairs, sample  # noqa: E402

from radval_desktop.drafting import DraftRequest, draft  # noqa: E402
from radval_desktop.errors import InputError  # noqa: E402
from radval_desktop.evaluation.tables import Output, paper_tables  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="folder of *.jsonl (default: ../shared/data)")
    parser.add_argument("--n", type=int, default=100, help="pairs per file (seeded sample)")
    parser.add_argument("--seed", type=int, default=20261123)
    parser.add_argument("--model", help="GGUF (default: the embedded default model)")
    parser.add_argument("--template", help="prompt template id (default: the file's default)")
    args = parser.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print(SKIPPED)
        return 0
    engine = load_engine(args.model)
    assert engine.info is not None
    info = engine.info
    outputs: list[Output] = []
    started = time.perf_counter()
    for path in sorted(data.glob("*.jsonl")):
        pairs = sample(load_pairs(path), args.n, args.seed)
        for number, pair in enumerate(pairs, 1):
            request = DraftRequest(pair.findings, pair.body_system, pair.modality,
                                   pair.language, args.template)
            try:
                result = draft(engine, request)
            except InputError as err:
                print(f"  {path.name} {pair.id}: refused: {err}")
                continue
            outputs.append(Output(
                model=info.name, institution=path.stem, body_system=pair.body_system,
                language=pair.language, candidate=result.text, reference=pair.impression,
                seconds=result.total_seconds, ok=result.ok, attempts=len(result.attempts),
                empty_attempts=sum(a.verdict == "empty" for a in result.attempts),
                repetition_attempts=sum(a.verdict == "repetition" for a in result.attempts),
                parameters=info.parameters))
            print(f"\r  {path.name}: {number}/{len(pairs)}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    elapsed = time.perf_counter() - started
    print(f"{len(outputs)} drafts in {elapsed:.0f} s "
          f"(median {statistics.median(o.seconds for o in outputs):.2f} s per impression)\n")
    first = sorted(data.glob("*.jsonl"))[0].stem
    for table in paper_tables(outputs, first):
        print(table.to_markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
