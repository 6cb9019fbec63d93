"""Settings: IT's system-wide TOML over the user's TOML over defaults, each value's source kept."""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from radval_desktop import paths
from radval_desktop.engine.allowlist import is_valid_digest
from radval_desktop.engine.catalog import CatalogSettings
from radval_desktop.engine.hub_mirror import HubSettings
from radval_desktop.engine.llama_engine import EngineSettings
from radval_desktop.engine.sampling import Sampling
from radval_desktop.errors import SENTENCES, ConfigError, Words, sentence

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "default"


@dataclass(frozen=True)
class Option:
    type: type
    default: Any
    help: str


# Every setting a user or IT may write, "section.key" -> its type, default and why.
OPTIONS: dict[str, Option] = {
    "model.path": Option(str, "", sentence(
        "SettingHelp", "GGUF file to draft with; empty = the embedded default model")),
    "model.sha256": Option(str, "", sentence(
        "SettingHelp", "IT's pin: the model file must have this sha256")),
    # A list, not one pin: IT approves the default and the hospital's fine-tuned models.
    "model.allowed_sha256": Option(tuple, (), sentence(
        "SettingHelp", "IT's allowlist of model sha256 values; a model not on it is refused; "
                       "empty = no allowlist")),
    "model.n_gpu_layers": Option(int, EngineSettings.n_gpu_layers, sentence(
        "SettingHelp", "-1 = all layers on the GPU")),
    "model.n_threads": Option(int, EngineSettings.n_threads, sentence(
        "SettingHelp", "0 = generate on all cores but one (max 8) and read each prompt on the "
                       "cores idle then")),
    "model.n_ctx": Option(int, EngineSettings.n_ctx, sentence(
        "SettingHelp", "context size in tokens")),
    "model.bf16_copy": Option(bool, EngineSettings.bf16_copy, sentence(
        "SettingHelp", "on a CPU with BF16 arithmetic, read a small quantized model from a "
                       "BF16 copy in memory (faster prompts, ~2.6x the model's RAM); false = "
                       "the file as it is")),
    # Issue 11: one base model serves several institutions' styles through LoRA adapters.
    "model.adapter": Option(str, "", sentence(
        "SettingHelp", "GGUF LoRA adapter applied on top of the model (one per institution, "
                       "exported by training/); empty = none")),
    "models.folders": Option(tuple, (), sentence(
        "SettingHelp", "folders listed in the Models view; empty = the models folder in RadVal's"
                       " data folder")),
    # Issue 11: only IT opens the network, by naming its mirror; empty = nothing is fetched.
    "hub.endpoint": Option(str, "", sentence(
        "SettingHelp", "the hospital's Hugging Face mirror URL, read from IT's system file only;"
                       " empty = no downloads and no network")),
    "hub.cache": Option(str, "", sentence(
        "SettingHelp", "a pre-seeded Hugging Face cache folder IT copies to each workstation; "
                       "its GGUF files are listed and used offline")),
    "hub.files": Option(tuple, (), sentence(
        "SettingHelp", "files IT offers for download: owner/repo/file.gguf; read from IT's "
                       "system file only; empty = any file of IT's mirror")),
    "hub.revision": Option(str, "main", sentence(
        "SettingHelp", "branch, tag or commit of the mirror's repos, read from IT's system file "
                       "only")),
    # Issue 18: a server named here is sent the findings of `radval batch --server NAME`;
    # only IT may name one, as only IT names the mirror.
    "batch.servers": Option(dict, {}, sentence(
        "SettingHelp", "OpenAI-compatible servers `radval batch --server` may use, name = base "
                       "URL; read from IT's system file only")),
    "sampling.temperature": Option(float, Sampling.temperature, sentence(
        "SettingHelp", "0 = greedy, same draft each time")),
    "sampling.top_k": Option(int, Sampling.top_k, sentence(
        "SettingHelp", "paper §3.4")),
    "sampling.top_p": Option(float, Sampling.top_p, sentence(
        "SettingHelp", "paper §3.4")),
    "sampling.repeat_penalty": Option(float, Sampling.repeat_penalty, sentence(
        "SettingHelp", "> 1 discourages loops")),
    "sampling.max_tokens": Option(int, Sampling.max_tokens, sentence(
        "SettingHelp", "paper §3.4: max new tokens")),
    "sampling.seed": Option(int, Sampling.seed, sentence(
        "SettingHelp", "seed for non-greedy sampling")),
    "drafting.template": Option(str, "", sentence(
        "SettingHelp", "prompt template id; empty = the model card's (a fine-tuned model's "
                       "training prompt), else the file's default")),
    "drafting.language": Option(str, "auto", sentence(
        "SettingHelp", "auto, en or zh")),
    # On since issue 15: the department's own past reports are the strongest lever measured
    # (bench/quality.py, README "Drafting quality"), and the corpus holds only what the user
    # imported or copied. SPEC §3's "when the user turns it on" stays a switch: 0 = off
    # (the Draft tab's "Use past examples", or IT's lock); then starter examples are used.
    "drafting.examples": Option(int, 3, sentence(
        "SettingHelp", "retrieved past examples per prompt; 0 = off")),
    "drafting.examples_chars": Option(int, 1500, sentence(
        "SettingHelp", "most characters of examples per prompt (~600-1,200 tokens, room left in "
                       "a 4,096 context)")),
    "safety.enabled": Option(bool, True, sentence(
        "SettingHelp", "check each impression against its findings before Copy (side, negation, "
                       "missed, unsupported)")),
    "history.enabled": Option(bool, True, sentence(
        "SettingHelp", "keep every draft in the local history")),
    "history.retention_days": Option(int, 90, sentence(
        "SettingHelp", "drafts older than this are deleted; 0 = forever")),
    # Issue 20: the paper's radiologists read Chinese; the system's locale decides unless the
    # user or IT (for a whole department) chose. Read when the window starts.
    "ui.language": Option(str, "auto", sentence(
        "SettingHelp", "window language: auto (the system's), en or zh_CN; takes effect at the "
                       "next start")),
}


