"""Property tests: case files and reader-study imports from any bytes, in any encoding.

A file either gives rows and per-row problems (each with its line and reason), or is
refused as a whole with an InputError sentence; never another exception.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from property_text import ANY_TEXT, MIXED_TEXT, outcome

from radval_desktop.case_files import ALIASES, ReadResult, read_cases
from radval_desktop.errors import InputError
from radval_desktop.findings import MAX_FINDINGS_CHARS
from radval_desktop.prompts import BODY_SYSTEMS, MODALITIES
from radval_desktop.store.reader_study import open_study
from radval_desktop.study.importing import IMPORT_REQUIRED, import_candidates

SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".xlsx", ".json")
ENCODINGS = ("utf-8", "utf-8-sig", "gb18030")
# Column names as exports spell them: every alias, in English and Chinese, plus strangers.
COLUMNS = st.sampled_from(sorted({a for names in ALIASES.values() for a in names})) | \
    st.text(min_size=1, max_size=8)
# Cell values: report text, text of any script, the known systems and modalities (so that
# rows also come out good), numbers, and the empty cell.
CELL = st.one_of(MIXED_TEXT, ANY_TEXT, st.sampled_from((*BODY_SYSTEMS, *MODALITIES, "胸部", "MR")),
                 st.integers().map(str), st.just(""))
RECORDS = st.lists(st.dictionaries(COLUMNS, CELL, max_size=8), max_size=12)
SETTINGS = settings(deadline=3000, suppress_health_check=[HealthCheck.too_slow])
_numbers = itertools.count()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # One folder for the module, a new file name per example: hypothesis calls a test many
    # times inside one function-scoped fixture, so tmp_path would not separate them.
    return tmp_path_factory.mktemp("case-files")


def _write(folder: Path, data: bytes, suffix: str) -> Path:
    path = folder / f"cases-{next(_numbers)}{suffix}"
    path.write_bytes(data)
    return path


def _read(path: Path, required: tuple[str, ...] = ("findings", "impression")
          ) -> ReadResult | None:
    """read_cases, with the promise checked on its result; None when refused."""
    result, refusal = outcome(read_cases, path, required, refused=InputError)
    if refusal:
        assert refusal.rstrip().endswith(".")
        return None
    lines = [row.line for row in result.rows] + [p.line for p in result.problems]
    assert all(line >= 1 for line in lines)
    assert len(set(row.line for row in result.rows)) == len(result.rows)
    for row in result.rows:
        for name in required:
            assert row[name], f"row {row.line} lacks {name} but was accepted"
        assert len(row["findings"]) <= MAX_FINDINGS_CHARS
        assert row["body_system"] in ("", *BODY_SYSTEMS)
        assert row["modality"] in ("", *MODALITIES)
    for problem in result.problems:
        assert problem.reason
        assert str(problem).startswith(f"line {problem.line}: ")
    return result


def _encode(text: str, encoding: str) -> bytes | None:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return None  # lone surrogates have no encoding: such a file cannot exist


@settings(SETTINGS, max_examples=400)
@given(st.binary(max_size=2000), st.sampled_from(SUFFIXES))
def test_random_bytes_give_rows_problems_or_a_sentence(folder: Path, data: bytes, suffix: str
                                                        ) -> None:
    _read(_write(folder, data, suffix))  # _read asserts the promise on whatever comes back


@settings(SETTINGS, max_examples=300)
@given(RECORDS, st.sampled_from(ENCODINGS), st.sampled_from((".csv", ".tsv")))
def test_any_table_in_any_encoding_is_read_row_by_row(folder: Path,
                                                     records: list[dict[str, str]],
                                                     encoding: str, suffix: str) -> None:
    header = list(dict.fromkeys(["findings", "impression", *(k for r in records for k in r)]))
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, header, delimiter="\t" if suffix == ".tsv" else ",",
                            lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(records)
    data = _encode(out.getvalue(), encoding)
    if data is None:
        return
    result = _read(_write(folder, data, suffix))
    assert result is not None  # the header names both required columns
    # Every record is a row or a problem: with two columns or more no record is a blank line.
    assert len(result.rows) + len(result.problems) == len(records)


@settings(SETTINGS, max_examples=300)
@given(RECORDS, st.sampled_from(ENCODINGS), st.booleans())
def test_any_jsonl_in_any_encoding_accounts_for_every_line(folder: Path,
                                                          records: list[dict[str, str]],
                                                          encoding: str, ascii_only: bool
                                                          ) -> None:
    text = "".join(json.dumps(r, ensure_ascii=ascii_only) + "\n" for r in records)
    data = _encode(text, encoding)
    if data is None:
        return
    result = _read(_write(folder, data, ".jsonl"))
    if result is None:
        return
    # One JSON object per line: each line is a row or a problem, never split or lost
    # (U+2028, U+0085 and friends inside a string are not line breaks in JSON Lines).
    assert len(result.rows) + len(result.problems) == len(records)
    assert not any("not valid JSON" in p.reason for p in result.problems)
    if encoding == "gb18030":
        return  # GBK bytes that also happen to be valid UTF-8 are read as UTF-8: by design
    for row in result.rows:
        source = records[row.line - 1]
        findings_column = result.columns["findings"]
        assert row["findings"] == str(source[findings_column]).strip()


@pytest.mark.parametrize("size", [200_000, 5_000_000])
@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_huge_cell_is_a_problem_row_not_a_crash(folder: Path, size: int, suffix: str
                                                    ) -> None:
    # Past csv's 128 KiB field limit this raised _csv.Error out of read_cases.
    huge = "右肺结节。" * (size // 5)
    rows = [{"findings": huge, "impression": "x"}, {"findings": "Small effusion.",
                                                    "impression": "Effusion."}]
    if suffix == ".csv":
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, ["findings", "impression"])
        writer.writeheader()
        writer.writerows(rows)
        text = out.getvalue()
    else:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    result = _read(_write(folder, text.encode("utf-8"), suffix))
    assert result is not None
    assert [row["findings"] for row in result.rows] == ["Small effusion."]
    [problem] = result.problems
    assert problem.line == (2 if suffix == ".csv" else 1)  # a CSV's line 1 is its header


@settings(SETTINGS, max_examples=60)
@given(st.lists(st.dictionaries(st.sampled_from(("findings", "model", "candidate", "impression",
                                                 "body_system", "modality", "institution",
                                                 "检查所见", "生成结果", "模型")),
                                CELL, max_size=7), max_size=8),
       st.sampled_from(ENCODINGS), st.booleans())
def test_study_import_saves_each_good_row_once(folder: Path, records: list[dict[str, str]],
                                              encoding: str, ascii_only: bool) -> None:
    text = "".join(json.dumps(r, ensure_ascii=ascii_only) + "\n" for r in records)
    data = _encode(text, encoding)
    if data is None:
        return
    path = _write(folder, data, ".jsonl")
    db = open_study(path.with_suffix(".db"))
    try:
        summary, refusal = outcome(import_candidates, db, path, refused=InputError)
        if refusal:
            assert refusal.rstrip().endswith(".")
            return
        read = read_cases(path, required=IMPORT_REQUIRED)
        assert len(summary.problems) == len(read.problems)
        assert summary.candidates <= len(read.rows)
        assert db["candidates"].count == summary.candidates
        assert db["cases"].count == summary.cases
        again = import_candidates(db, path)  # importing the same file twice adds nothing
        assert (db["candidates"].count, db["cases"].count) == (summary.candidates,
                                                              summary.cases)
        assert again.candidates == summary.candidates
    finally:
        db.close()
