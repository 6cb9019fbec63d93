"""One cleaned report as `prepare` writes it to JSONL and the later steps read it back."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from radval_desktop.prompts import Case
from training.run_folder import write_atomic


@dataclass(frozen=True)
class Report:
    id: str  # institution:file:line, so a row can be found in its export
    institution: str
    source: str
    line: int
    language: str
    body_system: str
    modality: str
    age: float | None  # years; None when the export has none or it is unreadable
    sex: str  # "F", "M" or "" (unknown)
    findings: str
    impression: str

    def case(self) -> Case:
        """The case as the app's prompt builder takes it (findings, system, modality, language)."""
        return Case(self.findings, self.body_system, self.modality, self.language)


def write_reports(path: Path, reports: Iterable[Report]) -> int:
    lines = [json.dumps(dataclasses.asdict(r), ensure_ascii=False) for r in reports]
    write_atomic(path, "".join(line + "\n" for line in lines))
    return len(lines)


def read_reports(path: Path) -> list[Report]:
    reports = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                reports.append(Report(**json.loads(line)))
    return reports


_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*(岁|周岁|个月|月|周|天|日|years?|yrs?|y|months?|mos?|m|"
                  r"weeks?|w|days?|d)?", re.IGNORECASE)
_PER_YEAR = {"月": 12, "个月": 12, "month": 12, "months": 12, "mo": 12, "mos": 12, "m": 12,
             "周": 52, "week": 52, "weeks": 52, "w": 52, "天": 365, "日": 365, "day": 365,
             "days": 365, "d": 365}


def parse_age(text: str) -> float | None:
    """Age in years from what exports write: "45", "45岁", "45Y", "8个月", "3 days"."""
    match = _AGE.search(text or "")
    if not match:
        return None
    value = float(match.group(1)) / _PER_YEAR.get((match.group(2) or "").lower(), 1)
    return value if 0 <= value <= 130 else None


_SEX = {"男": "M", "男性": "M", "m": "M", "male": "M", "man": "M",
        "女": "F", "女性": "F", "f": "F", "female": "F", "woman": "F"}


def parse_sex(text: str) -> str:
    return _SEX.get((text or "").strip().lower(), "")