# Keys Settings.hub() takes from IT's file only: each decides what the workstation fetches.
IT_ONLY = ("hub.endpoint", "hub.files", "hub.revision", "batch.servers")


@dataclass(frozen=True)
class Settings:
    values: dict[str, Any]
    sources: dict[str, str]  # key -> "default" or the file the value came from
    locked: frozenset[str]  # keys IT fixed in the system file
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # Issue 17: IT's file exists but cannot be read or parsed. Its locks are unknown, so
    # nothing may draft (fail closed); the sentence says why and how to fix it.
    system_error: str = ""
    # The same as a template and values, for the window's (and the self-test's) language.
    system_error_words: Words | None = None
    # The same warnings as templates and values, for the window's (and self-test's) language.
    warning_words: tuple[Words, ...] = field(default_factory=tuple)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def check_system_file(self) -> None:
        """Raise the sentence when IT's file is unreadable: no model may load then."""
        if self.system_error_words is not None:
            words = self.system_error_words
            raise ConfigError(words.template, **dict(words.values))
        if self.system_error:
            raise ConfigError(self.system_error)

    def engine(self) -> EngineSettings:
        return EngineSettings(
            n_ctx=self["model.n_ctx"],
            n_gpu_layers=self["model.n_gpu_layers"],
            n_threads=self["model.n_threads"],
            bf16_copy=self["model.bf16_copy"],
            expected_sha256=self["model.sha256"] or None,
            allowed_sha256=self["model.allowed_sha256"],
            adapter_path=self["model.adapter"] or None,
        )

    def catalog(self) -> CatalogSettings:
        """What the Models view and `radval models` scan (issue 11)."""
        configured = self["model.path"]
        return CatalogSettings(
            folders=tuple(Path(f).expanduser() for f in self["models.folders"])
            or (paths.models_dir(),),
            n_ctx=self["model.n_ctx"],
            n_gpu_layers=self["model.n_gpu_layers"],
            allowed_sha256=self["model.allowed_sha256"],
            configured_model=Path(configured).expanduser() if configured else None,
            configured_source="set by IT" if "model.path" in self.locked else "settings",
            hub_cache=Path(self["hub.cache"]).expanduser() if self["hub.cache"] else None,
            hub_online=self.hub().downloads_enabled,
        )

    def hub(self) -> HubSettings:
        """IT's mirror: what it serves, which files and which revision come from IT's file
        only (the user's would let anyone point the workstation at any server, file or
        unreviewed branch); the cache folder may come from either."""
        def it(key: str) -> Any:
            return self[key] if key in self.locked else OPTIONS[key].default

        cache = self["hub.cache"]
        return HubSettings(endpoint=it("hub.endpoint"),
                           cache=Path(cache).expanduser() if cache else None,
                           files=it("hub.files"), revision=it("hub.revision") or "main")

    def servers(self) -> dict[str, str]:
        """IT's serving engines, name -> base URL (no trailing slash); {} = none allowed."""
        if "batch.servers" not in self.locked:
            return {}
        return {name: url.rstrip("/") for name, url in self["batch.servers"].items()}

    def sampling(self) -> Sampling:
        return Sampling(
            temperature=self["sampling.temperature"],
            top_k=self["sampling.top_k"],
            top_p=self["sampling.top_p"],
            repeat_penalty=self["sampling.repeat_penalty"],
            max_tokens=self["sampling.max_tokens"],
            seed=self["sampling.seed"],
        )


