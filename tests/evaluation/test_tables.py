from __future__ import annotations

import pytest

from radval_desktop.evaluation.rouge import score
from radval_desktop.evaluation.tables import Output, paper_tables, score_outputs, utility_table


def _out(model: str, inst: str, system: str, cand: str, ref: str, seconds: float = 1.0,
         lang: str = "en", **kw: object) -> Output:
    return Output(model, inst, system, lang, cand, ref, seconds, **kw)  # type: ignore[arg-type]


OUTPUTS = [
    _out("m1", "1", "chest", "right lower lobe pneumonia", "right lower lobe pneumonia", 2.0),
    _out("m1", "1", "head", "no acute infarct", "acute infarct", 4.0, attempts=2,
         repetition_attempts=1, parameters=494_000_000),
    _out("m1", "2", "chest", "normal chest", "no acute disease", 6.0),
    _out("m1", "2", "chest", "右肺炎症", "右肺炎症", 8.0, lang="zh"),
    _out("m2", "1", "chest", "pneumonia", "right lower lobe pneumonia", 1.0, ok=False, attempts=3,
         empty_attempts=3),
]


def _table(name: str):
    return next(t for t in paper_tables(OUTPUTS, "1") if t.name == name)


def test_chinese_is_scored_on_words_and_characters() -> None:
    scored = score_outputs([OUTPUTS[3]])
    assert [s.tokenization for s in scored] == ["zh-jieba-word", "zh-char"]
    assert all(s.rl == 1.0 for s in scored)


def test_per_institution_means_by_hand() -> None:
    table = _table("tables2_3_institution")
    rows = {(r[0], r[1], r[2]): r for r in table.rows}
    inst1 = rows[("m1", "1", "en-rouge-score")]
    # R-L of pair 1 is 1; pair 2: LCS "acute infarct" = 2, P = 2/3, R = 1, F = 0.8.
    assert inst1[3] == 2
    assert inst1[6] == pytest.approx((1.0 + 0.8) / 2)
    assert rows[("m1", "2", "en-rouge-score")][6] == 0.0
    assert rows[("m1", "2", "zh-jieba-word")][6] == 1.0
    m2 = rows[("m2", "1", "en-rouge-score")]
    assert m2[6] == pytest.approx(score("pneumonia", "right lower lobe pneumonia").rougeL.f1)


def test_system_tables_split_institution_1_from_all() -> None:
    inside = {(r[0], r[1], r[2]): r[3] for r in _table("tables4_5_system_institution1").rows}
    assert inside[("m1", "chest", "en-rouge-score")] == 1
    every = {(r[0], r[1], r[2]): r[3] for r in _table("tables6_7_system_all").rows}
    assert every[("m1", "chest", "en-rouge-score")] == 2


def test_utility_median_and_p90() -> None:
    rows = {r[0]: r for r in utility_table(OUTPUTS).rows}
    assert rows["m1"][1] == "0.49B"
    assert rows["m1"][3] == 5.0  # median of 2, 4, 6, 8
    assert rows["m1"][4] == pytest.approx(7.4)  # 6 + 0.7 * (8 - 6)
    assert rows["m2"][1] == "?"


def test_guard_counts() -> None:
    rows = {r[0]: r for r in _table("guards").rows}
    assert rows["m1"][1:] == (4, 0, 1, 1, 0)
    assert rows["m2"][1:] == (1, 3, 0, 2, 1)


def test_markdown_and_csv() -> None:
    table = _table("tables2_3_institution")
    md = table.to_markdown()
    assert md.startswith("### ROUGE F1 per institution")
    assert "| m1 | 1 | en-rouge-score | 2 |" in md
    csv_text = table.to_csv().splitlines()
    assert csv_text[0] == "model,institution,tokenization,n,R-1,R-2,R-L"
    assert len(csv_text) == len(table.rows) + 1


def test_no_outputs_gives_empty_tables() -> None:
    tables = paper_tables([])
    assert all(not t.rows for t in tables)
    assert "—" in tables[0].to_markdown()
