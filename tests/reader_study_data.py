"""Reader-study fixtures built from scratch: Chinese and English cases, two models each."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from radval_desktop.store.reader_study import Study, open_study, save_study
from radval_desktop.study.importing import import_candidates

CASES = [
    {"case_id": "zh-1", "institution": "1", "body_system": "chest", "modality": "CT",
     "findings": "胸部CT平扫：右肺下叶见斑片状高密度影，边界模糊，内见支气管充气征。"
                 "双侧胸腔未见积液。纵隔内未见肿大淋巴结。心影大小正常。",
     "impression": "右肺下叶肺炎。"},
    {"case_id": "zh-2", "institution": "2", "body_system": "abdomen", "modality": "CT",
     "findings": "上腹部CT增强：肝右叶见一类圆形低密度影，大小约2.1cm×1.8cm，动脉期边缘结节状"
                 "强化，门脉期及延迟期逐渐向中心填充。胆囊不大，壁不厚。胰腺、脾脏未见异常。",
     "impression": "肝右叶血管瘤。"},
    {"case_id": "en-1", "institution": "1", "body_system": "chest", "modality": "CT",
     "findings": "CT chest without contrast: patchy consolidation in the right lower lobe with "
                 "air bronchograms. No pleural effusion. Heart size is normal.",
     "impression": "Right lower lobe pneumonia."},
]
CANDIDATES = {
    "zh-1": {"model-a": "右肺下叶炎症，建议抗炎治疗后复查。",
             "model-b": "右肺下叶肺炎，双侧胸腔未见积液。"},
    "zh-2": {"model-a": "肝右叶占位，考虑血管瘤。",
             "model-b": "肝右叶低密度影，肝癌可能，建议穿刺活检。"},
    "en-1": {"model-a": "Right lower lobe pneumonia.",
             "model-b": "Right lower lobe consolidation, likely pneumonia; follow-up advised."},
}
STUDY = "pilot"


def write_jsonl(path: Path) -> Path:
    lines = [json.dumps({**case, "model": model, "candidate": text}, ensure_ascii=False)
             for case in CASES for model, text in CANDIDATES[case["case_id"]].items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def build_study(path: Path, show_reference: bool = False) -> Study:
    """A study database with 3 cases x 2 models = 6 candidates, nobody assigned yet."""
    db = open_study(path)
    summary = import_candidates(db, write_jsonl(path.with_suffix(".jsonl")))
    assert (summary.cases, summary.candidates, summary.problems) == (3, 6, [])
    study = save_study(db, STUDY, show_reference=show_reference)
    db.close()
    return study


# Issue 6: a scored study. One rater per level; each rater's score for a candidate is the
# same on every metric plus the metric's index (0-6), so hand-computed means stay simple.
RATERS = (("Dr Junior", "junior"), ("Dr Middle", "intermediate"), ("Dr Senior", "senior"))
SCORES = {  # (case, model) -> (junior, intermediate, senior)
    ("zh-1", "model-a"): (80, 70, 60), ("zh-1", "model-b"): (60, 50, 40),
    ("en-1", "model-a"): (90, 80, 70), ("en-1", "model-b"): (70, 60, 50),
    ("zh-2", "model-a"): (50, 40, 30), ("zh-2", "model-b"): (30, 20, 10),
}
NA = ("Dr Senior", "en-1", "model-b", "overdiagnosis")  # the one NA answer


def build_scored_study(path: Path) -> Study:
    """build_study, then every rater scores every candidate on all seven metrics."""
    from radval_desktop.store.reader_study import Answer, save_answer, save_rater
    from radval_desktop.study.questionnaire import METRIC_KEYS

    study = build_study(path)
    db = open_study(path)
    rows = db.execute("SELECT c.uuid, k.source_id, c.model_name FROM candidates c "
                      "JOIN cases k ON k.uuid = c.case_uuid").fetchall()
    for index, (name, level) in enumerate(RATERS):
        rater = save_rater(db, name, level)
        for candidate, case, model in rows:
            for offset, metric in enumerate(METRIC_KEYS):
                if (name, case, model, metric) == NA:
                    answer = Answer(metric, na=True, explanation="not assessable")
                else:
                    answer = Answer(metric, SCORES[(case, model)][index] + offset)
                save_answer(db, study.uuid, rater.uuid, candidate, answer)
    db.close()
    return study


# The tables `scores merge` combines: a dump of them compares two study files row by row.
MERGED_TABLES = ("cases", "candidates", "raters", "studies", "study_candidates",
                 "assignments", "answers", "cursors")


def dump_tables(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in MERGED_TABLES}
    finally:
        conn.close()


# Issue 19: a study lead's hand-out files, scored as their raters would, and the progress
# figures counted straight from the tables to check the Study view's against.
def score_handed_out(path: Path, count: int, score: int, na_every: int = 0) -> None:
    """The only rater of a handed-out file answers their first ``count`` slots in their
    own order: ``score`` plus the metric's index, or NA on every ``na_every``-th slot."""
    from radval_desktop.store.reader_study import list_raters, list_studies
    from radval_desktop.study.session import ScoringSession

    db = open_study(path)
    (rater,) = list_raters(db)
    session = ScoringSession(db, list_studies(db)[0], rater, path)
    for slot in range(count):
        session.go(slot // 7, slot % 7)
        if na_every and slot % na_every == 0:
            session.set_na(True)
        else:
            session.set_score(score + slot % 7)
    db.close()


def progress_from_sql(path: Path) -> dict[str, tuple[int, int, int, str | None, float | None]]:
    """Each rater's (answered, total, NA, last change, mean score), by name."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for uuid, name in conn.execute("SELECT uuid, name FROM raters"):
            total = conn.execute("SELECT COUNT(*) * 7 FROM assignments WHERE rater_uuid = ?",
                                 [uuid]).fetchone()[0]
            answered, na, last, mean = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(na), 0), MAX(changed_at), AVG(score) "
                "FROM answers WHERE rater_uuid = ? AND (na = 1 OR score IS NOT NULL)",
                [uuid]).fetchone()
            out[name] = (answered, total, na, last, mean)
        return out
    finally:
        conn.close()
