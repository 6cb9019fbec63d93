"""A GGUF's chat template cannot build more than a prompt, and real templates render as before.

Every probe renders in a child process whose address space is capped at 1 GiB: a guard that
regresses makes that child fail its allocation (and this test), never the machine running it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from packaging.requirements import Requirement

from radval_desktop.prompts import Case, Example, build_prompt, render_prompt

REPO = Path(__file__).resolve().parents[2]
_ADDRESS_SPACE = 1 << 30  # 1 GiB: room for Python and Jinja, not for a gigabyte string
_PROBE = """
import json, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[2]), int(sys.argv[2])))
from radval_desktop.errors import ModelFileError
from radval_desktop.prompts import Case, build_prompt, render_prompt
prompt = build_prompt(Case("Small right pleural effusion.", "chest", "CT", "en"))
started = time.monotonic()
try:
    rendered = render_prompt(prompt, sys.argv[1])
    out = {"outcome": "rendered" if rendered.used_chat_template else "fallback",
           "said": rendered.note}
except ModelFileError as err:
    out = {"outcome": "refused", "said": str(err)}
out["seconds"] = time.monotonic() - started
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent (pytest) across exec.
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
out["peak_mb"] = int(hwm.split()[1]) / 1024
print(json.dumps(out))
"""


# RLIMIT_AS and /proc/self/status: the probes run where CI runs, on Linux.
linux_only = pytest.mark.skipif(sys.platform != "linux", reason="probes need Linux limits")


def _probe(chat_template: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", _PROBE, chat_template, str(_ADDRESS_SPACE)],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


_DOUBLE = "{% set s = s ~ s %}"
_SQUARE = "{% set n = n * n %}"
_TENFOLD = "[{0},{0},{0},{0},{0},{0},{0},{0},{0},{0}]"
# Each of these would build gigabytes (or hours of big-integer arithmetic) before the first
# token; unguarded, every one either raised MemoryError under the 1 GiB cap or ran for seconds.
BOMBS = {
    # Issue 17's four: a filter's width, `~` doubling, `*` then |join, integer squaring.
    "center-filter": "{{ 'a' | center(3000000000) }}",
    "concat-doubling": "{% set s = 'a' * 1000000 %}" + _DOUBLE * 10 + "{{ s | length }}",
    "repeat-then-join": "{{ (['a' * 1000000] * 1000000) | join }}",
    "integer-squaring": "{% set n = 2 ** 499999 %}" + _SQUARE * 10 + "{{ n > 0 }}",
    # The same ideas through other doors of the sandbox.
    "center-method": "{{ 'a'.center(3000000000) }}",
    "format-width": "{{ '{:>3000000000}'.format(1) }}",
    "percent-width": "{{ '%3000000000s' % 1 }}",
    "format-filter-width": "{{ '%3000000000s' | format(1) }}",
    "replace-expands": "{{ ('a' * 1000) | replace('a', 'b' * 1000000) }}",
    "indent-every-line": "{{ ('\\n' * 1000000) | indent(1000) }}",
    "expandtabs": "{{ ('\\t' * 1000000).expandtabs(1000) }}",
    "tojson-indent": "{{ [1] | tojson(indent=3000000000) }}",
    "batch-fill": "{{ [1] | batch(1000000000, 'x') | list | length }}",
    "map-then-join": "{{ range(100000) | map('string') | map('center', 1000000) | join }}",
    "shared-lists-printed": "{% set a = ['x' * 100000] %}{% set b = " + _TENFOLD.format("a")
    + " %}{% set c = " + _TENFOLD.format("b") + " %}{% set d = " + _TENFOLD.format("c")
    + " %}{% set e = " + _TENFOLD.format("d") + " %}{{ e }}",
    "slices-kept-in-a-namespace": "{% set ns = namespace(x=[]) %}{% set s = 'a' * 1000000 %}"
    "{% for i in range(100000) %}{% set ns.x = [ns.x, s[i:]] %}{% endfor %}{{ ns.x | length }}",
}


@linux_only
@pytest.mark.parametrize("chat_template", BOMBS.values(), ids=BOMBS.keys())
def test_chat_template_building_gigabytes_is_refused_quickly_in_little_memory(
        chat_template: str) -> None:
    result = _probe(chat_template)
    assert result["outcome"] == "refused", result
    assert "larger than a prompt" in result["said"]
    assert result["seconds"] < 1.0, result  # refused by the size guards, not the 2 s clock
    # The whole process, Python and Jinja included (~22 MB idle); measured <= 41 MB.
    assert result["peak_mb"] < 120, result


@linux_only
def test_a_sound_template_still_renders_under_the_same_cap() -> None:
    result = _probe("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
                    "<|im_end|>\n{% endfor %}<|im_start|>assistant\n")
    assert result["outcome"] == "rendered", result
    assert result["peak_mb"] < 120


# --- real chat templates render exactly as an unguarded sandbox renders them ----------------

# Written here in the shape of the Gemma and Phi-3 families' templates (their markup and
# their use of trim, loop.first and raise_exception); the others are the real ones.
GEMMA_LIKE = (
    "{{ bos_token }}{% if messages[0]['role'] == 'system' %}"
    "{% set first = messages[0]['content'] | trim + '\n\n' %}{% set rest = messages[1:] %}"
    "{% else %}{% set first = '' %}{% set rest = messages %}{% endif %}"
    "{% for message in rest %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}"
    "{{ raise_exception('Conversation roles must alternate user/assistant') }}{% endif %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "{{ '<start_of_turn>' + role + '\n' + (first if loop.first else '') "
    "+ message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<start_of_turn>model\n' }}{% endif %}"
)
PHI3_LIKE = (
    "{% for message in messages %}{% if message['role'] in ['system', 'user', 'assistant'] %}"
    "{{ '<|' ~ message['role'] ~ '|>\n' ~ message['content'] ~ '<|end|>\n' }}"
    "{% else %}{{ raise_exception('unknown role') }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}"
)


def _llama_cpp_templates() -> dict[str, str]:
    # The chat formats llama-cpp-python itself ships (ChatML, Mistral, Mixtral, Llama 3).
    from llama_cpp import llama_chat_format as formats

    return {name: getattr(formats, name) for name in (
        "CHATML_CHAT_TEMPLATE", "MISTRAL_INSTRUCT_CHAT_TEMPLATE",
        "MIXTRAL_INSTRUCT_CHAT_TEMPLATE", "LLAMA3_INSTRUCT_CHAT_TEMPLATE")}


def _cases() -> list[tuple[Case, list[Example]]]:
    zh = Case("双肺纹理清晰，右肺上叶胸膜下可见片状磨玻璃影。\t\n纵隔居中。", "chest", "CT", "zh")
    en = Case("Small right pleural effusion. No pneumothorax.", "chest", "XR", "en")
    longest = Case("Right upper lobe nodule, 8 mm. " * 967, "chest", "CT", "en")  # 30,000 chars
    examples = [Example("左肺下叶斑片影。", "左肺下叶炎症。"),
                Example("双肺未见异常。", "胸部CT平扫未见异常。")]
    return [(zh, []), (zh, examples), (en, []), (longest, [])]


def _unguarded(chat_template: str, messages: list[dict[str, str]]) -> str | None:
    """What Jinja's own immutable sandbox renders (None: the template raised)."""
    def raise_exception(message: str) -> None:
        raise TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    try:
        return env.from_string(chat_template).render(
            messages=messages, add_generation_prompt=True, bos_token="<s>", eos_token="</s>",
            raise_exception=raise_exception)
    except TemplateError:
        return None


