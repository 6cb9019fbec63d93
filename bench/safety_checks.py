"""Safety checks on ../shared/data: recall on injected errors, false flags on real pairs.

Each real impression is checked untouched (any flag there is a false flag: the
radiologist wrote it), then with an error injected; an injection counts as caught when a
new flag of its kind appears:
- sides swapped (左<->右, left<->right); Chinese lobes swapped (上叶<->下叶); one side made
  both (右->双, right->bilateral) where the findings have one side, and both made one side
  where they have both;
- one finding's negation flipped;
- "called normal": the impression replaced by a normal statement (several phrasings per
  language: the whole study, the place the finding lies in, "<finding sentence>：正常"
  lists) wherever the findings describe a current finding (not negated, not old or stable);
  recall is given over the findings the check's rule counts abnormal enough (not mild,
  prior or explained away, not incidental, not chronic by nature under "no acute") and
  over all current ones; as a control that must stay quiet, another place called normal;
- "called abnormal": where the findings describe nothing abnormal (no finding of the term
  list not negated), the impression replaced by an abnormal one (a generic "disease" or
  "病变", and a named finding);
- restatement: the real impressions (any flagged is a false flag) and synthetic ones: the
  findings numbered line by line, reordered, labelled normal, lightly reworded, or reworded
  with a sentence left out ("abridged").
Prints per file; asserts nothing, times included.

    python bench/safety_checks.py [--data DIR]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from shared_data import Pair, find_data_dir, load_pairs  # noqa: E402

from radval_desktop.safety.checks import (  # noqa: E402
    CALLED_ABNORMAL,
    CALLED_NORMAL,
    KINDS,
    LATERALITY,
    NEGATION,
    Mention,
    clause_around,
    mentions,
    run_checks,
    side_mentions,
)
from radval_desktop.safety.normal_claims import is_minor  # noqa: E402
from radval_desktop.safety.restatement import find_restatement  # noqa: E402
from radval_desktop.safety.terms import bundled_terms  # noqa: E402
from radval_desktop.words import jieba_tokenizer  # noqa: E402

_SWAP = {"左": "右", "右": "左", "left": "right", "right": "left", "Left": "Right",
         "Right": "Left", "LEFT": "RIGHT", "RIGHT": "LEFT"}
_SIDE = re.compile(r"左|右|\b(?:left|right)\b", re.IGNORECASE)


def swap_sides(text: str) -> str | None:
    if not _SIDE.search(text):
        return None
    return _SIDE.sub(lambda m: _SWAP.get(m.group(0), _SWAP.get(m.group(0).lower(), "")), text)


_LOBE = re.compile(r"(?<=肺)[上下]叶")


def swap_lobes(text: str) -> str | None:
    """上叶 <-> 下叶 in a Chinese impression (a wrong lobe, as the default model drafted)."""
    if not _LOBE.search(text):
        return None
    return _LOBE.sub(lambda m: "下叶" if m.group(0) == "上叶" else "上叶", text)


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


# --- both / one side ---------------------------------------------------------------------
_ONE_SIDE = {"zh": re.compile(r"[左右]"), "en": re.compile(r"\b(?:left|right)\b", re.I)}
_BOTH_SIDES = {"zh": re.compile(r"双|两(?=[肺侧])"),
               "en": re.compile(r"\b(?:bilateral(?:ly)?|both)\b", re.I)}


def both_one_side(pair: Pair) -> tuple[str, str] | None:
    """("one->both" or "both->one", the impression with its sides changed), where the findings
    give the finding one side only, or both sides and the impression says both and nothing
    else (then making it one side leaves no other side to name)."""
    lex = bundled_terms().lexicons[pair.language]
    sides = {m.side for m in side_mentions(pair.findings, lex, with_finding=True)
             if not m.negated}
    one, both = _ONE_SIDE[pair.language], _BOTH_SIDES[pair.language]
    if len(sides) == 1 and sides != {"both"} and one.search(pair.impression):
        return "one->both", one.sub("双" if pair.language == "zh" else "bilateral",
                                    pair.impression)
    if (("both" in sides or {"left", "right"} <= sides) and both.search(pair.impression)
            and not one.search(pair.impression)):
        return "both->one", both.sub("右" if pair.language == "zh" else "right",
                                     pair.impression)
    return None


# --- called normal -----------------------------------------------------------------------
# Written here, not taken from the term file the check reads: what radiologists and small
# models write for a normal study, a normal place and a finding labelled normal.
_WHOLE = {
    "zh": ["胸部CT平扫未见明显异常。", "未见明显异常。", "胸部CT未见异常征象。",
           "扫描范围内未见明显异常。", "本次检查未见异常。", "CT平扫未见明显病变。",
           "胸部未见明确病变。", "所见层面未见明显异常。"],
    "en": ["No acute abnormality.", "Normal study.", "Unremarkable examination.",
           "No acute disease.", "No significant abnormality.", "Negative study.",
           "No acute findings.", "Within normal limits."],
}
_WHOLE_BY_SYSTEM = {
    "chest": ["No acute cardiopulmonary abnormality.", "Normal chest.",
              "Negative chest radiograph.", "No active cardiopulmonary disease."],
    "head": ["Unremarkable CT of the head.", "No acute intracranial abnormality.",
             "Normal MRI of the brain."],
    "abdomen": ["Unremarkable CT of the abdomen and pelvis.", "No acute abdominal abnormality."],
}
_AT_PLACE = {
    "zh": {"lung": ["双肺未见明显异常。", "两肺未见异常。", "双肺野清晰。", "双肺未见明确病变。",
                    "肺内未见异常密度影。"],
           "pleura": ["双侧胸腔未见明显异常。", "胸膜未见异常。"],
           "mediastinum": ["纵隔未见异常。", "纵隔结构正常。"],
           "heart": ["心脏未见异常。", "心影大小正常。"]},
    "en": {"lung": ["The lungs are clear.", "Clear lungs.", "Lungs: normal.",
                    "No acute pulmonary abnormality.", "Normal lungs."],
           "pleura": ["No pleural abnormality.", "The pleural spaces are clear."],
           "heart": ["The heart is normal.", "Normal heart size."],
           "mediastinum": ["Normal mediastinum.", "The mediastinum is unremarkable."],
           "brain": ["The brain is normal.", "No acute intracranial abnormality."],
           "bone": ["The bones are unremarkable.", "No acute osseous abnormality."],
           "abdomen": ["Unremarkable abdomen.", "The abdominal organs are normal."]},
}
# Where a finding lies, by the bench's own keywords in its sentence.
_PLACE_WORDS = {
    "zh": [("pleura", r"胸腔|胸膜(?!下)|气胸"), ("lung", r"肺(?!门)"),
           ("mediastinum", r"纵隔|肺门"), ("heart", r"心")],
    "en": [("pleura", r"pleura|pneumothora"),
           ("lung", r"lung|(?:upper|middle|lower) lobe|lingula|pulmonary|apex|apical|base|"
                    r"basilar|perihilar|"
                    r"retrocardiac|interstitial"),
           ("heart", r"heart|\bcardiac|cardiomegaly|pericard"),
           ("mediastinum", r"mediastin|(?<!peri)hilar|paratracheal"),
           ("brain", r"brain|cerebr|intracranial|frontal|parietal|temporal|occipital|ventric"),
           ("bone", r"\bribs?\b|spine|vertebra|osseous|bone|femur|tibia|humer"),
           ("abdomen", r"liver|hepat|kidney|renal|pancrea|spleen|bowel|abdom|pelvi")],
}
_SENTENCE = re.compile(r"[。；;\n]|\.(?=\s|$)")
_ZH_CLAUSE = re.compile(r"[。；;\n，,]")


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def current(pair: Pair) -> list[Mention]:
    """Findings the impression should not call normal: not negated, not old or stable."""
    lex = bundled_terms().lexicons[pair.language]
    return [m for m in mentions(pair.findings, lex) if not m.negated and not m.chronic]


def significant(pair: Pair, mention: Mention, statement: str) -> bool:
    """Abnormal enough by the check's rule, for this normal statement: not mild, prior or
    explained away, not an incidental calcification, and not chronic by nature under a
    "no acute ..." (what the check deliberately lets a normal impression pass)."""
    terms = bundled_terms()
    lex = terms.lexicons[pair.language]
    clause = clause_around(pair.findings, mention.span)
    return (mention.concept not in terms.incidental
            and not is_minor(pair.findings, mention.span.start, clause, lex)
            and not (lex.acute.search(statement) and mention.concept in terms.not_acute))


def place_of(pair: Pair, mention: Mention) -> str | None:
    """The place named in the finding's clause (a Chinese comma ends one), nearest first."""
    text, cut = pair.findings, _SENTENCE if pair.language == "en" else _ZH_CLAUSE
    start = max((m.end() for m in cut.finditer(text, 0, mention.span.start)), default=0)
    end = next((m.start() for m in cut.finditer(text, mention.span.end)), len(text))
    best = None
    for place, pattern in _PLACE_WORDS[pair.language]:
        for match in re.finditer(pattern, text[start:end], re.I):
            distance = abs(start + match.start() - mention.span.start)
            best = min(best or (distance, place), (distance, place))
    return best[1] if best else None


