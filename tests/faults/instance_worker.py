"""A RadVal process for the kill and two-instance tests: saves or scores the way the app does.

    python instance_worker.py rows COUNT TAG GO_FILE [SECONDS]          history rows, no model
    python instance_worker.py score RATERS TAG GO_FILE [SECONDS [STOP]] reader-study answers

COUNT drafts (RATERS raters) at least, and more until SECONDS have passed or the file STOP
exists, so that two processes overlap however fast the machine is. (Drafting with the model
is done by the real window: window_child.py.) Each saved draft or answer is reported on
stdout (one JSON line) only after the call that saved it has returned, so the test knows
what was committed before a SIGKILL. The history and the study live in the app's database
(RADVAL_HOME), as two windows would share it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def _say(**values: object) -> None:
    print(json.dumps(values, ensure_ascii=False), flush=True)


def _wait_for(go: Path) -> None:
    # Both processes are started and imported before either touches the database.
    _say(event="ready")
    while not go.exists():
        time.sleep(0.005)


def rows(count: int, tag: str, go: Path, seconds: float = 0.0) -> None:
    """The window after each draft: save it, refresh the list, Copy, dismiss a flag."""
    from radval_desktop.config import load_settings
    from radval_desktop.store.history import History, NewDraft

    history = History.from_settings(load_settings().values)
    _wait_for(go)
    history.purge_expired()
    first = time.time()
    n = 0
    while n < count or time.time() < first + seconds:
        findings = f"Small right pleural effusion ({tag} {n})."
        uuid = history.save_draft(NewDraft(
            findings=findings, body_system="chest", modality="CT", language="en",
            template_id="t1", template_version="1", model_name="m", model_sha256="0" * 64,
            sampling_json="{}", raw_output="Right pleural effusion.",
            final_text="Right pleural effusion.", ok=True, message="", attempts=1,
            prompt_tokens=40, completion_tokens=5, first_token_seconds=0.1, total_seconds=0.5,
            tokens_per_second=10.0))
        assert uuid is not None
        history.recent()  # HistoryPanel.refresh
        history.set_copied(uuid, f"Right pleural effusion ({tag} {n}).")
        if n % 5 == 0:
            history.dismiss_flag(uuid, "possibly_missed", "possibly_missed:effusion", "seen")
        _say(event="saved", uuid=uuid, findings=findings)
        n += 1
    history.close()
    _say(event="done", first=first, last=time.time())


def score(raters: int, tag: str, go: Path, seconds: float = 0.0,
          stop: Path | None = None) -> None:
    """The Scoring tab: each rater scores every metric of every candidate, one at a time."""
    from radval_desktop.store.database import database_path
    from radval_desktop.store.reader_study import list_studies, open_study, save_rater
    from radval_desktop.study.session import ScoringSession

    path = database_path()
    db = open_study(path)
    _wait_for(go)
    first = time.time()
    [study] = list_studies(db)
    r = 0
    while r < raters or time.time() < first + seconds or stop is not None and not stop.exists():
        session = ScoringSession(db, study, save_rater(db, f"Dr {tag} {r}", "senior"), path)
        while not session.finished():
            session.set_score((r * 7 + session.metric_index * 11 + session.index) % 101)
            _say(event="answer", rater=r, candidate=session.item.candidate_uuid,
                 metric=session.metric.key)
            session.next_unanswered()
        r += 1
    db.close()
    _say(event="done", first=first, last=time.time())


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    seconds = float(args[3]) if len(args) > 3 else 0.0
    if mode == "rows":
        rows(int(args[0]), args[1], Path(args[2]), seconds)
    else:
        score(int(args[0]), args[1], Path(args[2]), seconds,
              Path(args[4]) if len(args) > 4 else None)