def _assert_renders_as_before(chat_template: str) -> int:
    rendered_count = 0
    for case, examples in _cases():
        prompt = build_prompt(case, examples=examples)
        expected = _unguarded(chat_template, prompt.messages())
        rendered = render_prompt(prompt, chat_template, "<s>", "</s>")
        if expected is None:  # e.g. Mistral's template refuses a system turn: before and now
            assert not rendered.used_chat_template
            assert "chat template failed" in rendered.note
            continue
        assert rendered.used_chat_template, rendered.note
        assert rendered.text == expected
        rendered_count += 1
    return rendered_count


@pytest.mark.parametrize("name", ["CHATML_CHAT_TEMPLATE", "MISTRAL_INSTRUCT_CHAT_TEMPLATE",
                                  "MIXTRAL_INSTRUCT_CHAT_TEMPLATE",
                                  "LLAMA3_INSTRUCT_CHAT_TEMPLATE"])
def test_llama_cpp_chat_formats_render_exactly_as_before(name: str) -> None:
    rendered = _assert_renders_as_before(_llama_cpp_templates()[name])
    # Mistral's and Mixtral's refuse the system turn, as they always did.
    assert rendered == (0 if "MI" in name else 4)


@pytest.mark.parametrize("chat_template", [GEMMA_LIKE, PHI3_LIKE], ids=["gemma", "phi3"])
def test_other_families_render_exactly_as_before(chat_template: str) -> None:
    assert _assert_renders_as_before(chat_template) == 4


