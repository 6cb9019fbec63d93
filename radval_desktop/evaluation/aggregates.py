"""Expert aggregates of a reader study: per model x body system x scope, as the paper's Fig. 6."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.engine.gguf_file import model_label
from radval_desktop.errors import InputError, Words, sentence
from radval_desktop.evaluation.tables import Table
from radval_desktop.store.database import store_errors
from radval_desktop.store.reader_study import LEVELS

# SPEC §6: OG = all test data, IHG = institution 1's split, OHG = institutions 2..n.
SCOPES = ("OG", "IHG", "OHG")
ALL_SYSTEMS = sentence("ResultTables", "all")  # every body system together


@dataclass(frozen=True)
class Rating:
    """One answer of one rater to one metric of one candidate; score None means NA."""

    rater: str
    level: str
    candidate: str
    model: str
    institution: str
    body_system: str
    metric: str
    score: float | None


@dataclass(frozen=True)
class StudyRef:
    uuid: str
    name: str
    institution_1: str


def find_study(db: Database, name: str | None = None) -> StudyRef | None:
    """The named study, or the only one in the file; None when the file holds no study."""
    with store_errors():
        rows = db.execute("SELECT uuid, name, institution_1 FROM studies ORDER BY name"
                          ).fetchall() if db["studies"].exists() else []
    if name is not None:
        wanted = " ".join(name.split()).casefold()
        rows = [r for r in rows if r[1].casefold() == wanted]
        if not rows:
            raise InputError(sentence("RadvalError",
                                      "There is no study named '{name}' in this database."),
                             name=name)
    if not rows:
        return None
    if len(rows) > 1:
        names = ", ".join(r[1] for r in rows)
        raise InputError(sentence(
            "RadvalError", "This database holds several studies ({names}); choose one: "
            "`radval report --study-name NAME` on the command line, or the Study box in the "
            "Results tab."), names=names)
    return StudyRef(rows[0][0], rows[0][1], rows[0][2] or "1")


def candidate_model_name(model_name: str | None, model_file: str | None,
                         quantization: str | None) -> str:
    """How reports name a candidate's model: a batch model by its file and quantization
    (issue 19: its general.name may name another quantization, and files batched before
    this change stored that name), an imported one by the name the file gave it."""
    if model_file:
        return model_label(Path(model_file), quantization or "unknown")
    return model_name or "?"


def load_ratings(db: Database, study: str) -> list[Rating]:
    """Every answer of the study with its rater's level and the candidate's case and model.

    Unanswered items have no row; an NA answer is a Rating with score None.
    """
    sql = """
        SELECT a.rater_uuid, r.level, a.candidate_uuid, c.model_name, k.institution,
               k.body_system, a.metric, a.score, a.na, m.file_name, m.quantization
        FROM answers a JOIN raters r ON r.uuid = a.rater_uuid
        JOIN candidates c ON c.uuid = a.candidate_uuid JOIN cases k ON k.uuid = c.case_uuid
        LEFT JOIN models m ON m.sha256 = c.model_sha256 AND c.source = 'batch'
        WHERE a.study_uuid = ? ORDER BY a.rater_uuid, a.candidate_uuid, a.metric
    """
    with store_errors():
        rows = db.execute(sql, [study]).fetchall()
    return [Rating(r[0], r[1], r[2], candidate_model_name(r[3], r[9], r[10]), r[4] or "",
                   r[5] or "", r[6],
                   None if r[8] or r[7] is None else float(r[7])) for r in rows]


def in_scope(rating: Rating, scope: str, institution_1: str) -> bool:
    if scope == "IHG":
        return rating.institution == institution_1
    if scope == "OHG":
        return rating.institution != institution_1
    return True


def level_mean(ratings: Iterable[Rating]) -> tuple[float | None, dict[str, float]]:
    """Mean over raters: each rater's mean over items, then within level, then across levels.

    The paper averages the junior, intermediate and senior groups so that a level with more
    raters does not outweigh the others. NA answers are left out; a level with no scores
    is left out of the mean across levels. Returns (overall, {level: mean}).
    """
    per_rater: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in ratings:
        if r.score is not None:
            per_rater[(r.level, r.rater)].append(r.score)
    per_level: dict[str, list[float]] = defaultdict(list)
    for (level, _), scores in per_rater.items():
        per_level[level].append(statistics.fmean(scores))
    levels = {level: statistics.fmean(means) for level, means in per_level.items()}
    overall = statistics.fmean(levels.values()) if levels else None
    return overall, levels


@dataclass(frozen=True)
class Aggregate:
    model: str
    body_system: str  # ALL_SYSTEMS for every system together
    scope: str
    means: dict[str, float | None]  # metric -> mean over levels; None when all NA
    by_level: dict[str, dict[str, float]]  # metric -> level -> mean
    answers: int  # scores used
    na: int  # NA answers left out
    items: int  # candidates with at least one answer


def aggregate(ratings: Sequence[Rating], metrics: Sequence[str], institution_1: str
              ) -> list[Aggregate]:
    """One Aggregate per model x body system x scope with any answers, and one over all
    systems where a model's scope holds more than one."""
    groups: dict[tuple[str, str, str], list[Rating]] = defaultdict(list)
    systems: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in ratings:
        for scope in SCOPES:
            if in_scope(r, scope, institution_1):
                groups[(r.model, r.body_system, scope)].append(r)
                systems[(r.model, scope)].add(r.body_system)
    # An "all systems" row only where it adds something: with one body system it repeated
    # that system's row (issue 19).
    for (model, scope), names in systems.items():
        if len(names) > 1:
            for name in names:
                groups[(model, ALL_SYSTEMS, scope)].extend(groups[(model, name, scope)])
    result = []
    for (model, system, scope), items in sorted(groups.items(), key=_group_order):
        means: dict[str, float | None] = {}
        by_level: dict[str, dict[str, float]] = {}
        for m in metrics:
            means[m], by_level[m] = level_mean(r for r in items if r.metric == m)
        result.append(Aggregate(model, system, scope, means, by_level,
                                sum(r.score is not None for r in items),
                                sum(r.score is None for r in items),
                                len({r.candidate for r in items})))
    return result