def _parse(path: Path) -> dict[str, Any] | None:
    """The file's tables; None when there is no file. A UTF-8 BOM (Notepad writes one) is
    accepted. Raises OSError, UnicodeDecodeError or TOMLDecodeError when it cannot be read."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return None
    return tomllib.loads(data.decode("utf-8-sig"))


def _warn(warnings: list[Words], template: str, **values: object) -> None:
    """A warning kept as its template and values: English for the log and the CLI, the
    window's language on screen."""
    warnings.append(Words(SENTENCES, template, tuple(values.items())))


def _flatten(path: Path, raw: dict[str, Any], warnings: list[Words]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for section, table in raw.items():
        if not isinstance(table, dict):
            _warn(warnings, sentence("RadvalError", "{path}: '{section}' is not a [section]; "
                                     "ignored."), path=path, section=section)
            continue
        for key, value in table.items():
            flat[f"{section}.{key}"] = value
    return flat


def _read(path: Path, warnings: list[Words]) -> dict[str, Any]:
    """The user's file: one that cannot be read is ignored with a warning."""
    try:
        raw = _parse(path)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        _warn(warnings, sentence("RadvalError", "The settings file {path} cannot be read and is "
                                 "ignored: {error}."), path=path, error=err)
        return {}
    return _flatten(path, raw, warnings) if raw is not None else {}


def _read_system(path: Path, warnings: list[Words]) -> tuple[dict[str, Any], Words | None]:
    """IT's file and, when it exists but cannot be read, the sentence that locks drafting.

    Ignoring it, as the user's file is, would drop IT's allowlist, pin and locked model: a
    typo or a permission change would unlock everything (issue 17).
    """
    try:
        raw = _parse(path)
    except OSError as err:
        reason = err.strerror or str(err)
        return {}, _locked_sentence(
            path, _said(sentence("Settings", "cannot be read ({reason})"), reason=reason),
            _said(sentence("Settings", "make it readable by every user (chmod 644)")))
    except UnicodeDecodeError:
        return {}, _locked_sentence(path, _said(sentence("Settings", "is not UTF-8 text")),
                                    _said(sentence("Settings", "save it as UTF-8")))
    except tomllib.TOMLDecodeError as err:
        fix = _said(sentence("Settings", "correct it"))
        if "\\" in path.read_text(encoding="utf-8-sig", errors="replace"):
            # TOML reads "C:\Users" as escapes; a Windows path needs one of these forms.
            fix = _said(sentence("Settings", "write Windows paths in single quotes "
                                 "('C:\\models\\a.gguf') or with forward slashes "
                                 "(\"C:/models/a.gguf\")"))
        return {}, _locked_sentence(path, _said(sentence("Settings", "is not valid TOML "
                                                         "({error})"), error=err), fix)
    return (_flatten(path, raw, warnings) if raw is not None else {}), None


def _said(template: str, **values: object) -> Words:
    """A piece of the locked sentence, for the window's translation."""
    return Words(SETTINGS_CONTEXT, template, tuple(values.items()))


# lupdate's context for the pieces, marked sentence("Settings", …) where _said is called.
SETTINGS_CONTEXT = "Settings"


def _locked_sentence(path: Path, problem: Words, fix: Words) -> Words:
    return Words("RadvalError", sentence(
        "RadvalError", "IT's settings file {path} {problem}, so no model is loaded until it is "
        "fixed: {fix}. Tell your IT department."),
        (("path", path), ("problem", problem), ("fix", fix)))


# What each setting's type is called in a warning: words IT reads, not Python's names.
_TYPE_WORDS = {int: sentence("Settings", "a whole number"), float: sentence("Settings", "a number"),
               str: sentence("Settings", "text"), bool: sentence("Settings", "true or false")}


def _coerce(key: str, value: Any, source: Path, warnings: list[Words]) -> tuple[bool, Any]:
    option = OPTIONS.get(key)
    if option is None:
        _warn(warnings, sentence("RadvalError", "{source}: unknown setting '{key}' ignored."),
              source=source, key=key)
        return False, None
    if option.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if option.type is tuple:  # TOML arrays of strings (the allowlist)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            _warn(warnings, sentence("RadvalError", "{source}: '{key}' should be a list of "
                                     "strings, not {value!r}; default used."),
                  source=source, key=key, value=value)
            return False, None
        digests = key == "model.allowed_sha256"
        bad = [v for v in value if digests and not is_valid_digest(v)]
        if bad:  # kept: they match no file, so a typo refuses models rather than allowing them
            _warn(warnings, sentence("RadvalError", "{source}: {bad} in '{key}' are not sha256 "
                                     "values (64 hex digits)."), source=source, bad=bad, key=key)
        return True, tuple(value)
    if option.type is dict:  # a TOML table of names -> URLs (IT's servers)
        return _servers(key, value, source, warnings)
    if not isinstance(value, option.type) or (option.type is int and isinstance(value, bool)):
        _warn(warnings, sentence("RadvalError", "{source}: '{key}' should be {kind}, not "
                                 "{value!r}; default used."), source=source, key=key,
              kind=Words("Settings", _TYPE_WORDS[option.type]), value=value)
        return False, None
    return True, value


