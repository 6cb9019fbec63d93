"""Retrieved examples: a local corpus of accepted findings -> impression pairs, searched by FTS5."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.case_files import RowProblem, read_cases
from radval_desktop.errors import SENTENCES, RadvalError, Words
from radval_desktop.findings import detect_language
from radval_desktop.prompts import Example, normalize_body_system, normalize_modality
from radval_desktop.store.database import store_errors
from radval_desktop.words import words

TABLE, FTS = "examples", "examples_fts"
VOCAB = "examples_vocab"  # a TEMP fts5vocab table over FTS: how many rows hold a word
# Three examples: the shape of Radiology-GPT's few-shot prompts; more costs prompt time on
# a CPU (each example is ~100-300 prompt tokens) for little gain (bench/quality.py).
DEFAULT_K = 3
# ~1,500 characters of examples ≈ 600-1,200 tokens (Chinese ~1 token a character with
# Qwen's tokenizer, English ~4 characters a token): leaves the default 4,096-token context
# room for long findings and 512 new tokens (SPEC §5). Reading the prompt is most of a
# draft's time, but 1,000 cost MedPix CT/MRI R-L 0.141 -> 0.112 (100 cases, fewer and
# shorter examples) for a median draft of 1.84 s instead of 2.34 s: quality first.
# Cutting each example's findings to its first sentences instead (300 or 450 characters)
# cost the same: R-L 0.141 -> 0.113 / 0.111 for 1.88 / 2.11 s. The whole example is the lesson.
DEFAULT_BUDGET_CHARS = 1500
# Words searched per query: long findings would make an OR of hundreds of terms.
_MAX_QUERY_WORDS = 64
# Findings whose word sets overlap this much (Jaccard) are the same report for retrieval:
# templated reports repeat almost verbatim, so showing one as an example of the other (or a
# held-out case's twin in an evaluation) leaks the answer. Shared with bench/quality.py.
NEAR_DUPLICATE = 0.9
# Pages of candidates read while near-copies are skipped (k*4, then 16k, 64k, ... rows).
_MAX_ROUNDS = 4
# Retrieval at scale (issue 15, bench/retrieval_speed.py, 100,000 pairs): FTS5's bm25()
# reads every row a query word matches, and "the" or "见" match nearly all of them
# (median 97 ms a query). Up to this many pairs every word is searched (a few ms).
_PRUNE_FROM = 2_000
# A word in more than a quarter of all pairs is left out: FTS5's IDF is ~0 from half of
# the rows on and small below, so the ranking hardly moves (mean word overlap of the top
# 3 with the query 0.826 -> 0.820 on the bench's corpus) while the rows to rank halve.
_COMMON_SHARE = 0.25
# The rarest words whose rows come to about this many (at least _MIN_RARE words) must
# match; the others only rank those rows. 75 -> 28 ms median on the bench's corpus.
_CANDIDATE_ROWS = 5_000
_MIN_RARE = 3
# Pairs written per transaction by add_many: one commit a pair made an import of 100,000
# pairs take 2 minutes, half of it in commits (bench/retrieval_speed.py); 500 holds the
# write lock for a few tens of ms, short enough for the window saving a draft meanwhile.
_BATCH = 500


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


def word_set(text: str) -> frozenset[str]:
    """The findings' words (jieba, lower-cased), without whitespace or punctuation."""
    return frozenset(words(text))


def near_duplicate_words(a: frozenset[str], b: frozenset[str]) -> bool:
    """``near_duplicate`` on word sets already cut (to compare one text with many)."""
    return len(a & b) / max(1, len(a | b)) >= NEAR_DUPLICATE


def near_duplicate(a: str, b: str) -> bool:
    """The same text (after strip), or word sets with Jaccard >= NEAR_DUPLICATE."""
    return a.strip() == b.strip() or near_duplicate_words(word_set(a), word_set(b))


def _any(terms: list[str]) -> str:
    """An FTS5 query for rows holding any of the words (each quoted: no FTS5 syntax)."""
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in terms)


_COLUMNS = ("uuid", "created_at", "source", "institution", "body_system", "modality",
            "language", "findings", "impression")
# The unique uuid index turns a pair already there into a no-op, not an error.
_INSERT = (f"INSERT OR IGNORE INTO {TABLE} ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join('?' * len(_COLUMNS))})")


def _row(pair: Pair, now: datetime) -> tuple[dict[str, str], str]:
    """The examples row of a pair (normalised) and its words for the FTS index."""
    system = normalize_body_system(pair.body_system)
    pair = Pair(pair.findings.strip(), pair.impression.strip(), system,
                pair.modality, pair.language or detect_language(pair.findings),
                pair.institution, pair.source)
    row = {"uuid": pair_uuid(pair), "created_at": now.isoformat(timespec="seconds"),
           "source": pair.source, "institution": pair.institution, "body_system": system,
           "modality": pair.modality, "language": pair.language, "findings": pair.findings,
           "impression": pair.impression}
    return row, " ".join(words(pair.findings))


