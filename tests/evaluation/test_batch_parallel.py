"""`radval batch --parallel N` (issue 18): cases decoded together in one llama.cpp context, on
the real default model, judged by the same pipeline as one at a time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path

import pytest
import sqlite_utils

from radval_desktop import paths
from radval_desktop.drafting import DraftRequest, DraftResult, draft
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.parallel import (
    PREFIX_DONORS,
    BatchDecoder,
    Request,
    fitting_slots,
)
from radval_desktop.engine.sampling import Sampling
from radval_desktop.evaluation.batch import run_model
from radval_desktop.evaluation.drafters import Job, Parallel
from radval_desktop.store.database import open_database
from radval_desktop.store.evaluation_runs import NewCase, save_cases

pytestmark = pytest.mark.slow

SHORT = Sampling(max_tokens=32)  # short drafts: what is compared is the decoding, not length
FINDINGS = [
    ("chest", "CT", "Right lower lobe consolidation with air bronchograms."),
    ("head", "MRI", "Small acute infarct in the left basal ganglia."),
    ("chest", "CT", "双肺纹理清晰，右肺上叶见磨玻璃影。"),
    ("chest", "CT", "Small right pleural effusion. Heart size normal."),
]


def _jobs(findings: list[tuple[str, str, str]]) -> list[Job]:
    return [Job(NewCase("1", system, modality, "", text, "", str(i)), str(i),
                DraftRequest(text, system, modality)) for i, (system, modality, text)
            in enumerate(findings)]


def test_parallel_greedy_drafts_equal_one_at_a_time(default_model_path: Path) -> None:
    # The same threads both ways: llama.cpp splits its float sums by thread, so one at a time
    # on 1 thread and on 2 can already give different greedy drafts (README, --parallel).
    engine = LlamaEngine(default_model_path, EngineSettings(n_threads=1))
    engine.load()
    try:
        jobs = _jobs(FINDINGS)
        one = {job.case_id: draft(engine, job.request, SHORT) for job in jobs}
        # With one at a time's attention kernel: what is compared is the batching alone.
        drafter = Parallel(engine, SHORT, None, 2, threads=1, flash_attn=True)
        together = {job.case_id: result for job, result in drafter.run(jobs, threading.Event())}
        # By default a batch on a CPU runs without flash attention (faster there, and its
        # float sums differ in the last bits: 3 of these 4 greedy drafts were the same).
        # Two cases show it drafts that way; the identity above is the test of batching.
        plain = Parallel(engine, SHORT, None, 2, threads=1)
        by_default = dict(plain.run(jobs[:2], threading.Event()))
    finally:
        engine.close()
    assert drafter.flash_attn_type == 1
    assert plain.flash_attn_type == 0
    assert len(by_default) == 2
    assert all(isinstance(r, DraftResult) and r.attempts for r in by_default.values())
    assert drafter.slots == 2
    assert drafter.most_live == 2
    # Alike cases' prompts begin alike (the system prompt, the same starter examples): a
    # prompt started from another's cells, and its draft is still the one drafted alone.
    assert 0 < drafter.shared_tokens < drafter.prompt_tokens
    assert set(together) == set(one)
    # Each sequence is sampled as llama-cpp-python samples one alone, and batching the
    # sequences did not change a greedy draft here: all must match.
    same = []
    for key, alone in one.items():
        batched = together[key]
        assert isinstance(batched, DraftResult)
        same.append((batched.raw_text, batched.text, batched.ok,
                     [a.verdict for a in batched.attempts])
                    == (alone.raw_text, alone.text, alone.ok,
                        [a.verdict for a in alone.attempts]))
        assert batched.attempts[0].prompt_tokens == alone.attempts[0].prompt_tokens
        assert batched.total_seconds > 0
        assert batched.first_token_seconds is not None
    assert sum(same) == len(one), f"identical drafts: {sum(same)} of {len(one)}"


def test_parallel_too_big_for_the_context_is_reduced_with_a_sentence(
        engine, default_model_path: Path) -> None:
    assert fitting_slots(8, 4096, 388, 512) == 4
    assert fitting_slots(8, 4096, 5000, 512) == 1  # never 0
    assert fitting_slots(200, 1 << 20, 10, 10) == 64  # llama.cpp's sequence limit
    said: list[str] = []
    cancel = threading.Event()

    def say(text: str) -> None:
        said.append(text)
        cancel.set()  # the sentence is what is tested: no need to decode

    # The batch's context is its own, as large as the model's context length (32,768 tokens
    # here) where the drafts need it: 8 drafts of up to 1,500 tokens fit, far past the
    # window's 4,096 (model.n_ctx).
    room = Parallel(engine, Sampling(max_tokens=1500), None, 8, say)
    stopped = threading.Event()
    stopped.set()
    assert list(room.run(_jobs(FINDINGS), stopped)) == []
    assert room.slots == 8
    assert not said
    # Each draft (and each of the 8 kept prompts) has a stream of its own, room for the
    # longest prompt (none read here), a quarter more, and its 1,500 tokens.
    assert room.seq_ctx >= 1500
    assert room.n_ctx == room.seq_ctx * (8 + PREFIX_DONORS) > engine.info.n_ctx
    # Drafts of up to 6,000 tokens (a window context of 8,192): 8 of them are past it.
    wide = LlamaEngine(default_model_path, EngineSettings(n_ctx=8192))
    wide.load()
    try:
        drafter = Parallel(wide, Sampling(max_tokens=6000), None, 8, say)
        assert list(drafter.run(_jobs(FINDINGS), cancel)) == []
        longest = max(wide.count_tokens(draft_prompt) for draft_prompt in _prompts(wide))
    finally:
        wide.close()
    slots = 32768 // (longest + 6000)
    assert drafter.slots == slots == 5
    assert said == [f"--parallel 8 is more than the context holds: its 32,768 "
                    f"tokens hold 5 draft(s) of {longest:,} prompt tokens (the longest of the "
                    f"first 4 prompts) plus 6000 for the impression, so 5 are drafted at once. "
                    f"Raise the context size (model.n_ctx) to draft more at once."]


# Findings that are a loop talk the default model into one (greedy): the guard stops the
# first attempt and the second; the third, sampled as a retry samples, is a usable draft
# (seen with this model on 1 thread, 96 tokens, one at a time and batched alike).
LOOPING = "Nodule, " * 50
RETRIED = [NewCase("1", "chest", "CT", "en", LOOPING, "Pulmonary nodules.", "loop"),
           NewCase("1", "chest", "CT", "en", "Small right pleural effusion. Heart size normal.",
                   "Right pleural effusion.", "calm")]
SAVED = ("SELECT k.source_id, c.text, c.raw_text, c.ok, c.attempts, c.empty_attempts, "
         "c.repetition_attempts FROM candidates c JOIN cases k ON k.uuid = c.case_uuid")


def test_a_refused_draft_is_retried_in_the_queue_and_saved_as_one_at_a_time(
        default_model_path: Path, tmp_path: Path) -> None:
    rows = {}
    for parallel in (0, 2):
        db = open_database(tmp_path / f"parallel-{parallel}.db")
        ids = save_cases(db, RETRIED)
        summary = run_model(db, default_model_path, RETRIED, ids, parallel=parallel,
                            engine_settings=EngineSettings(n_threads=1),
                            sampling=Sampling(max_tokens=96))
        assert summary.generated == 2
        # Both are chest cases in English: the second prompt, and each retry, began from
        # cells another held. One at a time keeps no such count.
        assert (summary.shared_prompt_tokens > 0) == (parallel > 0)
        assert summary.shared_prompt_tokens < summary.prompt_tokens or not parallel
        rows[parallel] = {row[0]: row[1:] for row in db.execute(SAVED).fetchall()}
        db.close()
    text, raw, ok, attempts, empty, repetition = rows[2]["loop"]
    # The guard refused the first two attempts; the retry's draft is the one saved.
    assert (ok, attempts, empty, repetition) == (1, 3, 0, 2)
    assert text
    assert "Nodule, Nodule, Nodule" not in raw
    assert text in raw
    assert rows[2]["calm"][3] == 1  # the case beside it took no retry
    # Counted, judged and saved as one at a time does it.
    assert rows[2] == rows[0]


def _prompts(engine) -> list[str]:
    from radval_desktop.drafting import prepare_draft

    return [prepare_draft(engine, job.request).rendered.text for job in _jobs(FINDINGS)]


def _radval(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "radval_desktop", *args], capture_output=True,
                          text=True, timeout=300, check=False, env=os.environ.copy())


def test_parallel_batch_killed_halfway_resumes_with_nothing_lost_or_doubled(
        tmp_path: Path) -> None:
    user = paths.user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    user.write_text("[sampling]\nmax_tokens = 40\n", encoding="utf-8")  # short drafts
    rows = [{"institution": "1", "body_system": s, "modality": m, "findings": f"{f} ({n})",
             "impression": "x"} for n in range(2) for s, m, f in FINDINGS]
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    db_path = tmp_path / "study.db"
    proc = subprocess.Popen([sys.executable, "-m", "radval_desktop", "batch", str(cases),
                             "--db", str(db_path), "--parallel", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=os.environ.copy())
    deadline = time.monotonic() + 180
    done = 0
    while time.monotonic() < deadline and proc.poll() is None:
        if db_path.exists():
            try:
                done = sqlite_utils.Database(db_path)["candidates"].count
            except Exception:  # noqa: BLE001 - table not created yet or locked: poll again
                done = 0
            if done >= 2:
                break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 2 <= done < len(rows), "the batch should be killed halfway"
    saved = "SELECT uuid, created_at, text, seconds FROM candidates ORDER BY uuid"
    before = list(sqlite_utils.Database(db_path).execute(saved).fetchall())
    # Resumed with more than the context holds (64 drafts of up to 600 tokens are past the
    # model's 32,768): reduced with a sentence, then run.
    user.write_text("[sampling]\nmax_tokens = 600\n", encoding="utf-8")
    resumed = _radval("batch", str(cases), "--db", str(db_path), "--parallel", "64")
    assert resumed.returncode == 0, resumed.stderr
    assert "--parallel 64 is more than the context holds" in resumed.stderr
    assert f"{len(rows) - len(before)} generated, {len(before)} already done" in resumed.stdout
    db = sqlite_utils.Database(db_path)
    after = {row[0]: row for row in db.execute(saved).fetchall()}
    assert [after[row[0]] for row in before] == before  # kept, not redone
    assert len(after) == len(rows)
    assert db.execute("SELECT COUNT(DISTINCT case_uuid) FROM candidates").fetchone()[0] == 8


def test_progress_json_is_all_a_scheduler_reads_on_stdout_notes_included(tmp_path: Path
                                                                         ) -> None:
    user = paths.user_config_file()
    user.parent.mkdir(parents=True, exist_ok=True)
    # Room for 600 tokens a draft: 64 drafts are more than the model's 32,768 tokens hold.
    user.write_text("[sampling]\nmax_tokens = 600\n", encoding="utf-8")
    rows = [{"institution": "1", "body_system": s, "modality": m, "findings": f,
             "impression": "x"} for s, m, f in FINDINGS[:2]]
    rows.insert(1, {"institution": "1", "body_system": "chest", "modality": "CT",
                    "findings": "", "impression": "x"})  # line 2: skipped, with a note
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    run = _radval("batch", str(cases), "--db", str(tmp_path / "study.db"), "--parallel", "64",
                  "--progress", "json")
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in run.stdout.splitlines()]  # every line is JSON
    notes = [e["text"] for e in events if e["event"] == "note"]
    assert notes[0] == "cases.jsonl line 2: empty findings; skipped."
    assert notes[1].startswith("--parallel 64 is more than the context holds")
    assert len(notes) == 2
    # Nothing of them left as plain text for a person only.
    assert "skipped" not in run.stderr
    assert "--parallel 64" not in run.stderr
    progress = [e for e in events if e["event"] == "progress"]
    assert [e["done"] for e in progress] == [1, 2]  # one a finished case
    name = progress[0]["model"]
    for event in progress:
        assert event["cases_per_s"] > 0
        assert event["models"][name]["done"] == event["done"]
        assert isinstance(event["eta_s"], float)
    assert progress[-1]["eta_s"] == 0.0
    assert events[-1]["event"] == "model_done"
    assert (events[-1]["generated"], events[-1]["skipped"]) == (2, 0)


SPIN = "import time\nend = time.monotonic() + {0}\nwhile time.monotonic() < end: pass\n"


def test_parallel_decodes_on_the_cores_left_idle_unless_threads_are_set(engine) -> None:
    # Measured: 2 threads spin-waiting beside another program's work made 3.2 cases/min where
    # one at a time made 7.3. A core another program keeps busy is left to it.
    cores = os.cpu_count() or 1
    jobs = _jobs(FINDINGS[:2])
    child = subprocess.Popen([sys.executable, "-c", SPIN.format(120)])
    try:
        time.sleep(0.5)  # spinning before the batch first looks
        idle = Parallel(engine, Sampling(max_tokens=48), None, 2)
        assert len(list(idle.run(jobs, threading.Event()))) == 2
        chosen = Parallel(engine, Sampling(max_tokens=8), None, 2, threads=cores)
        assert len(list(chosen.run(jobs, threading.Event()))) == 2
    finally:
        child.kill()
        child.wait()
    assert idle.thread_counts
    assert max(idle.thread_counts) <= max(1, cores - 1)
    assert chosen.thread_counts == [cores]  # the user's number, however busy the machine


def test_threads_are_refused_below_one_or_where_it_locked_another_number(
        tmp_path: Path, radval_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from radval_desktop.cli.main import EXIT_ERROR, main
    from radval_desktop.cli.options import EXIT_LOCKED

    cases = tmp_path / "cases.jsonl"
    cases.write_text(json.dumps({"body_system": "chest", "modality": "CT", "findings": "x",
                                 "impression": "y"}) + "\n")
    db = tmp_path / "study.db"
    assert main(["batch", str(cases), "--db", str(db), "--parallel", "2",
                 "--threads", "0"]) == EXIT_ERROR
    assert capsys.readouterr().err == "radval: --threads takes a number of 1 or more.\n"
    system = Path(os.environ["RADVAL_SYSTEM_CONFIG"])
    system.parent.mkdir(parents=True, exist_ok=True)
    system.write_text("[model]\nn_threads = 1\n", encoding="utf-8")
    assert main(["batch", str(cases), "--db", str(db), "--threads", "2"]) == EXIT_LOCKED
    err = capsys.readouterr().err
    assert "--threads 2 is refused: IT set model.n_threads = 1" in err
    assert not db.exists()  # refused before anything ran


PREFIX = ("You are a radiologist. Write the impression of the report below in one short "
          "sentence, naming the main finding and its side; write nothing else.\n\nFindings: ")


def _decode_all(engine, prompts: list[str], slots: int, donors: int, seq_ctx: int = 1024
                ) -> tuple[list[str], BatchDecoder]:
    queue = deque(Request(i, prompt, SHORT, ["\n\n"]) for i, prompt in enumerate(prompts))
    with BatchDecoder(engine._llm, seq_ctx, slots, threads=1, donors=donors) as decoder:
        done = {request.key: decoded.raw for request, decoded
                in decoder.run(queue, threading.Event())}
    return [done[i] for i in range(len(prompts))], decoder


def test_a_prompt_starts_from_a_finished_prompts_cells_and_decodes_the_same(engine) -> None:
    prompts = [PREFIX + text for _, _, text in FINDINGS]
    alone, plain = _decode_all(engine, prompts, slots=1, donors=0)
    kept, sharing = _decode_all(engine, prompts, slots=1, donors=2)
    assert plain.shared_tokens == 0  # one at a time, nothing kept: every token read
    prefix = engine.count_tokens(PREFIX)
    # Each prompt after the first began from a kept prompt's cells: the instruction at least.
    assert sharing.shared_tokens >= (len(prompts) - 1) * (prefix - 2)
    assert kept == alone
    assert all(kept)


def test_kept_prompts_have_streams_of_their_own(engine) -> None:
    prompts = [PREFIX + text for _, _, text in FINDINGS]
    longest = max(engine.count_tokens(p) for p in prompts) + 2
    # Room for one prompt and its draft a stream: kept prompts take none from the running.
    tight, decoder = _decode_all(engine, prompts, slots=1, donors=2,
                                 seq_ctx=longest + SHORT.max_tokens)
    assert decoder.n_ctx == decoder.seq_ctx * 3
    assert decoder.shared_tokens > 0
    alone, _ = _decode_all(engine, prompts, slots=1, donors=0)
    assert tight == alone


def test_prompts_that_begin_alike_wait_for_the_first_to_be_read(engine) -> None:
    prompts = [PREFIX + text for _, _, text in FINDINGS]
    together, decoder = _decode_all(engine, prompts, slots=4, donors=0)
    prefix = engine.count_tokens(PREFIX)
    # All four could start at once, before any prompt was in the cache: the first is read
    # alone, and the three others start from its cells instead of reading the same tokens.
    assert decoder.shared_tokens >= 3 * (prefix - 2)
    assert decoder.most_live == 4
    alone, _ = _decode_all(engine, prompts, slots=1, donors=0)
    assert together == alone


def test_running_drafts_keep_the_lowest_ids_in_order_and_kept_prompts_the_ones_above(
        engine) -> None:
    # llama.cpp reads one pass over the weights for each run of consecutive sequence ids
    # in a batch (split_equal): a kept prompt left on an id between running drafts split
    # every step in two (100 cases at --parallel 16: 26.5 -> 31.3 cases/min once apart).
    prompts = [PREFIX + text for _, _, text in FINDINGS]
    queue = deque(Request(i, prompt, SHORT, ["\n\n"]) for i, prompt in enumerate(prompts))
    steps: list[list[int]] = []
    with BatchDecoder(engine._llm, 1024, 2, threads=1, donors=4) as decoder:
        decode = decoder._decode

        def recorded() -> None:
            batch = decoder._batch
            steps.append([batch.seq_id[i][0] for i in range(batch.n_tokens)])
            decode()

        decoder._decode = recorded  # type: ignore[method-assign]
        done = [request.key for request, _ in decoder.run(queue, threading.Event())]
    assert sorted(done) == list(range(len(prompts)))
    assert decoder.shared_tokens > 0  # prompts were kept, on ids of their own
    assert len(steps) > len(prompts)
    for ids in steps:
        assert ids == sorted(ids), ids  # in id order
        assert set(ids) <= {0, 1}, ids  # never a donor's id (2..5) for a running draft
