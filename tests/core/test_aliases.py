"""Issue 16, item 4: one editable alias list maps what institutions write for body system and
modality, the same way for `radval batch`, the example-corpus import and `training prepare`."""

from __future__ import annotations

from pathlib import Path

import pytest

from radval_desktop.aliases import UnmappedValue, default_aliases_file, load_aliases
from radval_desktop.case_files import read_cases
from radval_desktop.errors import ConfigError
from radval_desktop.prompts import normalize_body_system, normalize_modality
from radval_desktop.safety.retrieval import TABLE, ExampleCorpus, import_pairs
from radval_desktop.store.database import open_database

# (body system cell, modality cell) -> (body system, modality) RadVal uses, or the field
# whose value is unmapped (None: the row is a problem naming the value).
CELLS = [
    ("胸部CT平扫", "", "chest", "CT"),       # an exam name in the body-system column
    ("胸部", "CT增强", "chest", "CT"),
    ("chest", "DR", "chest", "XR"),
    ("Chest", "CR", "chest", "XR"),
    ("头颅", "MR", "head", "MRI"),
    ("abdomen", "CT+MR", "abdomen", "CT"),   # a combined exam: its first modality
    ("颌面颈部", "MRI", "maxillofacial_neck", "MRI"),
    ("Head & Neck", "X-ray", "maxillofacial_neck", "XR"),
    ("腹部MR平扫+增强", "", "abdomen", "MRI"),
    ("胸部", "US", None, None),               # ultrasound: not drafted by RadVal
    ("胸部", "PET-CT", None, None),
    ("足部", "CT", None, None),              # no alias: unmapped, named
    ("胸椎", "MR", None, None),              # 胸 is chest, but 椎 is left over: not guessed
]


def _csv(path: Path) -> Path:
    lines = ["findings,impression,body_system,modality"]
    lines += [f"Finding {i}.,Impression {i}.,{system},{modality}"
              for i, (system, modality, _, _) in enumerate(CELLS)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_values_institutions_write_map_through_the_alias_list(tmp_path: Path) -> None:
    result = read_cases(_csv(tmp_path / "cases.csv"),
                        required=("findings", "impression", "body_system", "modality"))
    got = {row.line: (row["body_system"], row["modality"]) for row in result.rows}
    for index, (_, _, system, modality) in enumerate(CELLS):
        if system is not None:
            assert got[index + 2] == (system, modality), CELLS[index]
    problems = {p.line: p for p in result.problems}
    assert sorted(problems) == [i + 2 for i, c in enumerate(CELLS) if c[2] is None]
    assert problems[11].unmapped == ("modality", "US")
    assert "RadVal drafts CT, MRI and XR reports only" in problems[11].reason
    assert problems[12].unmapped == ("modality", "PET-CT")
    assert problems[13].unmapped == ("body_system", "足部")
    assert problems[13].reason.startswith("Unknown body system '足部'")
    assert problems[14].unmapped == ("body_system", "胸椎")


def test_batch_corpus_import_and_the_prompt_builder_share_the_list(tmp_path: Path) -> None:
    """The same cells through the example-corpus import: the pairs it keeps carry the same
    names, and its problem lines name the unmapped values."""
    path = _csv(tmp_path / "pairs.csv")
    db = open_database(tmp_path / "history.sqlite")
    try:
        summary = import_pairs(ExampleCorpus(db, tmp_path / "history.sqlite"), path)
        stored = db.execute(f"SELECT body_system, modality FROM {TABLE}").fetchall()
    finally:
        db.close()
    mapped = [c for c in CELLS if c[2] is not None]
    assert summary.added == len(mapped)
    assert any("'足部'" in line and "line 13" in line for line in summary.problems)
    assert any("'US'" in line and "line 11" in line for line in summary.problems)
    assert summary.unmapped == {("modality", "US"): 1, ("modality", "PET-CT"): 1,
                                ("body_system", "足部"): 1, ("body_system", "胸椎"): 1}
    assert sorted(map(tuple, stored)) == sorted((c[2], c[3]) for c in mapped)
    for system, modality, want_system, want_modality in mapped:
        key = modality or system
        assert normalize_modality(key) == want_modality
        assert normalize_body_system(system) == want_system


def test_the_list_is_one_editable_file(tmp_path: Path) -> None:
    text = default_aliases_file().read_text(encoding="utf-8")
    assert "胸部" in text
    edited = tmp_path / "aliases.toml"
    edited.write_text(text.replace('musculoskeletal = [', 'musculoskeletal = ["足部", ', 1),
                      encoding="utf-8")
    aliases = load_aliases(edited)
    assert aliases.body_system("足部") == "musculoskeletal"
    assert aliases.read("足部CT").modalities == ("CT",)
    with pytest.raises(UnmappedValue, match="Unknown body system '足部'"):
        load_aliases().body_system("足部")


def test_a_broken_alias_file_is_a_sentence_naming_it(tmp_path: Path) -> None:
    broken = tmp_path / "aliases.toml"
    broken.write_text('[body_system]\nknee = ["膝"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"aliases\.toml maps to 'knee', which is not one of"):
        load_aliases(broken)
    broken.write_text('[body_system]\nchest = "thorax"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"chest must be a list of names"):
        load_aliases(broken)
