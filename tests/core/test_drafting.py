"""Drafting end to end on the real default model: streaming events, guards, retries, bad input."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator

import pytest

from radval_desktop.drafting import (
    RUN_ON_MARGIN,
    RUN_ON_MOST,
    DraftDone,
    DraftRequest,
    DraftRestarted,
    DraftToken,
    draft,
    draft_events,
    impression_room,
)
from radval_desktop.engine.llama_engine import LlamaEngine
from radval_desktop.engine.sampling import Sampling
from radval_desktop.errors import InputError
from radval_desktop.prompts import Example, bundled_templates

pytestmark = pytest.mark.slow

ZH_CHEST = ("胸廓对称，纵隔心影居中。双肺纹理清晰，右肺上叶胸膜下可见片状磨玻璃影，边缘不清。"
            "双侧胸腔内未见积液。")
EN_CHEST = ("Large right pleural effusion with compressive atelectasis of the right lower lobe. "
            "Heart size normal. No pneumothorax.")


# Three past reports of our own writing, as a department's corpus would give them. With the
# first two only, the default model wrote "胸廓炎症性病变。" (an inflammation of the bony
# thorax, which the findings call symmetric), and the guards rightly refused it.
ZH_PAST = (Example("胸廓对称。左肺下叶见斑片状密度增高影，边缘模糊。双侧胸腔未见积液。",
                   "左肺下叶炎症。"),
           Example("双肺纹理清晰，右肺中叶见小片状磨玻璃影，边界欠清。", "右肺中叶炎性病变。"),
           Example("胸廓对称，纵隔心影居中。双肺纹理清晰，左肺上叶胸膜下见小片状磨玻璃影，"
                   "边缘模糊。", "左肺上叶炎性病变。"))


def test_chinese_findings_give_a_chinese_impression(engine: LlamaEngine) -> None:
    result = draft(engine, DraftRequest(ZH_CHEST, "chest", "CT", examples=ZH_PAST),
                   Sampling(max_tokens=96))
    assert result.ok, result.message
    assert result.language == "zh"
    cjk = sum("\u4e00" <= ch <= "\u9fff" for ch in result.text)
    assert cjk > len(result.text) / 3
    assert result.used_chat_template
    assert result.template_id == bundled_templates().default_template
    assert len(result.model_sha256) == 64
    assert result.first_token_seconds is not None
    assert result.total_seconds > 0


def test_events_stream_then_finish(engine: LlamaEngine) -> None:
    events = list(draft_events(engine, DraftRequest(EN_CHEST, "chest", "CT"),
                               Sampling(max_tokens=64)))
    tokens = [e for e in events if isinstance(e, DraftToken)]
    assert len(tokens) > 3
    assert isinstance(events[-1], DraftDone)
    result = events[-1].result
    assert result.ok
    assert result.raw_text == "".join(t.text for t in tokens)
    assert result.tokens_per_second > 0


def test_cancel_mid_generation(engine: LlamaEngine) -> None:
    cancel = threading.Event()
    seen = 0
    result = None
    for event in draft_events(engine, DraftRequest(EN_CHEST, "chest", "CT"),
                              Sampling(max_tokens=256), cancel):
        if isinstance(event, DraftToken):
            seen += 1
            if seen == 3:
                cancel.set()
        elif isinstance(event, DraftDone):
            result = event.result
    assert result is not None
    assert result.cancelled
    assert not result.ok
    assert result.text == ""
    assert result.message == "Stopped."
    assert seen <= 4
    assert [a.verdict for a in result.attempts] == ["cancelled"]


def test_real_loop_is_stopped_early_and_retried(engine: LlamaEngine) -> None:
    # Findings that are themselves a loop talk the model into one (seen with this model,
    # greedy, no repeat penalty): the guard must stop it long before max_tokens and retry.
    looping = "结节，" * 60
    events = list(draft_events(engine, DraftRequest(looping, "chest", "CT", "zh", "t1_terse"),
                               Sampling(max_tokens=400, repeat_penalty=1.0)))
    result = events[-1].result
    first = result.attempts[0]
    assert first.verdict == "repetition"
    assert first.completion_tokens < 100
    assert len(result.attempts) >= 2
    assert any(isinstance(e, DraftRestarted) and e.reason == "repetition" for e in events)
    assert result.attempts[1].sampling.temperature > 0
    if not result.ok:  # said by the last try's guard: a loop, or the findings restated
        assert result.message.startswith(("The model got stuck repeating", "Not usable"))


class _FirstAttemptSays(LlamaEngine):
    """The real engine, except that the first attempt's output is crafted."""

    def __init__(self, real: LlamaEngine, crafted: list[str]) -> None:
        self.__dict__.update(real.__dict__)
        self._crafted = crafted
        self.calls = 0

    def stream(self, prompt: str, sampling: Sampling, cancel=None, stop=None,
               fresh: bool = True) -> Iterator[str]:
        self.calls += 1
        if self.calls == 1:
            self.last_stats.__init__()
            yield from self._crafted
            return
        yield from super().stream(prompt, sampling, cancel, stop, fresh)


