"""Retrieved examples: a local corpus of accepted findings -> impression pairs, searched by FTS5."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.case_files import read_cases
from radval_desktop.errors import RadvalError
from radval_desktop.findings import detect_language
from radval_desktop.prompts import Example, normalize_body_system, normalize_modality
from radval_desktop.store.database import store_errors
from radval_desktop.words import words

TABLE, FTS = "examples", "examples_fts"
# Three examples: the shape of Radiology-GPT's few-shot prompts; more costs prompt time on
# a CPU (each example is ~100-300 prompt tokens) for little gain (bench/quality.py).
DEFAULT_K = 3
# ~1,500 characters of examples ≈ 600-1,200 tokens (Chinese ~1 token a character with
# Qwen's tokenizer, English ~4 characters a token): leaves the default 4,096-token context
# room for long findings and 512 new tokens (SPEC §5).
DEFAULT_BUDGET_CHARS = 1500
# Words searched per query: long findings would make an OR of hundreds of terms.
_MAX_QUERY_WORDS = 64


@dataclass(frozen=True)
class Pair:
    findings: str
    impression: str
    body_system: str
    modality: str = ""
    language: str = ""
    institution: str = ""
    source: str = "history"  # "history" (copied by the radiologist) or the imported file


def pair_uuid(pair: Pair) -> str:
    text = "\x1f".join((pair.findings.strip(), pair.impression.strip(), pair.body_system))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _fts_query(text: str) -> str:
    unique = list(dict.fromkeys(words(text)))[:_MAX_QUERY_WORDS]
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in unique)


class ExampleCorpus:
    """The examples tables of one (migrated) RadVal database."""

    def __init__(self, db: Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path

    def add(self, pair: Pair, now: datetime | None = None) -> bool:
        """Add one pair; False when it is already there (same findings, impression, system)."""
        system = normalize_body_system(pair.body_system)
        pair = Pair(pair.findings.strip(), pair.impression.strip(), system,
                    pair.modality, pair.language or detect_language(pair.findings),
                    pair.institution, pair.source)
        uuid = pair_uuid(pair)
        with store_errors(self.path), self.db.atomic():
            if self.db.execute(f"SELECT 1 FROM {TABLE} WHERE uuid = ?", [uuid]).fetchone():
                return False
            row = {"uuid": uuid, "created_at": (now or datetime.now(UTC)).isoformat(
                timespec="seconds"), "source": pair.source, "institution": pair.institution,
                "body_system": system, "modality": pair.modality, "language": pair.language,
                "findings": pair.findings, "impression": pair.impression}
            row_id = self.db.table(TABLE).insert(row).last_pk
            self.db.execute(f"INSERT INTO {FTS}(rowid, words) VALUES (?, ?)",
                            [row_id, " ".join(words(pair.findings))])
        return True

    def add_many(self, pairs: Iterable[Pair]) -> int:
        return sum(self.add(pair) for pair in pairs)

    def count(self) -> int:
        with store_errors(self.path):
            return int(self.db.execute(f"SELECT COUNT(*) FROM {TABLE}").fetchone()[0])

    def similar(self, findings: str, body_system: str, k: int = DEFAULT_K,
                institution: str = "", budget_chars: int = DEFAULT_BUDGET_CHARS,
                exclude_findings: str | None = None) -> list[Example]:
        """The k pairs of the same body system most like ``findings`` (BM25), within budget.

        The same institution ranks first where it is known. A pair that would take the
        examples past ``budget_chars`` is skipped, so a short one further down may fit.
        """
        query = _fts_query(findings)
        if k <= 0 or not query:
            return []
        system = normalize_body_system(body_system)
        exclude = (exclude_findings or "").strip()
        sql = (f"SELECT e.findings, e.impression FROM {FTS} f JOIN {TABLE} e ON e.id = f.rowid "
               f"WHERE {FTS} MATCH ? AND e.body_system = ? AND e.findings != ? "
               "ORDER BY (e.institution = ? AND ? != '') DESC, bm25(" + FTS + ") LIMIT ?")
        with store_errors(self.path):
            rows = self.db.execute(sql, [query, system, exclude, institution, institution,
                                         k * 4]).fetchall()
        chosen: list[Example] = []
        used = 0
        for found, impression in rows:
            size = len(found) + len(impression)
            if used + size > budget_chars:
                continue
            chosen.append(Example(found, impression))
            used += size
            if len(chosen) == k:
                break
        return chosen


@dataclass(frozen=True)
class ImportSummary:
    added: int
    duplicates: int
    problems: tuple[str, ...]


def import_pairs(corpus: ExampleCorpus, path: Path | str,
                 institution: str = "") -> ImportSummary:
    """Add a case file's findings -> impression pairs (CSV, XLSX, JSONL) to the corpus."""
    read = read_cases(path, required=("findings", "impression", "body_system"),
                      defaults={"institution": institution} if institution else None)
    problems = [str(p) for p in read.problems]
    pairs = []
    for row in read.rows:
        try:
            modality = normalize_modality(row["modality"]) if row["modality"] else ""
            pairs.append(Pair(row["findings"], row["impression"],
                              normalize_body_system(row["body_system"]), modality,
                              detect_language(row["findings"]), row["institution"],
                              Path(path).name))
        except RadvalError as err:
            problems.append(f"line {row.line}: {err}")
    added = corpus.add_many(pairs)
    return ImportSummary(added, len(pairs) - added, tuple(problems))
