"""The `prepare` step: institution exports in, cleaned and split JSONL plus a data card out."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radval_desktop.aliases import AliasList, load_aliases
from radval_desktop.case_files import CASE_FIELDS, RowProblem, read_cases
from radval_desktop.errors import InputError, RadvalError
from radval_desktop.findings import clean_findings, detect_language
from training.cleaning import TermCorpus, clean_text, sentence_key
from training.data_card import build_data_card, render_markdown
from training.errors import TrainingError
from training.institutions import Institution, load_institutions
from training.lengths import describe, length_report
from training.recipe import Recipe
from training.records import Report, parse_age, parse_sex, write_reports
from training.run_folder import RunFolder, sha256_files, write_atomic, write_json

log = logging.getLogger(__name__)

# A training sample needs all four: the prompt names body system and modality (SPEC §3).
REQUIRED = ("findings", "impression", "body_system", "modality")

# Why a row was dropped (each dropped row counts once, under its first reason).
UNREADABLE = "unreadable row"
EMPTY = "empty findings or impression"
NO_SYSTEM = "no body system or modality"
UNKNOWN_VALUE = "unknown body system or modality"
NOT_DRAFTED = "a modality RadVal does not draft"
TOO_LONG = "findings too long"
EMPTY_AFTER_CLEANING = "empty after cleaning"
UNUSABLE = "findings not usable text"
DUPLICATE = "duplicate report"

FILES = {"train": "train.jsonl", "validation": "validation.jsonl",
         "internal_test": "internal_test.jsonl", "external_test": "external_test.jsonl"}


def classify(problem: RowProblem) -> str:
    """The data card's reason for a row case_files refused (its sentence says the detail)."""
    text = problem.reason
    if text.startswith("empty "):
        fields = text[len("empty "):].split(", ")
        return EMPTY if {"findings", "impression"} & set(fields) else NO_SYSTEM
    if text.startswith("RadVal drafts"):
        return NOT_DRAFTED
    if problem.unmapped:
        return UNKNOWN_VALUE
    if text.startswith("findings longer"):
        return TOO_LONG
    return UNREADABLE


@dataclass
class Tally:
    read: int = 0
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)
    unmapped: Counter[tuple[str, str]] = field(default_factory=Counter)  # (field, value)

    def as_dict(self) -> dict[str, Any]:
        return {"read": self.read, "kept": self.kept, "dropped": dict(self.dropped),
                "changed": dict(self.changed),
                "unmapped": [{"field": f, "value": v, "rows": n}
                             for (f, v), n in self.unmapped.most_common()]}


@dataclass(frozen=True)
class PrepareSummary:
    counts: dict[str, int]  # file role -> reports written
    cleaning: dict[str, Any]
    skipped: bool  # True when an earlier run on the same inputs was reused
    lengths: dict[str, Any] = field(default_factory=dict)  # training.lengths.length_report


def fingerprint(recipe: Recipe, files: list[Path]) -> str:
    digest = hashlib.sha256(sha256_files(files).encode())
    digest.update(json.dumps(recipe.as_dict()["data"], sort_keys=True).encode())
    # What the length counts depend on: another base or max length counts again.
    t = recipe.train
    digest.update(json.dumps([recipe.model.base, recipe.prompt.template, t.max_source_length,
                              t.max_target_length]).encode())
    return digest.hexdigest()


def _ingest(inst: Institution, corpus: TermCorpus, aliases: AliasList, seen: dict[str, str],
            tally: Tally, problems: list[dict[str, Any]], files: list[dict[str, Any]]
            ) -> list[Report]:
    reports = []
    for path in inst.files:
        try:
            result = read_cases(path, required=REQUIRED, optional=CASE_FIELDS,
                                mapping=inst.columns, defaults=inst.defaults, sheet=inst.sheet,
                                aliases=aliases)
        except InputError as err:
            raise TrainingError(f"Institution {inst.id}: {err}") from err
        files.append({"institution": inst.id, "file": str(path),
                      "sha256": _file_sha(path),
                      "rows": len(result.rows) + len(result.problems),
                      "columns": result.columns})
        tally.read += len(result.rows) + len(result.problems)

        def drop(line: int, reason: str, detail: str, path: Path = path, sheet: str = "") -> None:
            tally.dropped[reason] += 1
            problems.append({"institution": inst.id, "file": _source(path, sheet), "line": line,
                             "reason": reason, "detail": detail})

        for problem in result.problems:
            drop(problem.line, classify(problem), problem.reason, sheet=problem.sheet)
            if problem.unmapped:
                tally.unmapped[problem.unmapped] += 1
        for row in result.rows:
            findings = clean_text(row["findings"], corpus)
            impression = clean_text(row["impression"], corpus)
            tally.changed.update(findings.changes | impression.changes)
            if not findings.text or not impression.text:
                drop(row.line, EMPTY_AFTER_CLEANING, "nothing left once cleaned", sheet=row.sheet)
                continue
            try:
                text = clean_findings(findings.text)  # the app's own check, as when drafting
            except InputError as err:
                drop(row.line, UNUSABLE, str(err), sheet=row.sheet)
                continue
            # A workbook's sheets each count rows from 2: the sheet is part of the id.
            report_id = f"{inst.id}:{row.source(path.name)}:{row.line}"
            key = sentence_key(text) + "\x00" + sentence_key(impression.text)
            if key in seen:
                drop(row.line, DUPLICATE, f"same report as {seen[key]}", sheet=row.sheet)
                continue
            seen[key] = report_id
            reports.append(Report(
                id=report_id, institution=inst.id, source=row.source(path.name), line=row.line,
                language=detect_language(text), body_system=row["body_system"],
                modality=row["modality"], age=parse_age(row["age"]), sex=parse_sex(row["sex"]),
                findings=text, impression=impression.text,
            ))
    tally.kept = len(reports)
    return reports


