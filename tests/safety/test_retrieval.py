"""The example corpus: jieba words in FTS5, same-system neighbours, budget, import, drafting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from radval_desktop.drafting import DraftRequest, draft, prepare
from radval_desktop.engine.sampling import Sampling
from radval_desktop.safety.retrieval import ExampleCorpus, Pair, import_pairs
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
