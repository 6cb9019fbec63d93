"""`radval --self-test`: what IT runs after installing — model, one fixed draft, database, fonts."""

from __future__ import annotations

import importlib.util
import sys
import time
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from radval_desktop import __version__, paths
from radval_desktop.catalogue import Translate, cli_language, render, translator
from radval_desktop.config import Settings, load_settings, resolve_model_path
from radval_desktop.drafting import MAX_RETRIES, DraftRequest, draft
from radval_desktop.engine.allowlist import ALLOWLIST_KEY, is_allowed
from radval_desktop.engine.backends import llama_build
from radval_desktop.engine.llama_engine import LlamaEngine
from radval_desktop.engine.sealed_file import SealedFile
from radval_desktop.errors import SENTENCES, RadvalError, Words, sentence
from radval_desktop.safety.checks import Flag

# One short chest CT (SPEC §2's kind of input): Chinese, so the tokenizer, the template and
# the CJK path are all exercised. Greedy, so the same install gives the same draft.
FINDINGS = ("双肺纹理清晰，右肺上叶胸膜下可见片状磨玻璃影，边界欠清。"
            "纵隔未见肿大淋巴结。双侧胸腔未见积液。")
BODY_SYSTEM, MODALITY, LANGUAGE = "chest", "CT", "zh"
# Enough for a one-line impression; keeps the test near a second on a 0.5B model.
MAX_TOKENS = 96
# ui/fonts.py registers this file; duplicated here because the self-test must not import Qt.
CJK_FONT = "wqy-microhei.ttc"
_QT_PLATFORM = {"linux": "libqxcb.so", "win32": "qwindows.dll", "darwin": "libqcocoa.dylib"}

EXIT_OK, EXIT_FAILED = 0, 1
# lupdate's context for the self-test's texts: the CLI translates them with catalogue.py.
SELF_TEST = "SelfTest"
# The checks' names, as IT reads them; the English name is the check's key.
NAMES = {"version": sentence("SelfTest", "version"), "settings": sentence("SelfTest", "settings"),
         "llama.cpp": sentence("SelfTest", "llama.cpp"), "cpu": sentence("SelfTest", "cpu"),
         "model": sentence("SelfTest", "model"), "sha256": sentence("SelfTest", "sha256"),
         "allowlist": sentence("SelfTest", "allowlist"), "load": sentence("SelfTest", "load"),
         "device": sentence("SelfTest", "device"), "draft": sentence("SelfTest", "draft"),
         "database": sentence("SelfTest", "database"), "fonts": sentence("SelfTest", "fonts"),
         "Qt": sentence("SelfTest", "Qt"), "checks": sentence("SelfTest", "checks")}
_NAME_WIDTH = 10  # columns: a Chinese character takes two


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: information, never fails the test
    detail: str  # the English (the tests, the log)
    warn: bool = False  # information IT must act on: the verdict names it
    # The detail as a template of ``context`` and its values, for IT in Chinese too; a detail
    # given without values (a path, a digest, llama.cpp's own words) is shown as it is.
    template: str = ""
    values: tuple[tuple[str, object], ...] = ()
    context: str = SELF_TEST

    def text(self, translate: Translate) -> str:
        if not self.template:
            return self.detail
        return render(translate, self.context, self.template, self.values)


def _english(context: str, text: str) -> str:
    return text


def _padded(name: str, width: int = _NAME_WIDTH) -> str:
    wide = sum(unicodedata.east_asian_width(c) in "WF" for c in name)
    return name + " " * max(1, width - len(name) - wide)