def _source(path: Path, sheet: str) -> str:
    return f"{path.name} [{sheet}]" if sheet else path.name


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def split(reports: list[Report], train_fraction: float, validation_fraction: float,
          seed: int) -> tuple[list[Report], list[Report], list[Report]]:
    """Algorithm 1's seeded 80/20 split, then a validation slice off the training part.

    Counts round half up: 11 reports at 0.8 give 9 train, 2 test.
    """
    shuffled = list(reports)
    random.Random(seed).shuffle(shuffled)
    n_train = math.floor(len(shuffled) * train_fraction + 0.5)
    train, test = shuffled[:n_train], shuffled[n_train:]
    n_valid = math.floor(len(train) * validation_fraction + 0.5)
    if validation_fraction > 0 and len(train) >= 2:
        n_valid = max(1, n_valid)  # an eval loss needs at least one case
    n_valid = min(n_valid, len(train) - 1) if train else 0
    return train[n_valid:], train[:n_valid], test


def prepare(recipe: Recipe, run: RunFolder, force: bool = False) -> PrepareSummary:
    if not recipe.data.institutions:
        raise TrainingError("Set data.institutions to the institution mapping TOML "
                            "(resources/training/institutions.example.toml shows the shape).")
    mapping = load_institutions(Path(recipe.data.institutions).expanduser())
    corpus = TermCorpus.load(Path(recipe.data.terms_file) if recipe.data.terms_file else None)
    try:
        aliases = load_aliases(Path(recipe.data.aliases_file).expanduser()
                               if recipe.data.aliases_file else None)
    except RadvalError as err:
        raise TrainingError(str(err)) from err
    inputs = fingerprint(recipe, [mapping.path, corpus.path, aliases.path, *mapping.files()])
    out = run.create().data
    previous = run.step_record("prepare")
    if (not force and previous and run.is_done("prepare", inputs)
            and all((out / name).is_file() for name in FILES.values())):
        summary = previous["summary"]
        return PrepareSummary(summary["counts"], summary["cleaning"], skipped=True,
                              lengths=summary.get("lengths", {}))
    started = time.time()
    seen: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    tallies: dict[str, Tally] = {}
    by_institution: dict[str, list[Report]] = {}
    # The internal institution first: a report that also appears in an external export is
    # kept in institution 1 and dropped from the external one, so no test case is trained on.
    ordered = sorted(mapping.institutions, key=lambda i: i.id != mapping.internal)
    for inst in ordered:
        tallies[inst.id] = Tally()
        by_institution[inst.id] = _ingest(inst, corpus, aliases, seen, tallies[inst.id],
                                          problems, files)
    train, validation, internal_test = split(
        by_institution[mapping.internal], recipe.data.train_fraction,
        recipe.data.validation_fraction, recipe.data.seed)
    external = {i.id: by_institution[i.id] for i in mapping.institutions
                if i.id != mapping.internal}
    if len(train) < 1:
        raise TrainingError(f"Institution {mapping.internal} has no usable report left to train "
                            f"on ({tallies[mapping.internal].as_dict()}).")
    counts = {
        "train": write_reports(out / FILES["train"], train),
        "validation": write_reports(out / FILES["validation"], validation),
        "internal_test": write_reports(out / FILES["internal_test"], internal_test),
        "external_test": write_reports(out / FILES["external_test"],
                                       [r for rs in external.values() for r in rs]),
    }
    cleaning = {"per_institution": {i: t.as_dict() for i, t in tallies.items()},
                "files": files, "terms_file": str(corpus.path),
                "aliases_file": str(aliases.path)}
    names = {i.id: i.name for i in mapping.institutions}
    settings = {"seed": recipe.data.seed, "train_fraction": recipe.data.train_fraction,
                "validation_fraction": recipe.data.validation_fraction,
                "institutions_file": str(mapping.path)}
    card = build_data_card(mapping.internal, names, train, validation, internal_test, external,
                           cleaning, settings)
    card["lengths"] = length_report(recipe, run, {i.id: by_institution[i.id] for i in ordered})
    write_json(out / "data_card.json", card)
    write_atomic(out / "data_card.md", render_markdown(card))
    write_atomic(out / "problems.jsonl",
                 "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in problems))
    for problem in problems[:20]:
        print(f"{problem['institution']} {problem['file']} line {problem['line']}: "
              f"{problem['reason']} ({problem['detail']})", file=sys.stderr)
    if len(problems) > 20:
        print(f"... {len(problems) - 20} more in {out / 'problems.jsonl'}", file=sys.stderr)
    for inst_id, tally in tallies.items():
        if tally.unmapped:  # what to add to the alias list, most rows first
            listed = ", ".join(f"{f} '{v}' ({n})" for (f, v), n in tally.unmapped.most_common(10))
            more = len(tally.unmapped) - 10
            print(f"{inst_id}: values the alias list does not map: {listed}"
                  + (f" and {more} more (data card)" if more > 0 else ""), file=sys.stderr)
    for line in describe(card["lengths"]):
        print(line, file=sys.stderr)
    run.record("prepare", recipe, inputs, started, {"counts": counts, "cleaning": cleaning,
                                                    "lengths": card["lengths"]})
    return PrepareSummary(counts, cleaning, skipped=False, lengths=card["lengths"])