@contextmanager
def _write(db: Database) -> Iterator[None]:
    """One write transaction that takes the write lock at its start (BEGIN IMMEDIATE): a
    deferred one that reads first fails at once with BUSY when another connection (the
    window's, the import thread's) wrote in between, instead of waiting its turn."""
    if db.conn.in_transaction:
        with db.atomic():  # inside the caller's transaction: a savepoint
            yield
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.conn.rollback()
        raise
    db.conn.execute("COMMIT")


class ExampleCorpus:
    """The examples tables of one (migrated) RadVal database."""

    def __init__(self, db: Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path
        self._df: dict[str, int] = {}  # word -> pairs holding it, when there were _df_rows
        self._df_rows = 0

    def add(self, pair: Pair, now: datetime | None = None) -> bool:
        """Add one pair; False when it is already there (same findings, impression, system)."""
        return self._insert([_row(pair, now or datetime.now(UTC))]) == 1

    def add_many(self, pairs: Iterable[Pair], now: datetime | None = None) -> int:
        """Add pairs (those already there are skipped); how many were new."""
        when, added = now or datetime.now(UTC), 0
        chunks = iter(pairs)
        while chunk := list(islice(chunks, _BATCH)):
            # Cut into words before the write lock is taken, not while it is held.
            added += self._insert([_row(pair, when) for pair in chunk])
        return added

    def _insert(self, rows: list[tuple[dict[str, str], str]]) -> int:
        added = 0
        with store_errors(self.path), _write(self.db):
            for row, fts_words in rows:
                cursor = self.db.execute(_INSERT, list(row.values()))
                if cursor.rowcount == 1:  # 0: the uuid (same content) is already there
                    self.db.execute(f"INSERT INTO {FTS}(rowid, words) VALUES (?, ?)",
                                    [cursor.lastrowid, fts_words])
                    added += 1
                elif row["source"] == "history":
                    # Copied again: kept as long as its newest copy (the history's retention).
                    self.db.execute(f"UPDATE {TABLE} SET created_at = MAX(created_at, ?) "
                                    "WHERE uuid = ? AND source = 'history'",
                                    [row["created_at"], row["uuid"]])
        return added

    def count(self, body_system: str | None = None, language: str | None = None) -> int:
        """How many pairs, of one body system and/or language where given."""
        where, params = [], []
        if body_system is not None:
            where.append("body_system = ?")
            params.append(normalize_body_system(body_system))
        if language is not None:
            where.append("language = ?")
            params.append(language)
        sql = f"SELECT COUNT(*) FROM {TABLE}" + (" WHERE " + " AND ".join(where) if where else "")
        with store_errors(self.path):
            return int(self.db.execute(sql, params).fetchone()[0])

    def similar(self, findings: str, body_system: str, k: int = DEFAULT_K,
                institution: str = "", budget_chars: int = DEFAULT_BUDGET_CHARS,
                exclude_findings: str | None = None,
                exclude_near: str | None = None) -> list[Example]:
        """The k pairs of the same body system most like ``findings`` (BM25), within budget.

        The same institution ranks first where it is known. A pair that would take the
        examples past ``budget_chars`` is skipped, so a short one further down may fit.
        ``exclude_near`` is the case itself: a pair with the same findings or a
        near-duplicate of them (``near_duplicate``) would hand the model the answer, so it
        is never returned, and more candidates are read so k others still come back.
        ``exclude_findings`` skips only that exact text.
        """
        if k <= 0:
            return []
        with store_errors(self.path):
            expressions = self._match_expressions(findings)
        system = normalize_body_system(body_system)
        exclude = (exclude_findings or "").strip()
        near = exclude_near.strip() if exclude_near else None
        near_words = word_set(near) if near else frozenset()
        preferred = (f"+rowid IN (SELECT id FROM {TABLE} WHERE body_system = ? "
                     "AND institution = ?)") if institution else "0"
        # The body system is a list of ids tested per row ("+" keeps SQLite from probing
        # FTS5 once per id), and only the page of best rows is joined to the examples.
        sql = (f"SELECT t.id, e.findings, e.impression, w.words FROM ("
               f"SELECT rowid AS id, bm25({FTS}) AS score, {preferred} AS preferred "
               f"FROM {FTS} WHERE {FTS} MATCH ? "
               f"AND +rowid IN (SELECT id FROM {TABLE} WHERE body_system = ?) "
               "ORDER BY preferred DESC, score LIMIT ? OFFSET ?) t "
               f"JOIN {TABLE} e ON e.id = t.id JOIN {FTS} w ON w.rowid = t.id "
               "ORDER BY t.preferred DESC, t.score")
        chosen: list[Example] = []
        seen: set[int] = set()
        used = 0
        for expression in expressions:
            offset, limit = 0, k * 4
            for _round in range(_MAX_ROUNDS):
                params = [system, institution] if institution else []
                with store_errors(self.path):
                    rows = self.db.execute(sql, [*params, expression, system, limit,
                                                 offset]).fetchall()
                skipped = 0
                for row_id, found, impression, found_words in rows:
                    if row_id in seen:
                        continue
                    seen.add(row_id)
                    # w.words is " ".join(words(findings)): the same word set, not cut again.
                    if found == exclude or near is not None and (
                            found == near or near_duplicate_words(
                                frozenset(found_words.split()), near_words)):
                        skipped += 1
                        continue
                    size = len(found) + len(impression)
                    if used + size > budget_chars:
                        continue
                    chosen.append(Example(found, impression))
                    used += size
                    if len(chosen) == k:
                        return chosen
                # Only near-copies push the search further down: templated reports can
                # fill the first pages with one text.
                if not skipped or len(rows) < limit:
                    break
                offset += limit
                limit *= 4
        return chosen

    def _match_expressions(self, findings: str) -> list[str]:
        """FTS5 queries for ``findings``, to read in turn until k pairs are found.

        A small corpus is searched for all the words. A large one leaves out the words in
        more than _COMMON_SHARE of all pairs and requires one of the rarest few, whose
        rows the other words then rank; if that leaves fewer than k (the case's own rare
        words may find only its copies), any of the words left in will do.
        """
        terms = list(dict.fromkeys(words(findings)))[:_MAX_QUERY_WORDS]
        if not terms:
            return []
        rows = int(self.db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {TABLE}").fetchone()[0])
        if rows <= _PRUNE_FROM:
            return [_any(terms)]
        df = self._document_frequencies(terms, rows)
        ranked = sorted((t for t in terms if df[t]), key=df.__getitem__)
        kept = [t for t in ranked if df[t] <= rows * _COMMON_SHARE] or ranked[:_MIN_RARE]
        rare: list[str] = []
        total = 0
        for term in kept:
            if len(rare) >= _MIN_RARE and total + df[term] > _CANDIDATE_ROWS:
                break
            rare.append(term)
            total += df[term]
        others = kept[len(rare):]
        if not rare:
            return []
        if not others:
            return [_any(rare)]
        return [f"({_any(rare)}) AND ({_any(others)})", _any(kept)]

    def _document_frequencies(self, terms: list[str], rows: int) -> dict[str, int]:
        """How many pairs hold each word; cached, as FTS5 counts them by reading every row
        of the word (~1 ms per 3,000), until the corpus has grown by a quarter."""
        if rows > self._df_rows * 1.25:
            self._df.clear()
            self._df_rows = rows
        missing = [t for t in terms if t not in self._df]
        if missing:
            self.db.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{VOCAB} "
                            f"USING fts5vocab(main, {FTS}, row)")
            found = dict(self.db.execute(
                f"SELECT term, doc FROM temp.{VOCAB} WHERE term IN "
                f"({', '.join('?' * len(missing))})", missing).fetchall())
            for term in missing:
                self._df[term] = int(found.get(term, 0))
        return {t: self._df[t] for t in terms}


@dataclass(frozen=True)
class ImportSummary:
    added: int
    duplicates: int
    problems: tuple[str, ...]
    # The same, for the window's translation ("第 7 行：…").
    problem_words: tuple[Words, ...] = ()
    # (field, value) -> rows: what to add to resources/aliases.toml
    unmapped: dict[tuple[str, str], int] = field(default_factory=dict)


def import_pairs(corpus: ExampleCorpus, path: Path | str,
                 institution: str = "") -> ImportSummary:
    """Add a case file's findings -> impression pairs (CSV, XLSX, JSONL) to the corpus."""
    read = read_cases(path, required=("findings", "impression", "body_system"),
                      defaults={"institution": institution} if institution else None)
    problems = [str(p) for p in read.problems]
    words = [p.sentence() for p in read.problems]
    pairs = []
    for row in read.rows:
        try:
            modality = normalize_modality(row["modality"]) if row["modality"] else ""
            pairs.append(Pair(row["findings"], row["impression"],
                              normalize_body_system(row["body_system"]), modality,
                              detect_language(row["findings"]), row["institution"],
                              Path(path).name))
        except RadvalError as err:
            problem = RowProblem(row.line, str(err), Words(SENTENCES, err.template,
                                                           tuple(err.values.items())))
            problems.append(str(problem))
            words.append(problem.sentence())
    added = corpus.add_many(pairs)
    unmapped = Counter(p.unmapped for p in read.problems if p.unmapped)
    return ImportSummary(added, len(pairs) - added, tuple(problems), tuple(words),
                         dict(unmapped))