@pytest.mark.slow
def test_default_models_own_template_renders_exactly_as_before(default_model_path: Path
                                                               ) -> None:
    from radval_desktop.engine.gguf_file import read_gguf

    qwen = read_gguf(default_model_path).chat_template
    assert qwen
    assert "<|im_start|>" in qwen
    assert _assert_renders_as_before(qwen) == 4


def test_jinja2_is_pinned_past_its_known_sandbox_escapes() -> None:
    import jinja2

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    pins = [Requirement(d) for d in project["project"]["dependencies"]
            if Requirement(d).name.lower() == "jinja2"]
    assert len(pins) == 1
    # Each release fixed a published sandbox escape or injection: 3.1.3 and 3.1.4 xmlattr
    # keys, 3.1.5 an indirect call of str.format, 3.1.6 str.format reached through |attr.
    for escaped in ("3.1.0", "3.1.4", "3.1.5"):
        assert not pins[0].specifier.contains(escaped)
    assert pins[0].specifier.contains("3.1.6")
    assert pins[0].specifier.contains(jinja2.__version__)


@linux_only
def test_memory_growth_stops_a_render_that_every_size_guard_let_through() -> None:
    # The last line of defence, for a door the guards above would miss: with them switched
    # off, a loop keeping megabyte slices is stopped when the process has grown by 256 MB.
    unguarded = ("import radval_desktop.chat_template as limits\n"
                 "limits.MAX_VALUE_SIZE = limits.RENDER_BUILD_LIMIT = 10**15\n")
    done = subprocess.run(
        [sys.executable, "-c", unguarded + _PROBE, BOMBS["slices-kept-in-a-namespace"],
         str(_ADDRESS_SPACE)], capture_output=True, text=True, timeout=120, cwd=REPO)
    result = json.loads(done.stdout)
    assert result["outcome"] == "refused", result
    assert "256 MB of memory" in result["said"]
    assert 256 < result["peak_mb"] < 256 + 150, result  # grew by the limit, and no further