def normal_statements(pair: Pair, found: list[Mention]) -> list[tuple[str, str, bool]]:
    """(family, injected impression, whether the check's rule must flag it). The "control"
    family calls another place normal: a flag there is a false flag."""
    whole = list(_WHOLE[pair.language])
    if pair.language == "en":
        system = "chest" if pair.file.startswith("openi") else pair.body_system
        whole += _WHOLE_BY_SYSTEM.get(system, [])
    cases = [("whole study", s, any(significant(pair, m, s) for m in found)) for s in whole]
    places = [place_of(pair, m) for m in found]
    for place in dict.fromkeys(p for p in places if p):
        cases += [("its place", s, any(significant(pair, m, s) for m, p
                                        in zip(found, places, strict=True) if p == place))
                  for s in _AT_PLACE[pair.language].get(place, [])]
    mark = "：正常" if pair.language == "zh" else ": normal"
    listed = [f"{n}. {s}{mark}" for n, s in enumerate(sentences(pair.findings), 1)]
    terms = [pair.findings[m.span.start:m.span.end] for m in found]
    abnormal = [s for s in sentences(pair.findings) if any(t in s for t in terms)]
    if abnormal:  # a finding labelled normal is flagged however mild
        cases += [("labelled normal", "\n".join(listed), True),
                  ("labelled normal", abnormal[0] + mark, True)]
    others = [p for p in ("heart", "lung", "brain") if p in _AT_PLACE[pair.language]
              and None not in places and p not in places]
    if others:
        cases += [("control", s, False) for s in _AT_PLACE[pair.language][others[0]]]
    return cases


