"""`radval batch` and `radval report` on the real default model and a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import sqlite_utils

from radval_desktop import paths
from radval_desktop.case_files import read_cases
from radval_desktop.engine.sampling import Sampling
from radval_desktop.errors import InputError
from radval_desktop.evaluation.batch import (
    BATCH_REQUIRED,
    cases_from_rows,
    outputs_from_db,
    run_model,
)
from radval_desktop.store.database import open_database
from radval_desktop.store.evaluation_runs import save_cases
from radval_desktop.store.schema import migrations

pytestmark = pytest.mark.slow

CASES = [
    {"institution": "1", "body_system": "chest", "modality": "CT",
     "findings": "双肺纹理清晰，右肺上叶见磨玻璃影。", "impression": "右肺上叶炎症"},
    {"institution": "1", "body_system": "head", "modality": "MRI",
     "findings": "Small acute infarct in the left basal ganglia.", "impression": "Acute infarct."},
    {"institution": "2", "body_system": "chest", "modality": "CT",
     "findings": "Small right pleural effusion.", "impression": "Right pleural effusion."},
]


def _case_file(tmp_path: Path, rows: list[dict[str, str]] = CASES) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n")
    return path


def _short_drafts() -> None:
    """The user's config for a batch in a subprocess: 24 tokens a draft, and the model file
    read as it is (a BF16 copy costs each run 2-3 s to make; tests/engine/test_reading_copy.py
    checks its drafts)."""
    path = paths.user_config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[model]\nbf16_copy = false\n[sampling]\nmax_tokens = 24\n",
                    encoding="utf-8")


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "radval_desktop", *args], capture_output=True,
                          text=True, timeout=300, check=False, env=os.environ.copy())


def test_batch_is_resumable_and_skips_done_cases(default_model_path: Path, tmp_path: Path) -> None:
    db = open_database(tmp_path / "study.db")
    read = read_cases(_case_file(tmp_path), required=BATCH_REQUIRED)
    cases = cases_from_rows(read.rows, "cases.jsonl")
    ids = save_cases(db, cases)
    cancel = threading.Event()

    def stop_after_first(progress) -> None:
        if progress.generated == 1:
            cancel.set()  # as if the run were interrupted after one output

    first = run_model(db, default_model_path, cases, ids, cancel=cancel,
                      on_progress=stop_after_first)
    assert first.generated == 1
    assert db["candidates"].count == 1
    second = run_model(db, default_model_path, cases, ids)
    assert (second.generated, second.skipped) == (2, 1)
    assert db["candidates"].count == 3
    row = next(db["candidates"].rows)
    assert row["model_sha256"] == first.sha256
    assert row["template_version"]
    assert row["seconds"] > 0
    outputs = outputs_from_db(db)
    assert {o.institution for o in outputs} == {"1", "2"}
    assert {o.language for o in outputs} == {"zh", "en"}
    # Importing the same file again adds no case.
    assert save_cases(db, cases) == ids
    assert db["cases"].count == 3


def test_zero_shot_drafts_show_no_examples_and_are_stored_apart(default_model_path: Path,
                                                                tmp_path: Path) -> None:
    """The fine-tuning bench's "base without examples" (issue 16's probe): no starter examples
    in the prompt, and not taken for the drafts with them."""
    db = open_database(tmp_path / "study.db")
    cases = cases_from_rows(read_cases(_case_file(tmp_path, CASES[2:]),
                                       required=BATCH_REQUIRED).rows, "cases.jsonl")
    ids = save_cases(db, cases)
    starters = run_model(db, default_model_path, cases, ids, sampling=Sampling(max_tokens=24))
    bare = run_model(db, default_model_path, cases, ids, sampling=Sampling(max_tokens=24),
                     zero_shot=True)
    assert (starters.generated, bare.generated, bare.skipped) == (1, 1, 0)
    rows = {r["template_id"]: r for r in db["candidates"].rows}
    shot = next(t for t in rows if t.endswith("+0shot"))
    other = next(t for t in rows if t != shot)
    assert shot == other + "+0shot"
    # The starter examples are a few hundred tokens of the prompt; without them, only the
    # instruction and the case are left.
    assert rows[shot]["prompt_tokens"] < rows[other]["prompt_tokens"] - 50
    with pytest.raises(InputError, match="no examples"):
        run_model(db, default_model_path, cases, ids, zero_shot=True, examples_k=3)


def test_cli_batch_then_report(default_model_path: Path, tmp_path: Path) -> None:
    rows = [*CASES, {"institution": "2", "body_system": "chest", "modality": "CT",
                     "findings": "", "impression": "x"}]
    _short_drafts()
    cases = _case_file(tmp_path, rows)
    db = tmp_path / "study.db"
    proc = _run(["batch", str(cases), "--db", str(db)])
    assert proc.returncode == 0, proc.stderr
    assert "cases.jsonl line 4: empty findings; skipped" in proc.stderr
    assert "3 generated, 0 already done" in proc.stdout
    again = _run(["batch", str(cases), "--db", str(db)])
    assert "0 generated, 3 already done" in again.stdout
    out = tmp_path / "report"
    report = _run(["report", "--db", str(db), "--out", str(out), "--institution-1", "1"])
    assert report.returncode == 0, report.stderr
    text = (out / "report.md").read_text()
    assert "ROUGE F1 per institution (paper Tables 2-3)" in text
    assert "zh-jieba-word" in text
    assert "zh-char" in text
    assert "Practical utility" in text
    csv_lines = (out / "tables2_3_institution.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv_lines[0] == "model,institution,tokenization,n,R-1,R-2,R-L"
    # Issue 19: the default model by its file and quantization, not its header's "AWQ".
    assert {line.split(",")[0] for line in csv_lines[1:]} == {
        "qwen2.5-coder-0.5b-instruct Q4_K_M"}
    # institution 1: en, zh words, zh characters; institution 2: en.
    assert len(csv_lines) == 1 + 4
    institutions = {line.split(",")[1] for line in csv_lines[1:]}
    assert institutions == {"1", "2"}


def test_report_without_outputs_says_so(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    open_database(db).close()
    proc = _run(["report", "--db", str(db), "--out", str(tmp_path / "r")])
    assert proc.returncode == 1
    assert "no batch outputs yet" in proc.stderr


def test_database_from_before_evaluation_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    migrations.apply(old, stop_before="m002_evaluation")
    old["drafts"].insert({"uuid": "u1", "created_at": "2026-01-01", "findings": "kept"})
    old.close()
    db = open_database(path)
    assert db["drafts"].count == 1
    assert "candidates" in db.table_names()


def test_batch_killed_halfway_resumes_and_report_counts_each_case_once(
    default_model_path: Path, tmp_path: Path
) -> None:
    import signal
    import time

    systems = [("1", "chest", "CT", "Right lower lobe consolidation.", "Pneumonia."),
               ("1", "head", "MRI", "Acute infarct in the left MCA territory.", "Infarct."),
               ("2", "chest", "CT", "双肺纹理清晰，左肺下叶见结节。", "左肺下叶结节"),
               ("2", "head", "CT", "右侧基底节区见低密度灶。", "右侧基底节区腔隙性梗死")]
    rows = [{"institution": i, "body_system": s, "modality": m, "findings": f"{f} ({n})",
             "impression": imp} for n in range(2) for i, s, m, f, imp in systems]
    _short_drafts()
    cases = _case_file(tmp_path, rows)
    db_path = tmp_path / "study.db"
    proc = subprocess.Popen([sys.executable, "-m", "radval_desktop", "batch", str(cases),
                             "--db", str(db_path)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=os.environ.copy())
    deadline = time.monotonic() + 120
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db_path.exists():
            try:
                done = sqlite_utils.Database(db_path)["candidates"].count
            except Exception:  # noqa: BLE001 - table not created yet or locked: poll again
                done = 0
            if done >= 3:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 3 <= done < len(rows), "the batch should be killed halfway"
    saved = "SELECT uuid, created_at, text, seconds FROM candidates ORDER BY uuid"
    before = list(sqlite_utils.Database(db_path).execute(saved).fetchall())
    resumed = _run(["batch", str(cases), "--db", str(db_path)])
    assert resumed.returncode == 0, resumed.stderr
    db = sqlite_utils.Database(db_path)
    assert db["candidates"].count == len(rows)
    # Resumed, not redone: each output saved before the kill is the same row, untouched
    # (a redone case would be written again with a new time), and only the rest were drafted.
    after = {row[0]: row for row in db.execute(saved).fetchall()}
    assert [after[row[0]] for row in before] == before
    assert len(after) - len(before) == len(rows) - done
    assert db.execute("SELECT COUNT(DISTINCT case_uuid) FROM candidates").fetchone()[0] == 8
    out = tmp_path / "report"
    assert _run(["report", "--db", str(db_path), "--out", str(out)]).returncode == 0
    lines = (out / "tables2_3_institution.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    counted = sum(int(line.split(",")[3]) for line in lines if ",zh-char," not in line)
    assert counted == len(rows)
