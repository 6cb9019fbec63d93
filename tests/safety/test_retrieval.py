"""The example corpus: jieba words in FTS5, same-system neighbours, budget, import, drafting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radval_desktop.drafting import DraftRequest, draft, prepare
from radval_desktop.engine.sampling import Sampling
from radval_desktop.safety import retrieval
from radval_desktop.safety.retrieval import (
    ExampleCorpus,
    Pair,
    import_pairs,
    near_duplicate,
)
from radval_desktop.store.database import open_database
from radval_desktop.words import words

CHEST_ZH = Pair("右肺上叶胸膜下见片状磨玻璃影，边缘不清。", "右肺上叶炎性病变", "chest")
CHEST_ZH_2 = Pair("左肺下叶见结节影，直径约6mm。", "左肺下叶小结节", "chest")
HEAD_ZH = Pair("右侧基底节区见片状磨玻璃影样低密度影。", "右侧基底节区腔隙性脑梗死", "head")
CHEST_EN = Pair("Small left pleural effusion. No pneumothorax.", "Left pleural effusion.",
                "chest")


@pytest.fixture
def corpus(tmp_path: Path) -> ExampleCorpus:
    return ExampleCorpus(open_database(tmp_path / "radval.db"))


def test_chinese_is_indexed_as_jieba_words() -> None:
    cut = words("右肺上叶见磨玻璃影，双侧胸腔积液。CT T2WI")
    # The radiology dictionary keeps these whole; English is lower-cased, punctuation dropped.
    assert "磨玻璃影" in cut
    assert "胸腔积液" in cut
    assert "t2wi" in cut
    assert "，" not in cut


def test_fts5_finds_a_chinese_word_inside_unspaced_text(corpus: ExampleCorpus) -> None:
    corpus.add(CHEST_ZH)
    hits = corpus.db.execute("SELECT rowid FROM examples_fts WHERE examples_fts MATCH ?",
                             ['"磨玻璃影"']).fetchall()
    assert len(hits) == 1
    # SQLite's own tokenizer would index the whole clause as one token and find nothing.
    assert corpus.db.execute("SELECT COUNT(*) FROM examples_fts WHERE examples_fts MATCH ?",
                             ['"片状"']).fetchone()[0] == 1


def test_neighbours_are_of_the_same_body_system_most_similar_first(
        corpus: ExampleCorpus) -> None:
    corpus.add_many([CHEST_ZH_2, HEAD_ZH, CHEST_ZH, CHEST_EN])
    found = corpus.similar("左肺上叶见片状磨玻璃影。", "chest", k=3)
    assert found[0].impression == CHEST_ZH.impression
    assert HEAD_ZH.impression not in [e.impression for e in found]
    head = corpus.similar("左肺上叶见片状磨玻璃影。", "head", k=3)
    assert [e.impression for e in head] == [HEAD_ZH.impression]


def test_the_same_institution_ranks_first(corpus: ExampleCorpus) -> None:
    corpus.add(Pair(CHEST_ZH.findings, "医院甲的写法", "chest", institution="A"))
    corpus.add(Pair(CHEST_ZH.findings + "余未见异常。", "医院乙的写法", "chest", institution="B"))
    assert corpus.similar(CHEST_ZH.findings, "chest", k=1, institution="B")[0].impression == (
        "医院乙的写法")


def test_examples_stay_within_the_character_budget(corpus: ExampleCorpus) -> None:
    long = Pair("右肺上叶见磨玻璃影。" + "边缘不清。" * 100, "右肺上叶炎性病变", "chest")
    corpus.add_many([long, CHEST_ZH])
    found = corpus.similar("右肺上叶见磨玻璃影", "chest", k=3, budget_chars=200)
    assert [e.impression for e in found] == [CHEST_ZH.impression]
    assert sum(len(e.findings) + len(e.impression) for e in found) <= 200


def test_leave_one_out_excludes_the_query_itself(corpus: ExampleCorpus) -> None:
    corpus.add_many([CHEST_ZH, CHEST_ZH_2])
    found = corpus.similar(CHEST_ZH.findings, "chest", k=3, exclude_findings=CHEST_ZH.findings)
    assert CHEST_ZH.impression not in [e.impression for e in found]


# Issue 15: long enough (>= 19 distinct words) that one changed word stays a near-copy.
CASE_EN = ("CT chest: patchy consolidation in the right lower lobe with air bronchograms, "
           "small right pleural effusion, no pneumothorax, heart size normal, mediastinal "
           "lymph nodes not enlarged, trachea midline.")
NEAR_EN = CASE_EN.replace("small right", "moderate right")
OTHERS_EN = [
    ("CT chest: patchy consolidation in the left upper lobe.", "Left upper lobe pneumonia."),
    ("Right lower lobe consolidation; no effusion.", "Right lower lobe pneumonia."),
    ("Small right pleural effusion, no pneumothorax.", "Small right pleural effusion."),
    ("Mediastinal lymph nodes not enlarged; heart size normal.", "No acute findings."),
    ("Air bronchograms in the right lower lobe consolidation.", "Lobar pneumonia."),
]


def test_near_duplicate_is_the_same_text_or_one_word_changed_in_a_long_report() -> None:
    assert near_duplicate(CASE_EN, "  " + CASE_EN + "\n")
    assert near_duplicate(CASE_EN, NEAR_EN)
    assert near_duplicate(CASE_EN, CASE_EN.replace(",", " ,"))  # punctuation is no word
    assert not near_duplicate(CASE_EN, OTHERS_EN[0][0])
    assert near_duplicate("右肺上叶见磨玻璃影。", "右肺上叶见磨玻璃影。")
    assert not near_duplicate("右肺上叶见磨玻璃影。", "左肺下叶见结节影。")


def test_the_case_and_its_near_copy_are_never_examples_of_it(corpus: ExampleCorpus) -> None:
    corpus.add_many([Pair(CASE_EN, "THE ANSWER", "chest"), Pair(NEAR_EN, "NEAR ANSWER", "chest"),
                     *(Pair(f, i, "chest") for f, i in OTHERS_EN)])
    without = [e.impression for e in corpus.similar(CASE_EN, "chest", k=3)]
    assert without[:2] == ["THE ANSWER", "NEAR ANSWER"]  # the rule has something to remove
    found = corpus.similar(CASE_EN, "chest", k=3, exclude_near=CASE_EN)
    assert len(found) == 3
    assert not {"THE ANSWER", "NEAR ANSWER"} & {e.impression for e in found}


def test_many_near_copies_on_top_still_leave_k_others(corpus: ExampleCorpus) -> None:
    # A templated report repeated with one word changed fills the first pages of candidates.
    changed = ["mild", "moderate", "large", "tiny", "trace", "loculated", "new", "stable",
               "old", "bilateral", "persistent", "minimal", "layering", "free", "massive",
               "subpulmonic", "increasing", "decreasing", "residual", "known"]
    corpus.add_many(Pair(CASE_EN.replace("small right", f"{word} right"), f"copy {n}", "chest")
                    for n, word in enumerate(changed))
    corpus.add_many(Pair(f, i, "chest") for f, i in OTHERS_EN)
    found = corpus.similar(CASE_EN, "chest", k=3, exclude_near=CASE_EN)
    assert len(found) == 3
    assert not any(e.impression.startswith("copy") for e in found)


@pytest.fixture
def large_corpus_plan(monkeypatch: pytest.MonkeyPatch) -> None:
    """Search a small corpus as a large one is searched (bench/retrieval_speed.py)."""
    monkeypatch.setattr(retrieval, "_PRUNE_FROM", 0)
    monkeypatch.setattr(retrieval, "_MIN_RARE", 1)
    monkeypatch.setattr(retrieval, "_CANDIDATE_ROWS", 1)


@pytest.mark.usefixtures("large_corpus_plan")
def test_a_large_corpus_leaves_out_common_words_but_finds_the_same_neighbours(
        corpus: ExampleCorpus) -> None:
    filler = [Pair(f"The lungs are clear. Study {n} of the chest is normal.", f"Normal {n}.",
                   "chest") for n in range(8)]
    corpus.add_many([*filler, Pair(CASE_EN, "THE ANSWER", "chest"),
                     Pair(NEAR_EN, "NEAR ANSWER", "chest"),
                     *(Pair(f, i, "chest") for f, i in OTHERS_EN)])
    expressions = corpus._match_expressions(CASE_EN)
    assert '"the"' not in expressions[0]  # in more than a quarter of the pairs
    assert " AND " in expressions[0]  # the rarest word must match, the rest rank
    found = corpus.similar(CASE_EN, "chest", k=3, exclude_near=CASE_EN)
    assert len(found) == 3
    assert {e.impression for e in found} <= {i for _f, i in OTHERS_EN}
    head = corpus.similar(CASE_EN, "head", k=3)
    assert head == []


@pytest.mark.usefixtures("large_corpus_plan")
def test_a_large_corpus_falls_back_to_any_word_left_in(corpus: ExampleCorpus) -> None:
    corpus.add_many([Pair("Bronchiectasis.", "Bronchiectasis.", "chest"),
                     Pair("Mucus plugging in the left lower lobe.", "Mucus plugging.", "chest"),
                     Pair("Mucus plugging, right lower lobe.", "Mucus plugging.", "chest"),
                     *(Pair(f"Lungs clear, study {n}.", "Normal.", "chest") for n in range(9))])
    query = "Bronchiectasis with mucus plugging; lungs otherwise clear."
    assert corpus._match_expressions(query) == [
        '("bronchiectasis") AND ("mucus" OR "plugging")',  # no row has all that
        '"bronchiectasis" OR "mucus" OR "plugging"']  # "lungs", "clear": in 9 of 12
    found = corpus.similar(query, "chest", k=3)
    assert {e.findings for e in found} == {"Bronchiectasis.",
                                           "Mucus plugging in the left lower lobe.",
                                           "Mucus plugging, right lower lobe."}


def test_count_by_body_system_and_language(corpus: ExampleCorpus) -> None:
    corpus.add_many([CHEST_ZH, CHEST_ZH_2, HEAD_ZH, CHEST_EN])
    assert corpus.count() == 4
    assert corpus.count(body_system="chest") == 3
    assert corpus.count(body_system="胸部") == 3  # the same names the import accepts
    assert corpus.count(language="en") == 1
    assert corpus.count(body_system="chest", language="zh") == 2
    assert corpus.count(body_system="head", language="en") == 0


def test_import_reports_each_bad_row_by_line_and_keeps_the_good_ones(
        corpus: ExampleCorpus, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "findings,impression,body_system\n"
        '"Small left pleural effusion. No pneumothorax.",Left pleural effusion.,chest\n'
        '"Right knee: joint effusion.",,chest\n'  # line 3: no impression
        '"Left elbow: no fracture.",Normal elbow.,elbow\n'  # line 4: no such body system
        "右侧基底节区见片状低密度影。,右侧基底节区腔隙性脑梗死,头部\n",
        "utf-8")
    summary = import_pairs(corpus, path)
    assert (summary.added, summary.duplicates) == (2, 0)
    assert len(summary.problems) == 2
    assert summary.problems[0].startswith("line 3:")
    assert "impression" in summary.problems[0]
    assert summary.problems[1].startswith("line 4:")
    assert "elbow" in summary.problems[1]
    assert corpus.count(body_system="chest") == 1
    assert corpus.count(body_system="head") == 1


def test_import_adds_a_case_file_once(corpus: ExampleCorpus, tmp_path: Path) -> None:
    path = tmp_path / "site.jsonl"
    rows = [{"findings": CHEST_ZH.findings, "impression": CHEST_ZH.impression,
             "body_system": "胸部", "modality": "CT"},
            {"findings": "Normal.", "impression": "Normal.", "body_system": "elbow"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), "utf-8")
    first = import_pairs(corpus, path, institution="A")
    assert (first.added, len(first.problems)) == (1, 1)
    assert "elbow" in first.problems[0]
    again = import_pairs(corpus, path)
    assert (again.added, again.duplicates, corpus.count()) == (0, 1, 1)


def test_retrieved_examples_reach_the_prompt_and_the_draft(engine, corpus: ExampleCorpus
                                                          ) -> None:  # noqa: ANN001
    corpus.add_many([CHEST_ZH, CHEST_ZH_2])
    examples = tuple(corpus.similar("左肺上叶见片状磨玻璃影。", "chest", k=1))
    request = DraftRequest("左肺上叶见片状磨玻璃影。", "chest", "CT", "zh", examples=examples)
    _case, rendered, _version = prepare(engine, request)
    assert CHEST_ZH.impression in rendered.text
    assert rendered.text.index(CHEST_ZH.impression) < rendered.text.index("左肺上叶见片状")
    result = draft(engine, request, Sampling(max_tokens=12))
    assert CHEST_ZH.impression in result.prompt
    assert result.attempts