@dataclass
class SelfTestReport:
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.ok is False]

    @property
    def passed(self) -> bool:
        return not self.failed

    def add(self, name: str, ok: bool | None, detail: str, warn: bool = False,
            values: Mapping[str, object] | None = None, context: str = SELF_TEST) -> None:
        """``detail`` is a sentence() template when ``values`` are given (``{}`` for none)."""
        if values is None:
            self.checks.append(Check(name, ok, detail, warn))
            return
        self.checks.append(Check(name, ok, detail.format(**values) if values else detail,
                                 warn, detail, tuple(values.items()), context))

    def add_error(self, name: str, ok: bool | None, err: BaseException) -> None:
        """A RadvalError's sentence, translated as the window translates it."""
        if isinstance(err, RadvalError):
            self.add(name, ok, err.template, values=err.values, context=SENTENCES)
        else:
            self.add(name, ok, str(err))

    def lines(self, translate: Translate = _english) -> list[str]:
        """The report in the language of ``translate`` (catalogue.translator or, in the
        window, QCoreApplication.translate); the marks ok/FAIL/WARN stay, for grep."""
        mark = {True: "ok  ", False: "FAIL", None: "    "}

        def name(key: str) -> str:
            return translate(SELF_TEST, NAMES[key]) if key in NAMES else key

        def names(checks: Iterable[Check]) -> str:
            return translate(SELF_TEST, sentence("SelfTest", ", ")).join(
                name(c.name) for c in checks)

        out = [render(translate, SELF_TEST, sentence("SelfTest", "RadVal self-test ({when})"),
                      {"when": time.strftime("%Y-%m-%d %H:%M")})]
        out += [f"  {'WARN' if c.warn else mark[c.ok]} {_padded(name(c.name))}"
                f"{c.text(translate)}" for c in self.checks]
        warned = [c for c in self.checks if c.warn]
        values: dict[str, object] = {"seconds": self.seconds}
        if self.passed and warned:
            # The installation works; what the model drafts is for IT to see, not to hide.
            verdict = sentence("SelfTest", "PASS, with a warning: RadVal runs on this "
                               "workstation, but see {names} ({seconds:.1f} s).")
            values["names"] = names(warned)
        elif self.passed:
            verdict = sentence("SelfTest", "PASS: RadVal is ready to draft on this workstation "
                               "({seconds:.1f} s).")
        else:
            verdict = sentence("SelfTest", "FAIL: {names}: see the lines marked FAIL "
                               "({seconds:.1f} s).")
            values["names"] = names(self.failed)
        out.append(render(translate, SELF_TEST, verdict, values))
        return out


