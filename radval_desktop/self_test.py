"""`radval --self-test`: what IT runs after installing — model, one fixed draft, database, fonts."""

from __future__ import annotations

import importlib.util
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from radval_desktop import __version__, paths
from radval_desktop.config import Settings, load_settings, resolve_model_path
from radval_desktop.drafting import MAX_RETRIES, DraftRequest, draft
from radval_desktop.engine.allowlist import ALLOWLIST_KEY, is_allowed
from radval_desktop.engine.backends import llama_build
from radval_desktop.engine.llama_engine import LlamaEngine
from radval_desktop.engine.sealed_file import SealedFile
from radval_desktop.errors import RadvalError

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


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool | None  # None: information, never fails the test
    detail: str
    warn: bool = False  # information IT must act on: the verdict names it


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

    def add(self, name: str, ok: bool | None, detail: str, warn: bool = False) -> None:
        self.checks.append(Check(name, ok, detail, warn))

    def lines(self) -> list[str]:
        mark = {True: "ok  ", False: "FAIL", None: "    "}
        out = [f"RadVal self-test ({time.strftime('%Y-%m-%d %H:%M')})"]
        out += [f"  {'WARN' if c.warn else mark[c.ok]} {c.name:<10} {c.detail}"
                for c in self.checks]
        warned = [c.name for c in self.checks if c.warn]
        if self.passed and warned:
            # The installation works; what the model drafts is for IT to see, not to hide.
            out.append(f"PASS, with a warning: RadVal runs on this workstation, but see "
                       f"{', '.join(warned)} ({self.seconds:.1f} s).")
        elif self.passed:
            out.append(f"PASS: RadVal is ready to draft on this workstation "
                       f"({self.seconds:.1f} s).")
        else:
            names = ", ".join(c.name for c in self.failed)
            out.append(f"FAIL: {names}: see the lines marked FAIL ({self.seconds:.1f} s).")
        return out


def _one_line(text: str, width: int = 90) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _where() -> str:
    if getattr(sys, "frozen", False):
        return f"installed app {Path(sys.executable).resolve().parent}"
    return f"from source, Python {sys.version.split()[0]} at {sys.executable}"


def _check_settings(report: SelfTestReport, settings: Settings) -> None:
    system_file = paths.system_config_file()
    it_keys = sorted(settings.locked)
    problems = [w for w in settings.warnings if str(system_file) in w]
    if settings.system_error:  # issue 17: fails closed; the model check says so too
        report.add("settings", False, settings.system_error)
    elif problems:
        report.add("settings", False, problems[0])
    elif it_keys:
        report.add("settings", True, f"{system_file} sets {', '.join(it_keys)}")
    else:
        state = "sets nothing" if system_file.is_file() else "is absent"
        report.add("settings", None, f"IT's {system_file} {state}: defaults apply")


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
        report.add("database", False if history else None, str(err))
        return
    days = settings["history.retention_days"]
    kept = (f"history on, kept {days} days" if days else "history on, kept forever"
            ) if history else "history off"
    report.add("database", True, f"{path} writable ({kept})")


def _check_files(report: SelfTestReport) -> None:
    try:
        font = paths.resources_dir() / "fonts" / CJK_FONT
    except FileNotFoundError as err:
        report.add("fonts", False, str(err))
        return
    report.add("fonts", font.is_file(), f"{font} {'present' if font.is_file() else 'MISSING'}")
    plugin = _QT_PLATFORM.get(sys.platform)
    spec = importlib.util.find_spec("PySide6")
    if plugin is None or spec is None or not spec.submodule_search_locations:
        report.add("Qt", False, "PySide6 is missing: the window cannot open")
        return
    found = next((p for base in spec.submodule_search_locations
                  if (p := Path(base) / "Qt" / "plugins" / "platforms" / plugin).is_file()), None)
    report.add("Qt", found is not None,
               f"display plugin {found}" if found else f"display plugin {plugin} MISSING")


def _check_model(report: SelfTestReport, settings: Settings, model: str | None
                 ) -> tuple[LlamaEngine, SealedFile] | None:
    try:
        path, source = resolve_model_path(settings, model)
    except RadvalError as err:
        report.add("model", False, str(err))
        return None
    if not path.is_file():
        report.add("model", False, f"{path} ({source}) does not exist")
        return None
    try:
        # The digest of the bytes the load will use, hashed once for both: never the cache,
        # which is the user's own file (issue 17).
        model_file = SealedFile(path, "model file")
    except RadvalError as err:
        report.add("model", False, str(err))
        return None
    report.add("model", True, f"{path} ({source}, {model_file.size / 1e6:,.0f} MB)")
    digest = model_file.sha256
    pin = settings["model.sha256"]
    if pin:
        report.add("sha256", digest == pin.lower(), f"{digest} (IT's pin {pin[:12]}…)")
    else:
        report.add("sha256", None, digest)
    allowed = is_allowed(digest, settings)
    count = len(settings[ALLOWLIST_KEY])
    report.add("allowlist", allowed, {
        None: "no allowlist set by IT (model.allowed_sha256): any model loads",
        True: f"on IT's list of approved models ({count} approved)",
        False: f"NOT on IT's list of approved models ({count} approved): it is refused",
    }[allowed])
    return LlamaEngine(path, settings.engine()), model_file


def run_self_test(settings: Settings | None = None, model: str | None = None
                  ) -> SelfTestReport:
    """Run every check (none raises); the report says what passed and what failed."""
    start = time.perf_counter()
    report = SelfTestReport()
    report.add("version", None, f"RadVal {__version__}, {_where()}")
    settings = settings or load_settings()
    _check_settings(report, settings)
    try:
        build = llama_build()
        report.add("llama.cpp", True, f"{build.package_version}, {build.explain()}")
        report.add("cpu", None, _one_line(build.system_info))
    except (RadvalError, OSError) as err:
        report.add("llama.cpp", False, str(err))
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
        report.add("load", False, str(err))
        return
    try:
        threads = f"{info.threads} thread{'s' if info.threads != 1 else ''}"
        report.add("load", True, f"{info.name} in {info.load_seconds:.2f} s, {threads}")
        report.add("device", None, info.device.describe())
        sampling = replace(settings.sampling(), temperature=0.0,
                           max_tokens=min(MAX_TOKENS, settings["sampling.max_tokens"]))
        request = DraftRequest(FINDINGS, BODY_SYSTEM, MODALITY, LANGUAGE)
        try:
            result = draft(engine, request, sampling)
        except RadvalError as err:
            report.add("draft", False, str(err))
            return
        # The window's own pipeline: a fresh install drafts with the starter examples.
        speed = (f"{result.completion_tokens} tokens, {result.tokens_per_second:.0f} tok/s, "
                 f"{len(result.examples)} {result.example_source} examples")
        if result.ok and result.text.strip():
            report.add("draft", True, f"{result.total_seconds:.2f} s, {speed}: "
                       f"{_one_line(result.text, 60)}")
        elif len(result.attempts) == MAX_RETRIES + 1 and result.completion_tokens:
            # The model ran and wrote; the guards refused what it wrote. The install works:
            # what it drafts is the model's quality, which IT should see but not as a fault.
            report.add("draft", None, f"the model ran, but its drafts were refused: "
                       f"{result.message} ({speed})", warn=True)
        else:
            report.add("draft", False, f"{result.message} ({speed})")
    finally:
        engine.close()


def main(model: str | None = None) -> int:
    """Print the one-screen verdict; 0 when every check passed, else 1."""
    report = run_self_test(model=model)
    for line in report.lines():
        print(line, flush=True)
    return EXIT_OK if report.passed else EXIT_FAILED