# --- restatement -------------------------------------------------------------------------
_REWORD = {
    "zh": [(r"(?<![未可])见", "可见"), (r"双肺", "两肺"), (r"边缘", "边界"), (r"，", "；"),
           (r"较模糊", "模糊"), (r"未见", "无"), (r"影", ""), (r"所见", "")],
    "en": [(r"\bThere (?:is|are) (?:a |an )?", ""), (r"\bNo\b", "Without"),
           (r"\bare\b", "appear"), (r"\bis\b", "appears"), (r"\. ", "; "),
           (r"\bthe\b", ""), (r"\bnoted\b", "seen"), (r"\bsmall\b", "minor")],
}


def restatements(pair: Pair, rng: random.Random) -> dict[str, str]:
    """Synthetic restatements of the findings, by kind. "reworded": about half of the
    rewrites above, chosen at random per pair, and one word in ten dropped at random (a small
    model's light paraphrase); "abridged": the same with one sentence of four or more left
    out as well."""
    parts = sentences(pair.findings)
    mark = "：正常" if pair.language == "zh" else ": normal"
    reworded = pair.findings
    for pattern, replacement in _REWORD[pair.language]:
        if rng.random() < 0.5:
            reworded = re.sub(pattern, replacement, reworded)
    kept = sentences(reworded)
    joined = ("。" if pair.language == "zh" else ". ").join(kept)
    if len(kept) > 3:
        del kept[rng.randrange(len(kept))]
    abridged = ("。" if pair.language == "zh" else ". ").join(kept)
    return {
        "numbered": "\n".join(f"{n}. {s}" for n, s in enumerate(parts, 1)),
        "reordered": "\n".join(reversed(parts)),
        "labelled normal": "\n".join(f"{s}{mark}" for s in parts),
        "reworded": _drop_words(joined, pair.language, rng),
        "abridged": _drop_words(abridged, pair.language, rng),
    }


def _drop_words(text: str, language: str, rng: random.Random) -> str:
    tokens = jieba_tokenizer().lcut(text) if language == "zh" else text.split()
    return ("" if language == "zh" else " ").join(t for t in tokens if rng.random() >= 0.1)