def _one_line(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _version(report: SelfTestReport) -> None:
    if getattr(sys, "frozen", False):
        report.add("version", None, sentence("SelfTest", "RadVal {version}, installed app "
                                             "{folder}"),
                   values={"version": __version__,
                           "folder": Path(sys.executable).resolve().parent})
    else:
        report.add("version", None, sentence("SelfTest", "RadVal {version}, from source, "
                                             "Python {python} at {executable}"),
                   values={"version": __version__, "python": sys.version.split()[0],
                           "executable": sys.executable})


def _check_settings(report: SelfTestReport, settings: Settings) -> None:
    system_file = paths.system_config_file()
    it_keys = sorted(settings.locked)
    problems = [w for w in settings.warning_words if str(system_file) in str(w)]
    words = settings.system_error_words
    if words is not None:  # issue 17: fails closed; the model check says so too
        report.add("settings", False, words.template, values=dict(words.values),
                   context=words.context)
    elif settings.system_error:
        report.add("settings", False, settings.system_error)
    elif problems:
        report.add("settings", False, problems[0].template, values=dict(problems[0].values),
                   context=problems[0].context)
    elif it_keys:
        report.add("settings", True, sentence("SelfTest", "{file} sets {keys}"),
                   values={"file": system_file, "keys": ", ".join(it_keys)})
    elif system_file.is_file():
        report.add("settings", None, sentence("SelfTest", "IT's {file} sets nothing: defaults "
                                              "apply"), values={"file": system_file})
    else:
        report.add("settings", None, sentence("SelfTest", "IT's {file} is absent: defaults "
                                              "apply"), values={"file": system_file})


def _check_database(report: SelfTestReport, settings: Settings) -> None:
    from radval_desktop.store.database import database_path, open_database, store_errors

    path = database_path()
    history = settings["history.enabled"]
    try:
        db = open_database(path)
        try:
            with store_errors(path):
                # A write that is rolled back: proves the file, its journal and the folder
                # take writes without leaving anything in the history.
                db.execute("BEGIN IMMEDIATE")
                db.execute("CREATE TABLE radval_self_test (x)")
                db.execute("ROLLBACK")
        finally:
            db.close()
    except (RadvalError, OSError) as err:
        # With history off nothing is written on a draft; the examples corpus is optional.
        report.add_error("database", False if history else None, err)
        return
    days = settings["history.retention_days"]
    if not history:
        template = sentence("SelfTest", "{path} writable (history off)")
    elif days:
        template = sentence("SelfTest", "{path} writable (history on, kept {days} days)")
    else:
        template = sentence("SelfTest", "{path} writable (history on, kept forever)")
    report.add("database", True, template, values={"path": path, "days": days})


def _check_files(report: SelfTestReport) -> None:
    try:
        font = paths.resources_dir() / "fonts" / CJK_FONT
    except FileNotFoundError as err:
        report.add_error("fonts", False, err)
        return
    report.add("fonts", font.is_file(), sentence("SelfTest", "{path} present")
               if font.is_file() else sentence("SelfTest", "{path} MISSING"),
               values={"path": font})
    plugin = _QT_PLATFORM.get(sys.platform)
    spec = importlib.util.find_spec("PySide6")
    if plugin is None or spec is None or not spec.submodule_search_locations:
        report.add("Qt", False, sentence("SelfTest", "PySide6 is missing: the window cannot "
                                         "open"), values={})
        return
    found = next((p for base in spec.submodule_search_locations
                  if (p := Path(base) / "Qt" / "plugins" / "platforms" / plugin).is_file()), None)
    report.add("Qt", found is not None,
               sentence("SelfTest", "display plugin {path}") if found else
               sentence("SelfTest", "display plugin {path} MISSING"),
               values={"path": found or plugin})


# Where resolve_model_path found the model, when not a settings file: said in IT's language.
_MODEL_SOURCES = {"command line": sentence("SelfTest", "command line"),
                  "embedded default model": sentence("SelfTest", "embedded default model")}


def _check_model(report: SelfTestReport, settings: Settings, model: str | None
                 ) -> tuple[LlamaEngine, SealedFile] | None:
    try:
        path, where = resolve_model_path(settings, model)
    except RadvalError as err:
        report.add_error("model", False, err)
        return None
    source = Words("SelfTest", _MODEL_SOURCES[where]) if where in _MODEL_SOURCES else where
    if not path.is_file():
        report.add("model", False, sentence("SelfTest", "{path} ({source}) does not exist"),
                   values={"path": path, "source": source})
        return None
    try:
        # The digest of the bytes the load will use, hashed once for both: never the cache,
        # which is the user's own file (issue 17).
        model_file = SealedFile(path, "model file")
    except RadvalError as err:
        report.add_error("model", False, err)
        return None
    report.add("model", True, sentence("SelfTest", "{path} ({source}, {mb:,.0f} MB)"),
               values={"path": path, "source": source, "mb": model_file.size / 1e6})
    digest = model_file.sha256
    pin = settings["model.sha256"]
    if pin:
        report.add("sha256", digest == pin.lower(), sentence("SelfTest", "{digest} (IT's pin "
                                                             "{pin}…)"),
                   values={"digest": digest, "pin": pin[:12]})
    else:
        report.add("sha256", None, digest)
    allowed = is_allowed(digest, settings)
    count = len(settings[ALLOWLIST_KEY])
    report.add("allowlist", allowed, {
        None: sentence("SelfTest", "no allowlist set by IT (model.allowed_sha256): any model "
                       "loads"),
        True: sentence("SelfTest", "on IT's list of approved models ({count} approved)"),
        False: sentence("SelfTest", "NOT on IT's list of approved models ({count} approved): "
                        "it is refused"),
    }[allowed], values={"count": count})
    return LlamaEngine(path, settings.engine()), model_file


def run_self_test(settings: Settings | None = None, model: str | None = None
                  ) -> SelfTestReport:
    """Run every check (none raises); the report says what passed and what failed."""
    start = time.perf_counter()
    report = SelfTestReport()
    _version(report)
    settings = settings or load_settings()
    _check_settings(report, settings)
    try:
        build = llama_build()
        report.add("llama.cpp", True, sentence("SelfTest", "{version}, {explain}"),
                   values={"version": build.package_version, "explain": build.explain_words()})
        report.add("cpu", None, _one_line(build.system_info))
    except (RadvalError, OSError) as err:
        report.add_error("llama.cpp", False, err)
    checked = _check_model(report, settings, model)
    if checked is not None:
        engine, model_file = checked
        with model_file:
            _check_load_and_draft(report, engine, settings, model_file)
    _check_database(report, settings)
    _check_files(report)
    report.seconds = time.perf_counter() - start
    return report


def _check_load_and_draft(report: SelfTestReport, engine: LlamaEngine, settings: Settings,
                          model_file: SealedFile) -> None:
    try:
        info = engine.load(model_file)
    except RadvalError as err:
        report.add_error("load", False, err)
        return
    try:
        report.add("load", True, sentence("SelfTest", "{name} in {seconds:.2f} s, 1 thread")
                   if info.threads == 1 else
                   sentence("SelfTest", "{name} in {seconds:.2f} s, {threads} threads"),
                   # By file and quantization, as the status bar (issue 19): the default
                   # file's header calls it "...Instruct AWQ", and it is Q4_K_M.
                   values={"name": info.label or info.name, "seconds": info.load_seconds,
                           "threads": info.threads})
        device = info.device
        if device.template:
            report.add("device", None, device.template, values=dict(device.values),
                       context="Device")
        else:
            report.add("device", None, device.describe())
        sampling = replace(settings.sampling(), temperature=0.0,
                           max_tokens=min(MAX_TOKENS, settings["sampling.max_tokens"]))
        request = DraftRequest(FINDINGS, BODY_SYSTEM, MODALITY, LANGUAGE)
        try:
            result = draft(engine, request, sampling)
        except RadvalError as err:
            report.add_error("draft", False, err)
            return
        # The window's own pipeline: a fresh install drafts with the starter examples.
        speed = Words(SELF_TEST, sentence("SelfTest", "{tokens} tokens, {rate:.0f} tok/s, "
                                          "{examples} {source} examples"),
                      (("tokens", result.completion_tokens),
                       ("rate", result.tokens_per_second), ("examples", len(result.examples)),
                       ("source", Words(SELF_TEST, _SOURCES.get(result.example_source,
                                                                result.example_source)))))
        message = Words(SENTENCES, result.message_template or result.message,
                        result.message_values)
        if result.ok and result.text.strip():
            report.add("draft", True, sentence("SelfTest", "{seconds:.2f} s, {speed}: {text}"),
                       values={"seconds": result.total_seconds, "speed": speed,
                               "text": _one_line(result.text, 60)})
            add_draft_flags(report, result.flags)
        elif len(result.attempts) == MAX_RETRIES + 1 and result.completion_tokens:
            # The model ran and wrote; the guards refused what it wrote. The install works:
            # what it drafts is the model's quality, which IT should see but not as a fault.
            report.add("draft", None, sentence("SelfTest", "the model ran, but its drafts were "
                                               "refused: {message} ({speed})"),
                       warn=True, values={"message": message, "speed": speed})
        else:
            report.add("draft", False, sentence("SelfTest", "{message} ({speed})"),
                       values={"message": message, "speed": speed})
    finally:
        engine.close()


def add_draft_flags(report: SelfTestReport, flags: Sequence[Flag]) -> None:
    """The safety checks' flags on the fixed draft, as the window shows them beside it: an
    "ok" alone hid a draft that called the ground glass "a feature of lung cancer" (the
    package's self-test, 2026-12-01). A warning, not a failure: the install works; what the
    model drafts is for IT to see."""
    if not flags:
        return
    first = flags[0]
    reason: object = Words("FlagReasons", first.template, first.values) if first.template \
        else first.reason
    report.add("checks", None, sentence("SelfTest", "the safety checks flag the draft: "
                                        "{reason} ({count} flag(s))"),
               warn=True, values={"reason": reason, "count": len(flags)})


# Where a draft's examples came from (drafting.CORPUS, STARTER, GIVEN, NONE).
_SOURCES = {"corpus": sentence("SelfTest", "past-report"),
            "starter": sentence("SelfTest", "starter"),
            "given": sentence("SelfTest", "given"), "none": sentence("SelfTest", "no")}


def main(model: str | None = None) -> int:
    """Print the one-screen verdict, in ui.language or the shell's locale; 0 when every
    check passed, else 1."""
    settings = load_settings()
    report = run_self_test(settings, model=model)
    translate = translator(cli_language(settings["ui.language"]))
    for line in report.lines(translate):
        print(line, flush=True)
    return EXIT_OK if report.passed else EXIT_FAILED
