"""`prepare` on the fixture exports: counts worked out by hand from fixture_exports.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fixture_exports import H1_ROWS

from training.prepare import prepare
from training.recipe import build_recipe, parse_sets
from training.records import read_reports
from training.run_folder import RunFolder


def _recipe(institutions: Path, *extra: str) -> Any:
    return build_recipe(parse_sets([f"data.institutions={institutions}",
                                    "data.validation_fraction=0.2", *extra]))


@pytest.fixture
def prepared(tmp_path: Path, institutions_file: Path) -> tuple[RunFolder, dict[str, Any]]:
    run = RunFolder(tmp_path / "run")
    prepare(_recipe(institutions_file), run)
    card = json.loads((run.data / "data_card.json").read_text(encoding="utf-8"))
    return run, card


def test_cleaning_counts_every_dropped_and_changed_row(prepared: tuple[RunFolder, Any]) -> None:
    _, card = prepared
    h1, h2 = (card["cleaning"]["per_institution"][i] for i in ("H1", "H2"))
    # H1: 13 CSV rows. Dropped: line 10 (a duplicate of line 3 once its title goes),
    # line 11 (empty impression), line 13 (only "请结合临床。": empty after cleaning),
    # line 14 (足部 is no body system). 13 - 4 = 9 kept.
    assert h1["read"] == 13
    assert h1["kept"] == 9
    assert h1["dropped"] == {"duplicate report": 1, "empty findings or impression": 1,
                             "empty after cleaning": 1, "unknown body system or modality": 1}
    # Titles: lines 2 (检查所见：) and 10 (影像所见：); terms: lines 2 and 13 (请结合临床);
    # the repeated thyroid sentence: line 9.
    assert h1["changed"] == {"report title removed": 2, "non-essential terms removed": 2,
                             "repeated sentence removed": 1}
    # H2: 5 JSONL lines + 2 sheet rows = 7. Dropped: JSONL line 3 (not JSON), line 4 (the
    # same as line 2), sheet row 3 (the same as H1 line 4, kept in H1). 7 - 3 = 4 kept.
    assert h2["read"] == 7
    assert h2["kept"] == 4
    assert h2["dropped"] == {"unreadable row": 1, "duplicate report": 2}
    # JSONL line 1: "Findings:" title and "Please correlate clinically." removed.
    assert h2["changed"] == {"report title removed": 1, "non-essential terms removed": 1}


def _column(card: dict[str, Any], key: str) -> dict[str, Any]:
    return next(c for c in card["columns"] if c["key"] == key)


def test_data_card_matches_counts_by_hand(prepared: tuple[RunFolder, Any]) -> None:
    _, card = prepared
    # H2 kept: B1 chest CT M 50; B2 abdomen CT F 61; B5 head MRI sex unknown, no age;
    # B6 chest DR(->XR) M 40.
    h2 = _column(card, "H2")
    assert h2["reports"] == 4
    assert (h2["age_min"], h2["age_max"], h2["age_known"]) == (40, 61, 3)
    assert h2["sex"] == {"female": 1, "male": 2, "unknown": 1}
    assert h2["modality"] == {"CT": 2, "MRI": 1, "XR": 1}
    assert h2["body_system"] == {"chest": 2, "abdomen": 1, "musculoskeletal": 0, "head": 1,
                                 "maxillofacial_neck": 0}
    # H1 kept (CSV lines 2-9 and 12): A1 chest CT F 45, A2 chest CT M 63, A3 abdomen CT F 52,
    # A4 abdomen MR M 38, A5 head MRI F 29, A6 head CT M 71, A7 msk CT M 8 months (0 y),
    # A8 neck CT F 55, A11 chest CT F 103.
    # Female: A1 A3 A5 A8 A11 = 5; male: A2 A4 A6 A7 = 4; MRI: A4 A5 = 2, CT the other 7.
    h1_train, h1_test = _column(card, "H1-train"), _column(card, "H1-test")
    # 9 at 80%: round(7.2) = 7 train (of which round(7 x 0.2) = 1 validation), 2 test.
    assert (h1_train["reports"], h1_train["validation"], h1_test["reports"]) == (7, 1, 2)

    def h1_total(get: Any) -> Any:
        return get(h1_train) + get(h1_test)

    assert h1_total(lambda c: c["sex"]["female"]) == 5
    assert h1_total(lambda c: c["sex"]["male"]) == 4
    assert h1_total(lambda c: c["modality"]["MRI"]) == 2
    assert h1_total(lambda c: c["modality"]["CT"]) == 7
    systems = ("chest", "abdomen", "musculoskeletal", "head", "maxillofacial_neck")
    assert [h1_total(lambda c, s=s: c["body_system"][s]) for s in systems] == [3, 2, 1, 2, 1]
    assert min(h1_train["age_min"], h1_test["age_min"]) == 0
    assert max(h1_train["age_max"], h1_test["age_max"]) == 103
    # All: 9 + 4 = 13; female 5 + 1, male 4 + 2; CT 7 + 2, MRI 2 + 1, XR 0 + 1.
    everything = _column(card, "all")
    assert everything["reports"] == 13
    assert (everything["age_min"], everything["age_max"]) == (0, 103)
    assert everything["sex"] == {"female": 6, "male": 6, "unknown": 1}
    assert everything["modality"] == {"CT": 9, "MRI": 3, "XR": 1}
    assert everything["body_system"] == {"chest": 5, "abdomen": 3, "musculoskeletal": 1,
                                         "head": 3, "maxillofacial_neck": 1}


def test_split_files_hold_what_the_card_counts(prepared: tuple[RunFolder, Any]) -> None:
    run, card = prepared
    train = read_reports(run.data / "train.jsonl")
    validation = read_reports(run.data / "validation.jsonl")
    test = read_reports(run.data / "internal_test.jsonl")
    external = read_reports(run.data / "external_test.jsonl")
    assert (len(train), len(validation), len(test), len(external)) == (6, 1, 2, 4)
    assert {r.institution for r in train + validation + test} == {"H1"}
    assert {r.institution for r in external} == {"H2"}
    ids = [r.id for r in train + validation + test + external]
    assert len(set(ids)) == len(ids) == 13
    assert sum(r.sex == "F" for r in test) == _column(card, "H1-test")["sex"]["female"]
    markdown = (run.data / "data_card.md").read_text(encoding="utf-8")
    assert "| Reports | 7 | 2 | 4 | 13 |" in markdown


def test_cleaned_text_is_what_training_sees(prepared: tuple[RunFolder, Any]) -> None:
    run, _ = prepared
    everything = {r.id: r for name in ("train", "validation", "internal_test", "external_test")
                  for r in read_reports(run.data / f"{name}.jsonl")}
    a1 = everything["H1:h1_reports.csv:2"]
    assert a1.findings == H1_ROWS[0][5].removeprefix("检查所见：")
    assert a1.impression == "右肺上叶磨玻璃结节。"
    assert (a1.sex, a1.age, a1.language) == ("F", 45.0, "zh")
    a8 = everything["H1:h1_reports.csv:9"]
    assert a8.findings == "甲状腺左叶见低密度结节。颈部未见肿大淋巴结。"
    assert everything["H1:h1_reports.csv:8"].age == pytest.approx(8 / 12)
    b1 = everything["H2:h2_reports.jsonl:1"]
    assert b1.findings == "Small nodule in the right upper lobe."
    assert (b1.body_system, b1.modality, b1.language) == ("chest", "CT", "en")
    assert everything["H2:h2_more.xlsx:2"].modality == "XR"


def test_bad_rows_are_reported_with_file_line_and_reason(
        prepared: tuple[RunFolder, Any]) -> None:
    run, _ = prepared
    problems = [json.loads(line) for line in
                (run.data / "problems.jsonl").read_text(encoding="utf-8").splitlines()]
    found = {(p["file"], p["line"], p["reason"]) for p in problems}
    assert found == {
        ("h1_reports.csv", 10, "duplicate report"),
        ("h1_reports.csv", 11, "empty findings or impression"),
        ("h1_reports.csv", 13, "empty after cleaning"),
        ("h1_reports.csv", 14, "unknown body system or modality"),
        ("h2_reports.jsonl", 3, "unreadable row"),
        ("h2_reports.jsonl", 4, "duplicate report"),
        ("h2_more.xlsx", 3, "duplicate report"),
    }


def test_split_is_seeded_and_prepare_is_resumable(tmp_path: Path,
                                                  institutions_file: Path) -> None:
    def split_ids(name: str, *sets: str) -> tuple[str, ...]:
        run = RunFolder(tmp_path / name)
        prepare(_recipe(institutions_file, *sets), run)
        return tuple(r.id for r in read_reports(run.data / "internal_test.jsonl"))

    first = split_ids("a")
    assert prepare(_recipe(institutions_file), RunFolder(tmp_path / "a")).skipped
    assert split_ids("b") == first  # same seed, same split
    # Another seed draws another split (2 of 9 reports: 36 possible test sets).
    others = {split_ids(f"s{seed}", f"data.seed={seed}") for seed in range(1, 6)}
    assert others - {first}


def test_a_missing_column_names_the_institution(tmp_path: Path) -> None:
    from training.errors import TrainingError

    (tmp_path / "a.csv").write_text("findings,impression\nx,y\n", encoding="utf-8")
    mapping = tmp_path / "m.toml"
    mapping.write_text('[[institutions]]\nid = "A"\nfiles = ["a.csv"]\n', encoding="utf-8")
    with pytest.raises(TrainingError, match=r"Institution A: a.csv has no column for "
                                            r"body_system, modality"):
        prepare(_recipe(mapping), RunFolder(tmp_path / "run"))


def test_prepare_does_not_import_torch(tmp_path: Path, institutions_file: Path) -> None:
    import subprocess
    import sys

    code = ("import sys; from training.__main__ import main; "
            f"rc = main(['prepare', '--run-dir', {str(tmp_path / 'run')!r}, '--set', "
            f"'data.institutions={institutions_file}']); "
            "assert rc == 0, rc; "
            "heavy = [m for m in ('torch', 'transformers', 'peft', 'PySide6') "
            "if m in sys.modules]; "
            "assert not heavy, heavy")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr[-2000:]


def test_the_example_mapping_loads_once_its_files_exist(tmp_path: Path) -> None:
    import shutil

    from radval_desktop import paths
    from training.institutions import load_institutions

    example = paths.resources_dir() / "training" / "institutions.example.toml"
    mapping = tmp_path / "institutions.toml"
    shutil.copy(example, mapping)
    for name in ("sxy_reports.xlsx", "sxy_2023.csv", "huadong_chest.jsonl"):
        (tmp_path / "exports").mkdir(exist_ok=True)
        (tmp_path / "exports" / name).write_bytes(b"")
    loaded = load_institutions(mapping)
    assert loaded.internal == "SXY"
    assert [i.id for i in loaded.institutions] == ["SXY", "DE1"]
    assert loaded.institutions[1].defaults == {"body_system": "chest", "modality": "CT"}


def _monthly_export(folder: Path) -> Path:
    """One institution's workbook: a sheet per month (columns in another order in February),
    a notes sheet, and body-system / modality values as RIS exports write them."""
    import openpyxl

    folder.mkdir(parents=True, exist_ok=True)
    book = openpyxl.Workbook()
    jan = book.active
    jan.title = "1月"
    jan.append(["报告描述", "报告结果", "检查部位", "设备类型"])
    jan.append(["右肺上叶见磨玻璃结节，大小约6mm。", "右肺上叶磨玻璃结节。", "胸部CT平扫", ""])
    jan.append(["双肺纹理清晰。", "双肺未见异常。", "胸部", "DR"])
    jan.append(["肝右叶见低密度灶。", "肝囊肿可能。", "腹部", "US"])
    notes = book.create_sheet("说明")
    notes.append(["本表由 RIS 导出"])
    notes.append(["仅供科研"])
    feb = book.create_sheet("2月")
    feb.append(["设备类型", "检查部位", "报告结果", "报告描述"])
    feb.append(["MR", "头颅", "右侧额叶缺血灶。", "右侧额叶见斑片状长T2信号。"])
    feb.append(["CT", "足部", "右跟骨骨折。", "右足跟骨见骨折线。"])
    feb.append(["CT", "足部", "左跟骨骨折。", "左足跟骨见骨折线。"])
    feb.append(["CT+MR", "颈部", "甲状腺左叶结节。", "甲状腺左叶见低密度结节。"])
    book.save(folder / "monthly.xlsx")
    columns = ('[institutions.columns]\nfindings = "报告描述"\nimpression = "报告结果"\n'
               'body_system = "检查部位"\nmodality = "设备类型"\n')
    mapping = folder / "institutions.toml"
    mapping.write_text('[[institutions]]\nid = "M"\nfiles = ["monthly.xlsx"]\n' + columns,
                       encoding="utf-8")
    return mapping


def test_every_sheet_is_prepared_and_unmapped_values_are_listed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    mapping = _monthly_export(tmp_path / "exports")
    run = RunFolder(tmp_path / "run")
    prepare(_recipe(mapping), run)
    card = json.loads((run.data / "data_card.json").read_text(encoding="utf-8"))
    tally = card["cleaning"]["per_institution"]["M"]
    # 3 + 4 report rows (the notes sheet's one row is said once, as a problem): 4 kept.
    assert tally["kept"] == 4
    assert tally["dropped"] == {"unknown body system or modality": 2,
                                "a modality RadVal does not draft": 1, "unreadable row": 1}
    assert tally["unmapped"] == [{"field": "body_system", "value": "足部", "rows": 2},
                                 {"field": "modality", "value": "US", "rows": 1}]
    reports = {r.id: r for name in ("train", "validation", "internal_test")
               for r in read_reports(run.data / f"{name}.jsonl")}
    assert {(r.source, r.line, r.body_system, r.modality) for r in reports.values()} == {
        ("monthly.xlsx [1月]", 2, "chest", "CT"), ("monthly.xlsx [1月]", 3, "chest", "XR"),
        ("monthly.xlsx [2月]", 2, "head", "MRI"),
        ("monthly.xlsx [2月]", 5, "maxillofacial_neck", "CT")}
    problems = [json.loads(line) for line in
                (run.data / "problems.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {(p["file"], p["line"]) for p in problems} == {
        ("monthly.xlsx [1月]", 4), ("monthly.xlsx [说明]", 2), ("monthly.xlsx [2月]", 3),
        ("monthly.xlsx [2月]", 4)}
    markdown = (run.data / "data_card.md").read_text(encoding="utf-8")
    assert "| M | body_system | 足部 | 2 |" in markdown
    assert "| M | modality | US | 1 |" in markdown
    assert ("M: values the alias list does not map: body_system '足部' (2), modality 'US' (1)"
            in capsys.readouterr().err)


def test_one_named_sheet_and_an_edited_alias_list(tmp_path: Path) -> None:
    from radval_desktop.aliases import default_aliases_file

    mapping = _monthly_export(tmp_path / "exports")
    text = mapping.read_text(encoding="utf-8")
    mapping.write_text(text.replace('files = ["monthly.xlsx"]\n',
                                    'files = ["monthly.xlsx"]\nsheet = "2月"\n'),
                       encoding="utf-8")
    aliases = tmp_path / "aliases.toml"
    aliases.write_text(default_aliases_file().read_text(encoding="utf-8").replace(
        'musculoskeletal = [', 'musculoskeletal = ["足部", ', 1), encoding="utf-8")
    run = RunFolder(tmp_path / "run")
    prepare(_recipe(mapping, f"data.aliases_file={aliases}"), run)
    card = json.loads((run.data / "data_card.json").read_text(encoding="utf-8"))
    tally = card["cleaning"]["per_institution"]["M"]
    assert (tally["read"], tally["kept"], tally["unmapped"]) == (4, 4, [])
    reports = [r for name in ("train", "validation", "internal_test")
               for r in read_reports(run.data / f"{name}.jsonl")]
    assert sorted(r.body_system for r in reports) == [
        "head", "maxillofacial_neck", "musculoskeletal", "musculoskeletal"]
    assert {r.source for r in reports} == {"monthly.xlsx"}  # one sheet read: no sheet named


def test_prepare_counts_what_will_be_cut_or_dropped_per_institution_and_body_system(
        tmp_path: Path, institutions_file: Path, tiny_base: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """With the run's tokenizer and the recipe's max lengths, prepare counts (per institution
    and body system) exactly what train's samples will be: whole, findings cut, dropped."""
    from transformers import AutoTokenizer

    from radval_desktop.prompts import load_templates
    from training.samples import IMPRESSION_TOO_LONG, build_samples, prompt_style, render

    tokenizer = AutoTokenizer.from_pretrained(str(tiny_base), local_files_only=True)
    templates = load_templates()
    first = RunFolder(tmp_path / "plain")
    prepare(_recipe(institutions_file), first)
    reports = [r for name in ("train", "validation", "internal_test", "external_test")
               for r in read_reports(first.data / f"{name}.jsonl")]

    def tokens(text: str) -> int:
        return len(tokenizer(text)["input_ids"])

    prompts = {r.id: tokens(render(r, "t1_terse", templates, prompt_style(tokenizer)).text)
               for r in reports}
    # The longest prompt among reports with a sentence or clause to cut at no longer fits
    # whole; the longest impression of the others does not fit at all (its EOS is over).
    several = [r for r in reports if re.search(r"[。，]|[.,]\s", r.findings.rstrip("。."))]
    longest = max(several, key=lambda r: prompts[r.id])
    max_source = prompts[longest.id] - 1
    max_target = max(len(tokenizer(r.impression, add_special_tokens=False)["input_ids"])
                     for r in reports if r is not longest)
    sets = [f"model.base={tiny_base}", "prompt.template=t1_terse",
            f"train.max_source_length={max_source}", f"train.max_target_length={max_target}"]
    run = RunFolder(tmp_path / "run")
    summary = prepare(_recipe(institutions_file, *sets), run)
    table = summary.lengths["per_institution"]
    assert summary.lengths["template"] == "t1_terse"
    expected: dict[tuple[str, str], Any] = {}
    for report in reports:
        expected.setdefault((report.institution, report.body_system), []).append(report)
    assert {(i, s) for i, systems in table.items() for s in systems} == set(expected)
    cut = dropped = 0
    for (institution, system), group in expected.items():
        built = build_samples(group, tokenizer, "t1_terse", templates, max_source, max_target)
        row = table[institution][system]
        assert row["reports"] == len(group)
        assert row["truncated"] == built.truncated
        assert row["dropped"] == built.dropped
        assert row["whole"] == len(built.samples) - built.truncated
        cut, dropped = cut + built.truncated, dropped + sum(built.dropped.values())
    assert cut >= 1
    assert dropped >= 1
    assert any(IMPRESSION_TOO_LONG in row["dropped"] for systems in table.values()
               for row in systems.values())
    err = capsys.readouterr().err
    assert (f"lengths: {cut} of {len(reports)} reports will train with their findings cut, "
            f"{dropped} not at all (train.max_source_length={max_source}") in err
    markdown = (run.data / "data_card.md").read_text(encoding="utf-8")
    assert "| institution | body system | reports | whole | findings cut | dropped |" in markdown


@pytest.mark.slow
def test_a_gguf_base_is_counted_with_its_own_vocabulary_without_dequantizing(
        tmp_path: Path, institutions_file: Path, default_model_path: Path) -> None:
    """The embedded default model as model.base: prepare reads its tokenizer from the GGUF
    (~25 s here, each time) and leaves dequantizing to train. With its vocabulary and chat
    template every fixture prompt fits in 100 tokens, and none in 75 even cut to one clause."""
    def counted(max_source: int) -> dict[str, int]:
        run = RunFolder(tmp_path / f"run{max_source}")
        summary = prepare(_recipe(institutions_file, f"model.base={default_model_path}",
                                  "prompt.template=t1_terse",
                                  f"train.max_source_length={max_source}",
                                  "train.max_target_length=64"), run)
        assert not (run.root / "base").exists()
        rows = [r for systems in summary.lengths["per_institution"].values()
                for r in systems.values()]
        return {"reports": sum(r["reports"] for r in rows), "whole": sum(r["whole"] for r in rows),
                "dropped": sum(sum(r["dropped"].values()) for r in rows)}

    assert counted(100) == {"reports": 13, "whole": 13, "dropped": 0}
    assert counted(75) == {"reports": 13, "whole": 0, "dropped": 13}
