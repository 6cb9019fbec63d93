"""A GGUF's chat template rendered in Jinja's sandbox, bounded in time, size and memory.

The template is data from outside: one in a model file could ask for gigabytes through any
door Jinja leaves open: an operator (``'a' * 10**10``, ``s ~ s`` doubled, ``n * n`` squared),
a filter's width (``|center(3000000000)``), a method (``'a'.center(…)``, ``'{:>9999999999}'``),
``*`` then ``|join``, or lists sharing one big string that are printed at once. So every value a
render builds is measured before it is built: no value may exceed MAX_VALUE_SIZE and a render
may not build more than RENDER_BUILD_LIMIT in all; the render also stops when the process grows
by MEMORY_GROWTH_LIMIT (Linux) or runs longer than its time budget.
"""

from __future__ import annotations

import inspect
import os
import re
import string
import sys
import threading
import time
import types
from collections.abc import Callable, Iterable, Mapping
from functools import update_wrapper
from typing import Any, cast

from jinja2 import Template, Undefined
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.nodes import Concat, Getitem, Slice
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

# Characters, list items or bits of any one value. The longest prompt (30,000 characters of
# findings, 1,500 of examples, Qwen's markup) is ~35,000; "{{ 'a' * 10**10 }}" would be 10 GB.
MAX_VALUE_SIZE = 1_000_000
# Everything one render builds, freed or not, as counted here: Qwen's, Llama 3's and ChatML's
# templates count ~7x their prompt (220,000 for 30,000 characters of findings); a loop that
# keeps building megabyte strings stops here (~80 MB of text at most) instead.
RENDER_BUILD_LIMIT = 20_000_000
# What the process may grow by while a template renders, whatever the path (Linux, read from
# /proc every 256 traced lines): a guard above that missed a door still cannot take the machine.
MEMORY_GROWTH_LIMIT = 256 * 2**20


class TemplateTooLarge(SecurityError):
    """The template asked for a value, or a total, far larger than any prompt."""


class RenderTooLong(Exception):
    """The render was still running at its deadline."""


class RenderTooBig(Exception):
    """The process grew by more than MEMORY_GROWTH_LIMIT during the render."""


class _Render(threading.local):
    built = 0
    active = False


_render = _Render()


def _refuse(what: str, units: int) -> TemplateTooLarge:
    return TemplateTooLarge(f"{what} of {units:,} is larger than a prompt")


def _charge(units: int, what: str = "a value") -> None:
    """Count ``units`` about to be built; refuse before building when too many."""
    if units > MAX_VALUE_SIZE:
        raise _refuse(what, units)
    if _render.active:
        _render.built += units
        if _render.built > RENDER_BUILD_LIMIT:
            raise _refuse("the render's total", _render.built)


class _Over(Exception):
    pass


_CONTAINERS: tuple[type, ...] = (list, tuple, set, frozenset, type({}.items()),
                                 type({}.keys()), type({}.values()))


def size_of(value: Any) -> int:
    """How large ``value`` is as text: lists sharing one item count it each time, as printing
    them would. Stops counting past MAX_VALUE_SIZE (and returns more than it)."""
    memo: dict[int, int] = {}
    total = 0

    def walk(item: Any) -> int:
        nonlocal total
        if isinstance(item, str | bytes | bytearray):
            size = len(item)
        elif item is None or isinstance(item, bool | float | complex):
            size = 8
        elif isinstance(item, int):
            size = item.bit_length() // 3 + 1  # decimal digits, rounded up
        elif isinstance(item, Undefined):
            size = 0
        elif isinstance(item, range):
            size = len(item) * (size_of(max(abs(item.start), abs(item.stop))) + 2)
        elif id(item) in memo:
            size = memo[id(item)]
        else:
            memo[id(item)] = 8  # a namespace holding itself prints as "..."
            if isinstance(item, Namespace):
                size = walk(item._Namespace__attrs)
            elif isinstance(item, Mapping):
                size = 2 + sum(walk(k) + walk(v) + 4 for k, v in item.items())
            elif isinstance(item, _CONTAINERS):
                items = cast(Iterable[Any], item)  # one of _CONTAINERS
                size = 2 + sum(walk(v) + 2 for v in items)
            else:  # functions, macros, loops, generators: a short repr, items built later
                size = 16
            memo[id(item)] = size
        total += size
        if total > MAX_VALUE_SIZE * 2:
            raise _Over
        return size

    try:
        return walk(value)
    except _Over:
        return MAX_VALUE_SIZE * 2 + 1


