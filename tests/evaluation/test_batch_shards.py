"""`radval batch --shard i/n`, `radval batch merge` and the progress a scheduler reads."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from radval_desktop import paths
from radval_desktop.cli.batch import Progress
from radval_desktop.errors import InputError
from radval_desktop.evaluation.batch import BatchProgress, ModelSummary, in_shard, parse_shard

CASES = [
    ("1", "chest", "CT", "Blunting of the right costophrenic angle with a meniscus.",
     "Right pleural effusion."),
    ("1", "head", "MRI", "Restricted diffusion in the left basal ganglia.", "Acute infarct."),
    ("2", "chest", "CT", "双肺纹理清晰，右肺上叶见磨玻璃影。", "右肺上叶炎症"),
    ("2", "chest", "XR", "Heart size normal. Lungs are clear.", "No acute disease."),
    ("1", "abdomen", "CT", "The appendix is dilated to 12 mm with periappendiceal fat "
     "stranding.", "Acute appendicitis."),
    ("2", "head", "CT", "右侧基底节区见低密度灶。", "右侧基底节区腔隙性梗死"),
]


def test_shards_split_every_case_into_exactly_one_part_evenly() -> None:
    ids = [f"case-{n}" for n in range(3000)]
    parts = [[c for c in ids if in_shard(c, (i, 3))] for i in (1, 2, 3)]
    assert sorted(sum(parts, [])) == sorted(ids)  # each case once
    assert all(900 <= len(p) <= 1100 for p in parts)
    # Deterministic: the same split in any order, on any machine (a hash, not Python's).
    assert [c for c in reversed(ids) if in_shard(c, (2, 3))] == parts[1][::-1]
    assert in_shard("case-0", (1, 1))
    assert parse_shard("2/4") == (2, 4)
    for bad in ("0/2", "3/2", "2", "a/b", "1/0"):
        with pytest.raises(InputError, match="--shard takes i/n"):
            parse_shard(bad)


def test_progress_json_is_one_object_a_line_with_rate_eta_and_counts_per_model() -> None:
    out, err = io.StringIO(), io.StringIO()
    progress = Progress("json", out, err)
    progress.update(BatchProgress("model-a", 4, 10, 2, 2, 1.5, elapsed=4.0))
    progress.finished(ModelSummary("model-a", "ab" * 32, 8, 2, 0, 16.0))
    progress.update(BatchProgress("model-b", 5, 10, 4, 0, 1.0, 1, 0, elapsed=10.0))
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert err.getvalue() == ""  # stdout alone carries them
    assert [e["event"] for e in lines] == ["progress", "model_done", "progress"]
    first, last = lines[0], lines[2]
    # 2 drafted in 4 s: 0.5 cases/s; 6 of 10 left: 12 s.
    assert (first["cases_per_s"], first["eta_s"]) == (0.5, 12.0)
    assert last["models"]["model-a"]["done"] == 4
    assert last["models"]["model-b"] == {"total": 10, "done": 5, "generated": 4, "skipped": 0,
                                         "failed": 1, "left": 0}
    assert (last["cases_per_s"], last["eta_s"]) == (0.5, 10.0)


def test_progress_bar_says_rate_eta_and_counts() -> None:
    out, err = io.StringIO(), io.StringIO()
    Progress("bar", out, err).update(BatchProgress("model-a", 40, 100, 30, 10, 2.0, 0, 0,
                                                   elapsed=60.0))
    line = err.getvalue()
    assert "40/100 new 30 done before 10 too long 0 left 0" in line
    assert "0.50 cases/s ETA 2m00s" in line
    assert out.getvalue() == ""


def _radval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "radval_desktop", *args], capture_output=True,
                          text=True, timeout=300, check=False, env=os.environ.copy())


def _tables(folder: Path) -> dict[str, list[str]]:
    """Every CSV table of a report, time columns (which no two runs share) left out."""
    tables = {}
    for path in sorted(folder.glob("*.csv")):
        lines = path.read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        keep = [i for i, name in enumerate(header) if "s/inference" not in name]
        tables[path.name] = [",".join(line.split(",")[i] for i in keep) for line in lines]
    return tables


@pytest.mark.slow
def test_two_shards_merged_give_the_report_of_one_run(radval_home: Path, tmp_path: Path
                                                      ) -> None:
    started = time.monotonic()
    user = paths.user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    # Short drafts, from the model file as it is (a BF16 copy costs each run 2-3 s to make).
    user.write_text("[model]\nbf16_copy = false\n[sampling]\nmax_tokens = 16\n",
                    encoding="utf-8")
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps({"institution": i, "body_system": s, "modality": m,
                                         "findings": f, "impression": r}, ensure_ascii=False)
                             + "\n" for i, s, m, f, r in CASES))
    shards = [tmp_path / "a.db", tmp_path / "b.db"]
    for number, db in enumerate(shards, 1):
        done = _radval("batch", str(cases), "--db", str(db), "--shard", f"{number}/2")
        assert done.returncode == 0, done.stderr
    import sqlite_utils

    counts = [sqlite_utils.Database(db)["candidates"].count for db in shards]
    assert sum(counts) == len(CASES)
    assert all(counts)  # both shards had work
    merged = tmp_path / "all.db"
    first = _radval("batch", "merge", *map(str, shards), "-o", str(merged))
    assert first.returncode == 0, first.stderr
    assert f"{len(CASES)} candidates" in first.stdout
    again = _radval("batch", "merge", *map(str, shards), "-o", str(merged))
    assert "nothing new" in again.stdout  # idempotent
    one = tmp_path / "one.db"
    assert _radval("batch", str(cases), "--db", str(one)).returncode == 0
    reports = {}
    for db in (merged, one):
        out = tmp_path / f"report-{db.stem}"
        report = _radval("report", "--db", str(db), "--out", str(out), "--institution-1", "1")
        assert report.returncode == 0, report.stderr
        reports[db.stem] = _tables(out)
    assert len(reports["all"]) >= 4
    assert reports["all"] == reports["one"]
    print(f"2 shards, merge and one run: {time.monotonic() - started:.1f} s")
