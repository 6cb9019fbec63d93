"""One rater scoring one study: where they are, what they answered, each answer saved at once."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sqlite_utils import Database

from radval_desktop.store.reader_study import (
    Answer,
    Item,
    Rater,
    Study,
    assign,
    load_answers,
    load_cursor,
    load_items,
    save_answer,
    save_cursor,
)
from radval_desktop.study.questionnaire import METRIC_KEYS, METRICS, Metric


class ScoringSession:
    """The scoring view's state; every change is written before the method returns.

    A write that fails (database locked, disk full) raises StoreError but keeps the answer
    here as pending; the next change, or ``flush()``, writes it. So nothing a rater gave is
    lost while the window stays open, and nothing written is lost if the process dies.
    """

    def __init__(self, db: Database, study: Study, rater: Rater, path: Path | None = None
                 ) -> None:
        self.db, self.study, self.rater, self.path = db, study, rater, path
        assign(db, study, rater)
        self.items: list[Item] = load_items(db, study, rater)
        self.answers: dict[tuple[str, str], Answer] = load_answers(db, study.uuid, rater.uuid)
        self.pending: dict[tuple[str, str], Answer] = {}
        self.index = 0  # into items
        self.metric_index = 0
        self._resume()

    # --- where the rater is -----------------------------------------------------------

    def _resume(self) -> None:
        cursor = load_cursor(self.db, self.study.uuid, self.rater.uuid)
        if cursor is not None:
            positions = [item.position for item in self.items]
            if cursor[0] in positions:
                self.index = positions.index(cursor[0])
            if cursor[1] in METRIC_KEYS:
                self.metric_index = METRIC_KEYS.index(cursor[1])
        if self.items and self.current_answer().answered:
            self.next_unanswered()

    @property
    def item(self) -> Item:
        return self.items[self.index]

    @property
    def metric(self) -> Metric:
        return METRICS[self.metric_index]

    def answer_for(self, index: int, metric: str) -> Answer:
        key = (self.items[index].candidate_uuid, metric)
        return self.answers.get(key, Answer(metric))

    def current_answer(self) -> Answer:
        return self.answer_for(self.index, self.metric.key)

    def progress(self) -> tuple[int, int]:
        """(answered, total) over every candidate and metric assigned to this rater."""
        done = sum(1 for (candidate, _), a in self.answers.items() if a.answered
                   and candidate in {item.candidate_uuid for item in self.items})
        return done, len(self.items) * len(METRICS)

    def finished(self) -> bool:
        done, total = self.progress()
        return done == total

    def go(self, index: int, metric_index: int = 0) -> None:
        if not self.items:
            return
        self.index = max(0, min(index, len(self.items) - 1))
        self.metric_index = max(0, min(metric_index, len(METRICS) - 1))
        save_cursor(self.db, self.study.uuid, self.rater.uuid, self.item.position,
                    self.metric.key, self.path)

    def next_metric(self) -> None:
        """The next metric, on to the next candidate after the seventh."""
        if self.metric_index + 1 < len(METRICS):
            self.go(self.index, self.metric_index + 1)
        elif self.index + 1 < len(self.items):
            self.go(self.index + 1, 0)

    def previous_metric(self) -> None:
        if self.metric_index > 0:
            self.go(self.index, self.metric_index - 1)
        elif self.index > 0:
            self.go(self.index - 1, len(METRICS) - 1)

    def next_item(self) -> None:
        self.go(self.index + 1, 0)

    def previous_item(self) -> None:
        self.go(self.index - 1, 0)

    def next_unanswered(self) -> bool:
        """Go to the first unanswered metric after here (wrapping); False when all are done."""
        slots = [(i, m) for i in range(len(self.items)) for m in range(len(METRICS))]
        here = self.index * len(METRICS) + self.metric_index
        for i, m in slots[here + 1:] + slots[: here + 1]:
            if not self.answer_for(i, METRICS[m].key).answered:
                self.go(i, m)
                return True
        return False

    # --- answers ----------------------------------------------------------------------

    def set_score(self, score: int | None) -> Answer:
        return self._update(replace(self.current_answer(), score=score, na=False))

    def set_na(self, na: bool) -> Answer:
        answer = self.current_answer()
        return self._update(replace(answer, na=na, score=None if na else answer.score))

    def add_quote(self, text: str) -> Answer:
        text = " ".join(text.split())
        answer = self.current_answer()
        if not text or text in answer.quotes:
            return answer
        return self._update(replace(answer, quotes=(*answer.quotes, text)))

    def remove_quote(self, index: int) -> Answer:
        quotes = list(self.current_answer().quotes)
        del quotes[index]
        return self._update(replace(self.current_answer(), quotes=tuple(quotes)))

    def set_explanation(self, text: str) -> Answer:
        # One reason a line (SPEC §7 Q2): blank lines and trailing spaces carry nothing.
        lines = [line.rstrip() for line in text.splitlines() if line.strip()]
        answer = self.current_answer()
        if "\n".join(lines) == answer.explanation:
            return answer
        return self._update(replace(answer, explanation="\n".join(lines)))

    def _update(self, answer: Answer) -> Answer:
        key = (self.item.candidate_uuid, answer.metric)
        self.answers[key] = answer
        self.pending[key] = answer
        self.flush()
        return answer

    def flush(self) -> None:
        """Write every pending answer; StoreError leaves the unwritten ones pending."""
        for key, answer in list(self.pending.items()):
            save_answer(self.db, self.study.uuid, self.rater.uuid, key[0], answer, self.path)
            del self.pending[key]