# --- what an operation would build, before it is built -----------------------------------

_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0 +\-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def _ints(values: Iterable[Any]) -> list[int]:
    return [abs(v) for v in values if isinstance(v, int) and not isinstance(v, bool)]


def _percent_size(fmt: str, args: Any) -> int:
    """``fmt % args``: each conversion may print the largest argument (``%(a)s%(a)s`` prints
    one twice) padded to the widest width or precision asked."""
    specs = _PERCENT_SPEC.findall(fmt)
    if isinstance(args, Mapping):
        values = list(args.values())
    else:
        values = list(args) if isinstance(args, tuple) else [args]
    widths = [int(n) for spec in specs for n in spec if n.isdigit()]
    if any("*" in spec for spec in specs):
        widths += _ints(values)
    largest = max((size_of(v) for v in values), default=0)
    return len(fmt) + len(specs) * (largest + max(widths, default=0))


def _format_size(fmt: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """``fmt.format(...)``: as above, widths read from each replacement field's spec."""
    widest, fields = 0, 0
    values = [*args, *kwargs.values()]
    for _, field, spec, _ in string.Formatter().parse(fmt):
        if field is None:
            continue
        fields += 1
        widest = max([widest, *map(int, re.findall(r"\d+", spec or ""))])
        if spec and "{" in spec:  # a nested field: the width comes from the arguments
            widest = max([widest, *_ints(values)])
    largest = max((size_of(v) for v in values), default=0)
    return len(fmt) + fields * (largest + widest)


def _replace_size(text: str, old: str, new: str, count: int | None) -> int:
    hits = text.count(old) if old else len(text) + 1
    if count is not None and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _join_size(items: list[Any], sep: Any) -> int:
    return sum(size_of(i) for i in items) + size_of(sep) * max(len(items) - 1, 0)


def _method_size(method: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """What a str or bytes method that can grow its text would build; None for the rest."""
    text, name = method.__self__, method.__name__
    first = args[0] if args else None
    if name in ("center", "ljust", "rjust", "zfill") and isinstance(first, int):
        return max(len(text), first)
    if name == "expandtabs":
        tab = kwargs.get("tabsize", first if isinstance(first, int) else 8)
        return len(text) + text.count("\t" if isinstance(text, str) else b"\t") * max(tab, 1)
    if name == "replace" and len(args) >= 2 and isinstance(text, str):
        count = args[2] if len(args) > 2 else kwargs.get("count")
        return _replace_size(text, str(args[0]), str(args[1]), count)
    if name == "translate" and isinstance(first, Mapping):
        return len(text) * max([1, *(size_of(v) for v in first.values())])
    if name == "encode":
        return 4 * len(text)
    return None


_FILTER_SIZES: dict[str, Callable[[dict[str, Any]], int]] = {
    "center": lambda a: max(len(str(a["value"])), a["width"]),
    "indent": lambda a: len(str(a["s"])) + (str(a["s"]).count("\n") + 1) * (
        a["width"] if isinstance(a["width"], int) else len(str(a["width"]))),
    "wordwrap": lambda a: len(str(a["s"])) * (1 + len(a["wrapstring"] or "\n")),
    "replace": lambda a: _replace_size(str(a["s"]), str(a["old"]), str(a["new"]), a["count"]),
    "format": lambda a: _percent_size(str(a["value"]), a["args"] or a["kwargs"]),
    "tojson": lambda a: size_of(a["value"]) * (1 + (
        a["indent"] if isinstance(a["indent"], int) else len(str(a["indent"] or "")))),
    "batch": lambda a: a["linecount"] * (1 + size_of(a["fill_with"]))
    if a["fill_with"] is not None else 0,
    "slice": lambda a: a["slices"] * (1 + size_of(a["fill_with"])),
}


_PASSED = ("eval_ctx", "environment", "env", "context")  # what Jinja hands a filter first


def _bounded_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """The filter, refusing an input or an output past MAX_VALUE_SIZE and, for the filters
    whose output is a product of their arguments, the arguments before it runs."""
    signature = inspect.signature(func)
    params = list(signature.parameters)
    # Jinja's async-variant filters take a context their signature (the sync one's) lacks.
    leading = int(getattr(func, "jinja_pass_arg", None) is not None
                  and (not params or params[0] not in _PASSED))
    subject = next((p for p in params if p not in _PASSED), None)
    estimate = _FILTER_SIZES.get(name)

    def bounded(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args[leading:], **kwargs)
        except TypeError:
            return func(*args, **kwargs)  # Jinja's own error, as before
        bound.apply_defaults()
        named = bound.arguments
        if subject is not None:
            if name == "join" and not isinstance(named[subject], list | tuple):
                named[subject] = list(named[subject])  # a generator: its items are charged
            _charge(size_of(named[subject]), f"the input of |{name}")
        if name == "join" and subject is not None:
            _charge(_join_size(list(named[subject]), named["d"]), "|join's text")
        elif estimate is not None:
            _charge(estimate(named), f"|{name}'s result")
        result = func(*args[:leading], *bound.args, **bound.kwargs)
        if isinstance(result, str | list | tuple | dict):
            _charge(size_of(result), f"|{name}'s result")
        return result

    return update_wrapper(bounded, func)


class _BoundedCodeGenerator(CodeGenerator):
    """Jinja's code generator, with ``a ~ b`` measured by the environment before joining."""

    @optimizeconst
    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        if frame.eval_ctx.volatile:
            join = "(markup_join if context.eval_ctx.volatile else str_join)"
        elif frame.eval_ctx.autoescape:
            join = "markup_join"
        else:
            join = "str_join"
        self.write(f"environment.bounded_concat({join}, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    @optimizeconst
    def visit_Getitem(self, node: Getitem, frame: Frame) -> None:
        # Jinja compiles slices to plain Python; a loop keeping slices would build them all.
        if not isinstance(node.arg, Slice):
            super().visit_Getitem(node, frame)
            return
        self.write("environment.bounded_slice(")
        self.visit(node.node, frame)
        for part in (node.arg.start, node.arg.stop, node.arg.step):
            self.write(", ")
            if part is None:
                self.write("None")
            else:
                self.visit(part, frame)
        self.write(")")


def _bounded_output(value: Any) -> Any:
    """``{{ value }}``: printing lists that share one big string would build it many times."""
    _charge(size_of(value), "printed text")
    return value


class ChatTemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, measuring what each operator, call, filter, join, slice and
    output would build before it is built."""

    code_generator_class = _BoundedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(finalize=_bounded_output, **options)
        self.filters = {name: _bounded_filter(name, func) for name, func in self.filters.items()}
        # lipsum(n) writes n paragraphs; no chat template needs placeholder text.
        self.globals.pop("lipsum", None)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(times, int) and not isinstance(seq, int | float):
                    _charge(size_of(seq) * max(times, 0), "a repetition")
            if isinstance(left, int) and isinstance(right, int):
                _charge(left.bit_length() + right.bit_length(), "a product's bits")
        elif operator == "**":
            if isinstance(left, int) and isinstance(right, int) and right > 0:
                _charge(abs(left).bit_length() * right, "a power's bits")
        elif operator == "+":
            if not isinstance(left, int | float) or not isinstance(right, int | float):
                _charge(size_of(left) + size_of(right), "a sum")
        elif operator == "%" and isinstance(left, str):
            _charge(_percent_size(left, right), "a formatted text")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, str):  # "%r" escapes: up to 10 characters for one
            _charge(len(result), "a formatted text")
        elif operator == "+" and isinstance(result, int):
            _charge(result.bit_length() // 3 + 1, "a sum")
        return result

    def call(__self, __context: Any, __obj: Any, *args: Any,  # noqa: N805 (Jinja's signature)
             **kwargs: Any) -> Any:
        estimated = False
        if isinstance(__obj, types.BuiltinMethodType) and isinstance(
                getattr(__obj, "__self__", None), str | bytes):
            if __obj.__name__ == "join" and args and not isinstance(args[0], list | tuple):
                args = (list(args[0]), *args[1:])  # a generator: its items are charged
            if __obj.__name__ == "join" and args:
                size: int | None = _join_size(list(args[0]), __obj.__self__)
            else:
                size = _method_size(__obj, args, kwargs)
            if size is not None:
                _charge(size, f"the result of .{__obj.__name__}()")
                estimated = True
        result = super().call(__context, __obj, *args, **kwargs)
        if not estimated and isinstance(result, str | bytes | list | tuple | dict):
            _charge(size_of(result), "a call's result")
        return result

    def bounded_slice(self, obj: Any, start: Any, stop: Any, step: Any) -> Any:
        cut = slice(start, stop, step)
        if isinstance(obj, str | bytes | list | tuple):
            _charge(len(range(*cut.indices(len(obj)))), "a slice")
        return obj[cut]

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapper = super().wrap_str_format(value)
        if wrapper is None:
            return None
        fmt = value.__self__
        sandboxed = wrapper

        def bounded(*args: Any, **kwargs: Any) -> str:
            mapping = args[0] if value.__name__ == "format_map" and args else kwargs
            _charge(_format_size(fmt, () if mapping is not kwargs else args, mapping),
                    "a formatted text")
            result = sandboxed(*args, **kwargs)
            _charge(len(result), "a formatted text")  # "{!r}" escapes
            return result

        return update_wrapper(bounded, value)

    def bounded_concat(self, join: Callable[[Iterable[Any]], str], parts: tuple[Any, ...]
                       ) -> str:
        _charge(sum(size_of(p) for p in parts), "a joined text (~)")
        return join(parts)


def _resident_bytes(statm: int | None) -> int:
    if statm is None:
        return 0
    return int(os.pread(statm, 64, 0).split()[1]) * os.sysconf("SC_PAGE_SIZE")


def render_bounded(template: Template, seconds: float, **context: Any) -> str:
    """Render, stopping the template past ``seconds``, RENDER_BUILD_LIMIT or the process's
    MEMORY_GROWTH_LIMIT.

    Jinja has no iteration budget, and a thread cannot be killed: a line tracer, set only for
    this render, checks the clock on each line the compiled template (and Jinja) runs, and the
    process's resident memory every 256 lines, and raises into it. It costs a few
    milliseconds on a normal render.
    """
    deadline = time.monotonic() + seconds
    previous = sys.gettrace()
    try:
        statm: int | None = os.open("/proc/self/statm", os.O_RDONLY)
    except OSError:  # not Linux: the size guards and the clock still hold
        statm = None
    ceiling = _resident_bytes(statm) + MEMORY_GROWTH_LIMIT
    lines = 0

    def tracer(frame: types.FrameType, event: str, arg: Any) -> Callable[..., Any] | None:
        nonlocal lines
        if time.monotonic() > deadline:
            raise RenderTooLong
        lines += 1
        if statm is not None and lines % 256 == 0 and _resident_bytes(statm) > ceiling:
            raise RenderTooBig
        return tracer

    _render.built, _render.active = 0, True
    sys.settrace(tracer)
    try:
        return template.render(**context)
    finally:
        sys.settrace(previous)
        _render.active = False
        if statm is not None:
            os.close(statm)