# Every filter Jinja ships, and the operators, methods, slices and blocks templates use, give
# what Jinja's own sandbox gives: the size guards change no result that fits in a prompt.
FILTER_USES = (
    "{{ -3|abs }}{{ 'ab'|attr('upper') is defined }}{{ missing|d('d') }}{{ x|default(1) }}",
    "{{ messages|batch(2, {'role': '-'})|list|length }}{{ 'hello WORLD'|capitalize }}",
    "{{ 'x'|center(9) }}|{{ messages|count }}{{ {'b': 1, 'a': 2}|dictsort }}",
    "{{ '<a&b>'|e }}{{ '<x>'|escape }}{{ 123456789|filesizeformat }}{{ '<b>'|forceescape }}",
    "{{ (messages|first)['role'] }}{{ '3.5'|float }}{{ '%s-%05d'|format('a', 42) }}",
    "{% for g in messages|groupby('role') %}{{ g.grouper }}={{ g.list|length }};{% endfor %}",
    "{{ 'a\nb\n\nc'|indent(2, first=True) }}{{ '42'|int + '1A'|int(0, 16) }}",
    "{% for k, v in {'a': 1}|items %}{{ k }}{{ v }}{% endfor %}{{ (messages|last)['role'] }}",
    "{{ messages|map(attribute='role')|join(', ') }}{{ messages|length }}{{ 'abc'|list }}",
    "{{ 'ABC'|lower }}{{ messages|map(attribute='content')|map('trim')|map('length')|list }}",
    "{{ [3, 1, 2]|max }}{{ [3, 1, 2]|min }}{{ messages|pprint }}{{ [7]|random }}",
    "{{ [1, 2, 3]|reject('odd')|list }}{{ messages|rejectattr('role', 'eq', 'system')|list }}",
    "{{ 'a-b-c'|replace('-', '+', 1) }}{{ 'abc'|reverse }}{{ [1, 2]|reverse|list }}",
    "{{ 3.14159|round(2) }}{{ 2.5|round(0, 'floor') }}{{ '<i>'|safe }}",
    "{{ [1, 2, 3]|select('odd')|list }}{{ messages|selectattr('role', '==', 'user')|list }}",
    "{{ [1, 2, 3, 4, 5]|slice(2)|list }}{{ [3, 1, 2]|sort(reverse=true) }}{{ 42|string }}",
    "{{ '<p>a <b>b</b></p>'|striptags }}{{ [1, 2, 3]|sum }}{{ [[1], [2]]|sum(start=[]) }}",
    "{{ 'hello world'|title }}{{ messages[0]|tojson }}{{ {'a': [1, 2]}|tojson(indent=2) }}",
    "{{ '  x  '|trim }}{{ 'xxaxx'|trim('x') }}{{ 'hello world, long text'|truncate(9, true) }}",
    "{{ [1, 2, 1]|unique|list }}{{ 'abc'|upper }}{{ 'a b&c'|urlencode }}{{ {'q': 1}|urlencode }}",
    "{{ 'see https://example.org now'|urlize }}{{ 'a b c'|wordcount }}",
    "{{ 'aaa bbb ccc ddd'|wordwrap(7) }}{{ {'class': 'x', 'id': 'y'}|xmlattr }}",
    "{% filter upper %}{{ messages[1]['content'] }}{% endfilter %}",
)
OTHER_USES = (
    "{{ messages[1]['content'].strip().split(' ')|join('_') }}{{ 'a,b'.split(',') }}",
    "{{ '-'.join(['a', 'b']) }}{{ '{} {:>4}|{x}'.format('a', 1, x=2) }}{{ '%s|%3d' % ('a', 7) }}",
    "{{ 'abc'.replace('b', 'x') }}{{ 'x'.center(5, '*') }}{{ 'a\tb'.expandtabs(4) }}",
    "{{ 'abc'[1:] }}{{ 'abc'[::-1] }}{{ [1, 2, 3][1:2] }}{{ messages[-1:]|length }}",
    "{{ 'a' ~ 1 ~ none }}{{ 2 ** 10 }}{{ 'ab' * 3 }}{{ [1] * 3 }}{{ 7 * 6 }}{{ 1 + 2 }}",
    "{{ [1] + [2] }}{{ 'a' + 'b' }}{{ 7 % 3 }}{{ 7 // 2 }}{{ 7 / 2 }}{{ 2.5 * 2 }}",
    "{% set ns = namespace(x=1) %}{% set ns.x = ns.x + 1 %}{{ ns.x }}{{ ns }}",
    "{% macro m(a, b='z') %}[{{ a }}{{ b }}{{ caller() if caller }}]{% endmacro %}"
    "{{ m('x') }}{% call m('y') %}c{% endcall %}{% set t %}{{ m('q') }}{% endset %}{{ t }}",
    "{% for m in messages %}{{ loop.index }}{{ loop.cycle('a', 'b') }}{{ m.role[:1] }}"
    "{% endfor %}{{ messages|map(attribute='content')|map('upper')|join|length }}",
    "{{ '%(a)s-%(a)s' % {'a': 'r'} }}{{ 'x{0}{0}'.format('y') }}{{ range(5)|list }}",
)


@pytest.mark.parametrize("template", FILTER_USES + OTHER_USES)
def test_filters_operators_and_methods_give_what_jinjas_sandbox_gives(template: str) -> None:
    from radval_desktop.chat_template import ChatTemplateSandbox, render_bounded

    messages = build_prompt(_cases()[1][0], examples=_cases()[1][1]).messages()
    expected = _unguarded(template, messages)
    guarded = ChatTemplateSandbox(trim_blocks=True, lstrip_blocks=True)
    assert expected is not None
    assert render_bounded(guarded.from_string(template), 2.0, messages=messages) == expected


def test_every_filter_jinja_ships_is_among_those_compared() -> None:
    from jinja2.filters import FILTERS

    used = " ".join(FILTER_USES)
    assert [name for name in FILTERS if f"|{name}" not in used] == []
