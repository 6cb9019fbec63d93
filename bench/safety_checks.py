"""Safety checks on ../shared/data: recall on injected side swaps and negation flips, false flags.

Each real impression is checked untouched (any flag there is a false flag: the
radiologist wrote it), then with its sides swapped (左<->右, left<->right) and with one
finding's negation flipped; a swap or flip counts as caught when a new flag of its kind
appears. Prints per file; asserts nothing, times included.

    python bench/safety_checks.py [--data DIR]
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared_data import Pair, find_data_dir, load_pairs  # noqa: E402

from radval_desktop.safety.checks import (  # noqa: E402
    KINDS,
    LATERALITY,
    NEGATION,
    mentions,
    run_checks,
)
from radval_desktop.safety.terms import bundled_terms  # noqa: E402

_SWAP = {"左": "右", "右": "左", "left": "right", "right": "left", "Left": "Right",
         "Right": "Left", "LEFT": "RIGHT", "RIGHT": "LEFT"}
_SIDE = re.compile(r"左|右|\b(?:left|right)\b", re.IGNORECASE)


def swap_sides(text: str) -> str | None:
    if not _SIDE.search(text):
        return None
    return _SIDE.sub(lambda m: _SWAP.get(m.group(0), _SWAP.get(m.group(0).lower(), "")), text)


def flip_negation(text: str, language: str) -> tuple[str, bool] | None:
    """The impression with its first term's negation flipped; and whether the findings name it."""
    lex = bundled_terms().lexicons[language]
    found = mentions(text, lex)
    if not found:
        return None
    first = found[0]
    if not first.negated:
        cue = "未见" if language == "zh" else "no "
        return text[:first.span.start] + cue + text[first.span.start:], True
    cues = [m for m in lex.negation.finditer(text, 0, first.span.start)]
    if not cues:
        return None  # negated by a cue after the term: leave it
    cue = cues[-1]
    return text[:cue.start()] + text[cue.end():].lstrip(), True


def new_kinds(pair: Pair, impression: str, before: set[str]) -> set[str]:
    flags = run_checks(pair.findings, impression, pair.language)
    return {f.kind for f in flags if f.key not in before}


def bench_file(path: Path) -> None:
    pairs = load_pairs(path)
    false = dict.fromkeys(KINDS, 0)
    any_false = 0
    swapped = caught_swaps = flipped = caught_flips = flipped_named = caught_named = 0
    times: list[float] = []
    lexicons = bundled_terms().lexicons
    for pair in pairs:
        started = time.perf_counter()
        flags = run_checks(pair.findings, pair.impression, pair.language)
        times.append(time.perf_counter() - started)
        keys = {f.key for f in flags}
        for kind in {f.kind for f in flags}:
            false[kind] += 1
        any_false += bool(flags)
        swap = swap_sides(pair.impression)
        if swap is not None:
            swapped += 1
            caught_swaps += LATERALITY in new_kinds(pair, swap, keys)
        flip = flip_negation(pair.impression, pair.language)
        if flip is not None:
            flipped += 1
            caught = NEGATION in new_kinds(pair, flip[0], keys)
            caught_flips += caught
            # Only a finding the findings also name can contradict them.
            first = mentions(pair.impression, lexicons[pair.language])[0].concept
            if any(m.concept == first for m in mentions(pair.findings, lexicons[pair.language])):
                flipped_named += 1
                caught_named += caught
    n = len(pairs)
    print(f"\n{path.name}: {n} pairs, checks {statistics.mean(times) * 1000:.2f} ms mean, "
          f"{max(times) * 1000:.2f} ms max")
    print(f"  laterality swaps caught: {_rate(caught_swaps, swapped)}")
    print(f"  negation flips caught:   {_rate(caught_flips, flipped)} "
          f"(where the findings name the term: {_rate(caught_named, flipped_named)})")
    print(f"  untouched pairs flagged: {_rate(any_false, n)} any; "
          + ", ".join(f"{k} {_rate(false[k], n)}" for k in KINDS))


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} = {hits / total:.1%}" if total else "0/0"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", help="folder of *.jsonl (default: ../shared/data)")
    args = parser.parse_args()
    data = find_data_dir(args.data)
    if data is None:
        print("Skipped: ../shared/data is not here (it is not shipped with the project).")
        return 0
    for path in sorted(data.glob("*.jsonl")):
        bench_file(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