def _servers(key: str, value: Any, source: Path, warnings: list[Words]) -> tuple[bool, Any]:
    if not isinstance(value, dict):
        _warn(warnings, sentence("RadvalError", "{source}: '{key}' should be a table of name = "
                                 "\"URL\", not {value!r}; no server is used."),
              source=source, key=key, value=value)
        return False, None
    kept: dict[str, str] = {}
    for name, url in value.items():
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            _warn(warnings, sentence("RadvalError", "{source}: the server {name} = {url!r} in "
                                     "'{key}' is not an http or https URL; it is not used."),
                  source=source, name=name, url=url, key=key)
            continue
        kept[name] = url
    return True, kept


def load_settings(system_file: Path | None = None, user_file: Path | None = None) -> Settings:
    system_file = system_file or paths.system_config_file()
    user_file = user_file or paths.user_config_file()
    warnings: list[Words] = []
    values = {key: option.default for key, option in OPTIONS.items()}
    sources = dict.fromkeys(OPTIONS, DEFAULT_SOURCE)
    locked: set[str] = set()
    system_values, system_words = _read_system(system_file, warnings)
    system_error = str(system_words) if system_words is not None else ""
    user_values = _read(user_file, warnings)
    ignored = [key for key in IT_ONLY if key in user_values]
    if len(ignored) == 1:
        _warn(warnings, sentence("RadvalError", "{file}: '{key}' is read from IT's settings file "
                                 "only; ignored here."), file=user_file, key=ignored[0])
    elif ignored:
        _warn(warnings, sentence("RadvalError", "{file}: {keys} and '{last}' are read from IT's "
                                 "settings file only; ignored here."), file=user_file,
              keys=", ".join(f"'{key}'" for key in ignored[:-1]), last=ignored[-1])
    for path, is_system, read in ((user_file, False, user_values),
                                  (system_file, True, system_values)):
        for key, value in read.items():
            ok, value = _coerce(key, value, path, warnings)
            if ok:
                values[key], sources[key] = value, str(path)
                if is_system:
                    locked.add(key)
    for warning in warnings:
        log.warning("%s", warning)
    # system_error is not logged here: whoever refuses to load says it, once (the window in
    # its log and on screen, the CLI on stderr, the self-test in its report).
    return Settings(values, sources, frozenset(locked), tuple(str(w) for w in warnings),
                    system_error, system_words, warning_words=tuple(warnings))