# --- per file ----------------------------------------------------------------------------
# Abnormal impressions put over findings that describe nothing abnormal.
ABNORMAL = {"en": ["Cardiopulmonary disease.", "Acute cardiopulmonary abnormality.",
                   "Right lower lobe pneumonia.", "Cardiomegaly."],
            "zh": ["双肺炎性病变", "胸部CT异常", "右肺下叶结节", "肺气肿"]}


def bench_file(path: Path) -> None:
    pairs = load_pairs(path)
    false = dict.fromkeys(KINDS, 0)
    any_false = 0
    lobed = caught_lobes = 0
    swapped = caught_swaps = flipped = caught_flips = flipped_named = caught_named = 0
    sided = {"one->both": [0, 0], "both->one": [0, 0]}
    normal: dict[str, list[int]] = {}
    restated_real = 0
    over = [0, 0, 0, 0]  # abnormal over findings with no listed finding: all, caught;
    # over those the rule counts normal: all, caught
    restated: dict[str, list[int]] = {}
    times: list[float] = []
    lexicons = bundled_terms().lexicons
    rng = random.Random(15)
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
        lobe = swap_lobes(pair.impression)
        if lobe is not None:
            lobed += 1
            caught_lobes += LATERALITY in new_kinds(pair, lobe, keys)
        changed = both_one_side(pair)
        if changed is not None:
            sided[changed[0]][0] += 1
            sided[changed[0]][1] += LATERALITY in new_kinds(pair, changed[1], keys)
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
        found = current(pair)
        for family, statement, due in normal_statements(pair, found) if found else []:
            tally = normal.setdefault(family, [0, 0, 0, 0])  # all, caught, due, due caught
            caught = any(f.kind == CALLED_NORMAL for f in run_checks(
                pair.findings, statement, pair.language))
            tally[0] += 1
            tally[1] += caught
            tally[2] += due
            tally[3] += due and caught
        if not any(not m.negated for m in mentions(pair.findings, lexicons[pair.language])):
            # The rule also wants every clause of the findings to read normal or negated.
            ruled = any(f.kind == CALLED_ABNORMAL for f in run_checks(
                pair.findings, ABNORMAL[pair.language][0], pair.language))
            for statement in ABNORMAL[pair.language]:
                caught = CALLED_ABNORMAL in new_kinds(pair, statement, keys)
                over[0] += 1
                over[1] += caught
                over[2] += ruled
                over[3] += ruled and caught
        restated_real += find_restatement(pair.findings, pair.impression,
                                          pair.language) is not None
        for kind, text in restatements(pair, rng).items():
            tally = restated.setdefault(kind, [0, 0])
            tally[0] += 1
            tally[1] += find_restatement(pair.findings, text, pair.language) is not None
    n = len(pairs)
    print(f"\n{path.name}: {n} pairs, checks {statistics.mean(times) * 1000:.2f} ms mean, "
          f"{max(times) * 1000:.2f} ms max")
    print(f"  laterality swaps caught: {_rate(caught_swaps, swapped)}; one side made both: "
          f"{_rate(*reversed(sided['one->both']))}; both made one side: "
          f"{_rate(*reversed(sided['both->one']))}"
          + (f"; upper/lower lobe swapped: {_rate(caught_lobes, lobed)}" if lobed else ""))
    print(f"  negation flips caught:   {_rate(caught_flips, flipped)} "
          f"(where the findings name the term: {_rate(caught_named, flipped_named)})")
    control = normal.pop("control", [0, 0, 0, 0])
    print("  called normal caught (findings abnormal enough by the rule | all current):")
    for family, (total, caught, due, due_caught) in normal.items():
        print(f"    {family:16} {_rate(due_caught, due):22} | {_rate(caught, total)}")
    print(f"    another place said normal, flagged (false): {_rate(control[1], control[0])}")
    print(f"  called abnormal caught (findings normal by the rule | with no listed finding): "
          f"{_rate(over[3], over[2])} | {_rate(over[1], over[0])}")
    print(f"  restatement: real impressions flagged {_rate(restated_real, n)}; synthetic caught: "
          + "; ".join(f"{kind} {_rate(caught, total)}" for kind, (total, caught)
                      in restated.items()))
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