def _group_order(entry: tuple[tuple[str, str, str], list[Rating]]) -> tuple[int, int, str, str]:
    model, system, scope = entry[0]
    return SCOPES.index(scope), system == ALL_SYSTEMS, system, model


def aggregates_table(aggregates: Sequence[Aggregate], metrics: Sequence[tuple[str, str]]
                     ) -> Table:
    """metrics: (key, column label) in display order."""
    rows = tuple(
        (a.scope, a.body_system, a.model, *(_cell(a.means.get(k)) for k, _ in metrics),
         a.items, a.answers, a.na)
        for a in aggregates)
    return Table("expert_aggregates",
                 sentence("ResultTables", "Expert scores, mean over rater levels (0-100)"),
                 (sentence("ResultTables", "scope"), sentence("ResultTables", "body system"),
                  sentence("ResultTables", "model"), *(label for _, label in metrics),
                  sentence("ResultTables", "items"), sentence("ResultTables", "answers"), "NA"),
                 rows, decimals=1)


def _cell(value: float | None) -> object:
    return "NA" if value is None else value


@dataclass(frozen=True)
class Counts:
    cases: int
    candidates: int
    models: int
    raters: dict[str, int]  # level -> raters who gave any answer
    answers: int  # scores given
    na: int


def count(ratings: Sequence[Rating], cases: int) -> Counts:
    by_level: dict[str, set[str]] = defaultdict(set)
    for r in ratings:
        by_level[r.level].add(r.rater)
    return Counts(cases, len({r.candidate for r in ratings}), len({r.model for r in ratings}),
                  {level: len(by_level.get(level, ())) for level in LEVELS},
                  sum(r.score is not None for r in ratings),
                  sum(r.score is None for r in ratings))


def study_case_count(db: Database, study: str) -> int:
    with store_errors():
        return int(db.execute(
            "SELECT COUNT(DISTINCT c.case_uuid) FROM study_candidates s JOIN candidates c "
            "ON c.uuid = s.candidate_uuid WHERE s.study_uuid = ?", [study]).fetchone()[0])


def counts_table(counts: Counts) -> Table:
    raters: object = Words("ResultTables", sentence(
        "ResultTables", "{total} ({junior} junior, {intermediate} intermediate, {senior} "
        "senior)"), (("total", sum(counts.raters.values())),
                     *((level, counts.raters.get(level, 0)) for level in LEVELS)))
    if set(counts.raters) != set(LEVELS):  # the template names the three levels (SPEC §6)
        raters = str(raters)
    rows = ((sentence("ResultTables", "cases in the study"), counts.cases),
            (sentence("ResultTables", "candidates scored"), counts.candidates),
            (sentence("ResultTables", "models"), counts.models),
            (sentence("ResultTables", "raters"), raters),
            (sentence("ResultTables", "scores given"), counts.answers),
            (sentence("ResultTables", "NA answers (left out)"), counts.na))
    return Table("counts", sentence("ResultTables", "Cases, raters and answers"),
                 (sentence("ResultTables", "what"), sentence("ResultTables", "how many")), rows)