class _RunsOn(_FirstAttemptSays):
    """The first attempt writes on, never a loop, until the max_tokens it is given."""

    def __init__(self, real: LlamaEngine) -> None:
        super().__init__(real, [])
        self.asked: list[int] = []

    def stream(self, prompt: str, sampling: Sampling, cancel=None, stop=None,
               fresh: bool = True) -> Iterator[str]:
        self.asked.append(sampling.max_tokens)
        if self.calls == 0:
            self.calls += 1
            self.last_stats.__init__()
            for i in range(sampling.max_tokens):
                yield f" {hashlib.sha1(str(i).encode()).hexdigest()[:6]}"
            self.last_stats.completion_tokens = sampling.max_tokens
            self.last_stats.finish_reason = "length"
            return
        yield from super().stream(prompt, sampling, cancel, stop, fresh)


def test_a_draft_longer_than_an_impression_is_stopped_and_retried(engine: LlamaEngine
                                                                    ) -> None:
    # A real draft of a MedPix case (bench/batch_throughput.py) wrote 512 tokens of another
    # case history and was kept: ~50 s here at one token a 100 ms, shown as the impression.
    runs_on = _RunsOn(engine)
    events = list(draft_events(runs_on, DraftRequest(EN_CHEST, "chest", "CT")))
    result = events[-1].result
    room = engine.count_tokens(EN_CHEST) + RUN_ON_MARGIN
    assert runs_on.asked[0] == room < Sampling().max_tokens
    assert [a.verdict for a in result.attempts][:1] == ["ran_on"]
    assert result.attempts[0].completion_tokens == room
    assert "ran past" in result.attempts[0].detail
    assert any(isinstance(e, DraftRestarted) and e.reason == "ran_on" for e in events)
    assert runs_on.calls == 2
    assert result.ok
    assert result.text
    # However long the findings, no impression is given more than RUN_ON_MOST tokens.
    assert impression_room(5000, 512) == RUN_ON_MOST
    assert impression_room(10, 32) == 32  # the user's own max_tokens is kept below it


def test_empty_output_is_retried(engine: LlamaEngine) -> None:
    crafted = _FirstAttemptSays(engine, ["Impression:", " ", "\n"])
    result = draft(crafted, DraftRequest(EN_CHEST, "chest", "CT"), Sampling(max_tokens=64))
    assert [a.verdict for a in result.attempts][:1] == ["empty"]
    assert crafted.calls == 2
    assert result.ok
    assert result.text


def test_echoed_label_and_findings_are_stripped(engine: LlamaEngine) -> None:
    crafted = _FirstAttemptSays(engine, ["Impression: ", EN_CHEST, "\n", "Right effusion."])
    result = draft(crafted, DraftRequest(EN_CHEST, "chest", "CT"))
    assert result.ok
    assert result.text == "Right effusion."
    assert crafted.calls == 1


def test_every_attempt_empty_gives_a_message(engine: LlamaEngine) -> None:
    class Silent(_FirstAttemptSays):
        def stream(self, prompt, sampling, cancel=None, stop=None,  # type: ignore[override]
                   fresh=True):
            self.calls += 1
            self.last_stats.__init__()
            yield ""

    silent = Silent(engine, [])
    result = draft(silent, DraftRequest(EN_CHEST, "chest", "CT"))
    assert not result.ok
    assert silent.calls == 3
    assert "no impression after 3 tries" in result.message


@pytest.mark.parametrize(
    ("findings", "match"),
    [("", "empty"), ("   \n ", "empty"), ("x" * 30_000, "30,000 characters"),
     ("\x00\x01\x02 lung", "control")],
)
def test_bad_findings_are_refused_before_generation(engine: LlamaEngine, findings: str,
                                                    match: str) -> None:
    with pytest.raises(InputError, match=match):
        draft(engine, DraftRequest(findings, "chest", "CT"))


def test_findings_longer_than_the_context_say_what_fits(engine: LlamaEngine) -> None:
    long = "右肺上叶见结节，" * 1500  # ~12k characters, well over 4096 tokens
    with pytest.raises(InputError, match=r"too long for this model.*at most 3,584 fit"):
        draft(engine, DraftRequest(long, "chest", "CT"))
