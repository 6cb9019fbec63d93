"""Settings: IT's system-wide TOML over the user's TOML over defaults, each value's source kept."""

from __future__ import annotations

import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radval_desktop import paths
from radval_desktop.engine.llama_engine import EngineSettings
from radval_desktop.engine.sampling import Sampling
from radval_desktop.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_SOURCE = "default"


@dataclass(frozen=True)
class Option:
    type: type
    default: Any
    help: str


# Every setting a user or IT may write, "section.key" -> its type, default and why.
OPTIONS: dict[str, Option] = {
    "model.path": Option(str, "", "GGUF file to draft with; empty = the embedded default model"),
    "model.sha256": Option(str, "", "IT's pin: the model file must have this sha256"),
    "model.n_gpu_layers": Option(int, EngineSettings.n_gpu_layers, "-1 = all layers on the GPU"),
    "model.n_threads": Option(int, EngineSettings.n_threads, "0 = all cores but one (max 8)"),
    "model.n_ctx": Option(int, EngineSettings.n_ctx, "context size in tokens"),
    "sampling.temperature": Option(float, Sampling.temperature, "0 = greedy, same draft each time"),
    "sampling.top_k": Option(int, Sampling.top_k, "paper §3.4"),
    "sampling.top_p": Option(float, Sampling.top_p, "paper §3.4"),
    "sampling.repeat_penalty": Option(float, Sampling.repeat_penalty, "> 1 discourages loops"),
    "sampling.max_tokens": Option(int, Sampling.max_tokens, "paper §3.4: max new tokens"),
    "sampling.seed": Option(int, Sampling.seed, "seed for non-greedy sampling"),
    "drafting.template": Option(str, "", "prompt template id; empty = the file's default"),
    "drafting.language": Option(str, "auto", "auto, en or zh"),
    # SPEC §3: examples go into the prompt "when the user turns it on"; off until then.
    # Off until the user turns it on (SPEC §3). Turned on, k=3 raised R-L 0.034->0.073
    # (medpix, 15 cases) and 0.095->0.230 (openi, 8) in bench/retrieval_quality.py.
    "drafting.examples": Option(int, 0, "retrieved examples per prompt; 0 = off"),
    "drafting.examples_chars": Option(int, 1500, "most characters of examples per prompt "
                                      "(~600-1,200 tokens, room left in a 4,096 context)"),
    "safety.enabled": Option(bool, True, "check each impression against its findings "
                             "before Copy (side, negation, missed, unsupported)"),
    "history.enabled": Option(bool, True, "keep every draft in the local history"),
    "history.retention_days": Option(int, 90, "drafts older than this are deleted; 0 = forever"),
}


@dataclass(frozen=True)
class Settings:
    values: dict[str, Any]
    sources: dict[str, str]  # key -> "default" or the file the value came from
    locked: frozenset[str]  # keys IT fixed in the system file
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def engine(self) -> EngineSettings:
        return EngineSettings(
            n_ctx=self["model.n_ctx"],
            n_gpu_layers=self["model.n_gpu_layers"],
            n_threads=self["model.n_threads"],
            expected_sha256=self["model.sha256"] or None,
        )

    def sampling(self) -> Sampling:
        return Sampling(
            temperature=self["sampling.temperature"],
            top_k=self["sampling.top_k"],
            top_p=self["sampling.top_p"],
            repeat_penalty=self["sampling.repeat_penalty"],
            max_tokens=self["sampling.max_tokens"],
            seed=self["sampling.seed"],
        )


def _read(path: Path, warnings: list[str]) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        warnings.append(f"The settings file {path} cannot be read and is ignored: {err}.")
        return {}
    flat: dict[str, Any] = {}
    for section, table in raw.items():
        if not isinstance(table, dict):
            warnings.append(f"{path}: '{section}' is not a [section]; ignored.")
            continue
        for key, value in table.items():
            flat[f"{section}.{key}"] = value
    return flat


def _coerce(key: str, value: Any, source: Path, warnings: list[str]) -> tuple[bool, Any]:
    option = OPTIONS.get(key)
    if option is None:
        warnings.append(f"{source}: unknown setting '{key}' ignored.")
        return False, None
    if option.type is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, option.type) or (option.type is int and isinstance(value, bool)):
        warnings.append(
            f"{source}: '{key}' should be {option.type.__name__}, not {value!r}; default used."
        )
        return False, None
    return True, value


def load_settings(system_file: Path | None = None, user_file: Path | None = None) -> Settings:
    system_file = system_file or paths.system_config_file()
    user_file = user_file or paths.user_config_file()
    warnings: list[str] = []
    values = {key: option.default for key, option in OPTIONS.items()}
    sources = dict.fromkeys(OPTIONS, DEFAULT_SOURCE)
    locked: set[str] = set()
    for path, is_system in ((user_file, False), (system_file, True)):
        for key, value in _read(path, warnings).items():
            ok, value = _coerce(key, value, path, warnings)
            if ok:
                values[key], sources[key] = value, str(path)
                if is_system:
                    locked.add(key)
    for warning in warnings:
        log.warning(warning)
    return Settings(values, sources, frozenset(locked), tuple(warnings))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def save_user_settings(settings: Settings, changes: dict[str, Any], user_file: Path | None = None
                       ) -> Settings:
    """Write ``changes`` into the user's file; a key IT locked is refused with a sentence."""
    user_file = user_file or paths.user_config_file()
    for key in changes:
        if key in settings.locked:
            raise ConfigError(
                f"'{key}' is set by IT in {settings.sources[key]} and cannot be changed here."
            )
        if key not in OPTIONS:
            raise ConfigError(f"There is no setting '{key}'.")
    current = {k: v for k, v in _read(user_file, []).items() if k in OPTIONS}
    current.update(changes)
    sections: dict[str, list[str]] = {}
    for key, value in sorted(current.items()):
        section, name = key.split(".", 1)
        sections.setdefault(section, []).append(f"{name} = {_toml_value(value)}")
    text = "\n\n".join(f"[{s}]\n" + "\n".join(lines) for s, lines in sections.items()) + "\n"
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

    configured = settings["model.path"]
    if "model.path" in settings.locked:
        if override and Path(override).resolve() != Path(configured).resolve():
            raise ConfigError(
                f"IT fixed the model to {configured} in {settings.sources['model.path']}; "
                "another model cannot be chosen here."
            )
        return Path(configured).expanduser(), settings.sources["model.path"]
    if override:
        return Path(override).expanduser(), "command line"
    if configured:
        return Path(configured).expanduser(), settings.sources["model.path"]
    return default_model_path(), "embedded default model"