# TOML basic strings allow no control character but tab: each is written as an escape.
_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
                 "\r": "\\r"}
_TOML_ESCAPES.update({chr(c): f"\\u{c:04X}" for c in (*range(0x20), 0x7F)
                      if chr(c) not in _TOML_ESCAPES})
_TOML_TRANSLATION = str.maketrans(_TOML_ESCAPES)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_value(str(k))} = {_toml_value(v)}"
                               for k, v in value.items()) + "}"
    return '"' + str(value).translate(_TOML_TRANSLATION) + '"'


def _not_text(value: Any) -> bool:
    """A value with a lone surrogate (a paste from some programs, a file name in a foreign
    encoding) has no UTF-8 form: no TOML file can hold it."""
    items = value if isinstance(value, tuple | list) else (value,)
    try:
        for item in items:
            str(item).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _as_read(value: Any) -> Any:
    """A value as tomllib gives it back: arrays are lists."""
    return list(value) if isinstance(value, tuple) else value


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)


def save_user_settings(settings: Settings, changes: dict[str, Any], user_file: Path | None = None
                       ) -> Settings:
    """Write ``changes`` into the user's file; a key IT locked is refused with a sentence."""
    user_file = user_file or paths.user_config_file()
    for key in changes:
        if key in settings.locked:
            raise ConfigError(
                sentence("RadvalError",
                         "'{key}' is set by IT in {sources} and cannot be changed here."),
                key=key, sources=settings.sources[key]
            )
        if key not in OPTIONS:
            raise ConfigError(sentence("RadvalError",
                                       "There is no setting '{key}'."),
                              key=key)
        if _not_text(changes[key]):
            raise ConfigError(sentence("RadvalError",
                                       "The value for '{key}' holds a character that is not text "
                                       "(a lone surrogate), so it was not saved; type it again."),
                              key=key)
    current = {k: v for k, v in _read(user_file, []).items() if k in OPTIONS}
    current.update(changes)
    sections: dict[str, list[str]] = {}
    for key, value in sorted(current.items()):
        section, name = key.split(".", 1)
        sections.setdefault(section, []).append(f"{name} = {_toml_value(value)}")
    text = "\n\n".join(f"[{s}]\n" + "\n".join(lines) for s, lines in sections.items()) + "\n"
    # Read back before it replaces the file: a value TOML cannot hold must be refused here,
    # not found at the next start with every setting ignored.
    written = _flatten(user_file, tomllib.loads(text), [])
    if any(not _same(written.get(key), _as_read(value)) for key, value in changes.items()):
        raise ConfigError(sentence("RadvalError",
                                   "The settings could not be written so that they read back the "
                                   "same; {user_file} was not changed."),
                          user_file=user_file)
    tmp = user_file.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.chmod(tmp, 0o600)
    os.replace(tmp, user_file)
    system_file = Path(next((s for s in settings.sources.values() if s != DEFAULT_SOURCE
                             and s != str(user_file)), str(paths.system_config_file())))
    return load_settings(system_file if system_file.is_file() else None, user_file)


def resolve_model_path(settings: Settings, override: str | None = None) -> tuple[Path, str]:
    """The GGUF to load and where that choice came from.

    IT's system file wins over everything; then an explicit override (CLI --model), the
    user's file, and last the embedded default model.
    """
    from radval_desktop.engine.default_model import default_model_path

    settings.check_system_file()
    configured = settings["model.path"]
    if "model.path" in settings.locked:
        if override and Path(override).resolve() != Path(configured).resolve():
            raise ConfigError(
                sentence("RadvalError",
                         "IT fixed the model to {configured} in {sources}; another model cannot "
                         "be chosen here."),
                configured=configured, sources=settings.sources['model.path']
            )
        return Path(configured).expanduser(), settings.sources["model.path"]
    if override:
        return Path(override).expanduser(), "command line"
    if configured:
        return Path(configured).expanduser(), settings.sources["model.path"]
    return default_model_path(), "embedded default model"
