"""The data card: the paper's Table 1 for our data, plus what cleaning dropped and changed."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from radval_desktop.prompts import BODY_SYSTEMS, MODALITIES
from training.lengths import markdown as lengths_markdown
from training.records import Report

SEXES = ("F", "M", "")


def column_counts(reports: Sequence[Report]) -> dict[str, Any]:
    """One column of Table 1: number, age range, sex, modality and body system counts."""
    ages = [r.age for r in reports if r.age is not None]
    sex = Counter(r.sex for r in reports)
    modality = Counter(r.modality for r in reports)
    system = Counter(r.body_system for r in reports)
    return {
        "reports": len(reports),
        # Whole years, as Table 1 writes them ("0-103"): a 3-month-old counts as 0.
        "age_min": math.floor(min(ages)) if ages else None,
        "age_max": math.floor(max(ages)) if ages else None,
        "age_known": len(ages),
        "sex": {"female": sex["F"], "male": sex["M"], "unknown": sex[""]},
        "modality": {m: modality[m] for m in MODALITIES},
        "body_system": {s: system[s] for s in BODY_SYSTEMS},
    }


def build_data_card(
    internal: str,
    names: dict[str, str],
    train: Sequence[Report],
    validation: Sequence[Report],
    internal_test: Sequence[Report],
    external: dict[str, list[Report]],
    cleaning: dict[str, Any],
    settings: dict[str, Any],
) -> dict[str, Any]:
    """Counts per column of Table 1 (institution 1's 80% and 20%, each external, all)."""
    part = list(train) + list(validation)
    share = settings["train_fraction"]
    columns = [
        {"key": f"{internal}-train", "title": f"{names[internal]} (train {share:.0%})",
         "role": "train", **column_counts(part), "validation": len(validation)},
        {"key": f"{internal}-test", "title": f"{names[internal]} (test {1 - share:.0%})",
         "role": "internal test", **column_counts(internal_test)},
    ]
    for inst_id, reports in external.items():
        columns.append({"key": inst_id, "title": names[inst_id], "role": "external test",
                        **column_counts(reports)})
    everything = part + list(internal_test) + [r for rs in external.values() for r in rs]
    columns.append({"key": "all", "title": "All", "role": "all", **column_counts(everything)})
    return {"format": "radval-data-card", "format_version": 1, "internal": internal,
            "columns": columns, "cleaning": cleaning, "settings": settings}


def _age(column: dict[str, Any]) -> str:
    if column["age_min"] is None:
        return "—"
    return f"{column['age_min']}-{column['age_max']}"


def _value(*keys: str) -> Callable[[dict[str, Any]], str]:
    def get(column: dict[str, Any]) -> str:
        value: Any = column
        for key in keys:
            value = value[key]
        return str(value)
    return get


def render_markdown(card: dict[str, Any]) -> str:
    """The card as a Markdown page, laid out like the paper's Table 1."""
    cols = card["columns"]
    head = "| variable | " + " | ".join(c["title"] for c in cols) + " |"
    rule = "| --- |" + " ---: |" * len(cols)
    rows: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
        ("Reports", _value("reports")), ("Age (y)", _age), ("Female", _value("sex", "female")),
        ("Male", _value("sex", "male")), ("Sex unknown", _value("sex", "unknown"))]
    rows += [(m, _value("modality", m)) for m in MODALITIES]
    rows += [(s, _value("body_system", s)) for s in BODY_SYSTEMS]
    lines = ["# Data card", "",
             f"Institution {card['internal']} is split "
             f"{card['settings']['train_fraction']:.0%} train / internal test "
             f"(seed {card['settings']['seed']}); the others are external test sets only. "
             f"{cols[0]['validation']} of the training reports are held out for validation.",
             "", head, rule]
    lines += ["| " + name + " | " + " | ".join(get(c) for c in cols) + " |" for name, get in rows]
    cleaning = card["cleaning"]
    institutions = list(cleaning["per_institution"])
    lines += ["", "## Cleaning (rows per reason)", "",
              "| | " + " | ".join(institutions) + " |", "| --- |" + " ---: |" * len(institutions)]
    for label, key in (("rows read", "read"), ("kept", "kept")):
        lines.append(f"| {label} | " + " | ".join(
            str(cleaning["per_institution"][i][key]) for i in institutions) + " |")
    for kind in ("dropped", "changed"):
        reasons = sorted({r for i in institutions for r in cleaning["per_institution"][i][kind]})
        for reason in reasons:
            lines.append(f"| {kind}: {reason} | " + " | ".join(
                str(cleaning["per_institution"][i][kind].get(reason, 0)) for i in institutions)
                + " |")
    unmapped = [(i, u) for i in institutions
                for u in cleaning["per_institution"][i].get("unmapped", [])]
    if unmapped:
        lines += ["", "## Values the alias list does not map (resources/aliases.toml)", "",
                  "| institution | field | value | rows |", "| --- | --- | --- | ---: |"]
        lines += [f"| {i} | {u['field']} | {u['value']} | {u['rows']} |" for i, u in unmapped]
    if "lengths" in card:
        lines += lengths_markdown(card["lengths"])
    lines += ["", "## Files", ""]
    lines += [f"- {f['institution']}: `{f['file']}` sha256 {f['sha256'][:16]}…, "
              f"{f['rows']} rows" for f in cleaning["files"]]
    return "\n".join(lines) + "\n"
