"""llama.cpp's own converters, from the source distribution of the installed llama-cpp-python.

The wheel has no converter and PyPI's `gguf` cannot run it, so `fetch-converter` unpacks
convert_hf_to_gguf.py (with its conversion/ package), convert_lora_to_gguf.py and the
matching gguf-py from the sdist of exactly the installed version into the cache. Only that
fetch uses the network (pip, once; pip's cache makes a second machine set-up quick);
converting runs in a subprocess with that gguf-py first on its path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from radval_desktop import paths
from training.errors import ConverterMissing, TrainingError

PACKAGE = "llama-cpp-python"
FETCH_COMMAND = "python -m training fetch-converter"
MARKER = "converter.json"
# Paths inside vendor/llama.cpp that the two converters need.
_WANTED = ("convert_hf_to_gguf.py", "convert_lora_to_gguf.py", "conversion/", "gguf-py/",
           "LICENSE")


def installed_version() -> str:
    """The llama-cpp-python the app runs (read from metadata: no native library is loaded)."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError as err:
        raise TrainingError(f"{PACKAGE} is not installed in this environment.") from err


def converter_home(version: str | None = None) -> Path:
    return paths.cache_dir() / "llama.cpp-converter" / (version or installed_version())


@dataclass(frozen=True)
class Converter:
    root: Path  # holds the unpacked vendor/llama.cpp files
    version: str

    @property
    def hf_script(self) -> Path:
        return self.root / "convert_hf_to_gguf.py"

    @property
    def lora_script(self) -> Path:
        return self.root / "convert_lora_to_gguf.py"

    @property
    def gguf_py(self) -> Path:
        return self.root / "gguf-py"

    def run(self, script: Path, args: list[str], timeout: float | None = None) -> str:
        """Run a converter script; a failure is a TrainingError with the converter's words."""
        env = dict(os.environ)
        # The converter's own gguf-py first: PyPI's gguf lacks what it imports.
        env["PYTHONPATH"] = os.pathsep.join(
            [str(self.gguf_py), *filter(None, [env.get("PYTHONPATH")])])
        env.pop("NO_LOCAL_GGUF", None)
        env.update(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", HF_HUB_DISABLE_TELEMETRY="1")
        process = subprocess.run([sys.executable, str(script), *args], env=env, text=True,
                                 capture_output=True, timeout=timeout, check=False)
        output = process.stdout + process.stderr
        if process.returncode != 0:
            tail = "\n".join(output.strip().splitlines()[-15:])
            raise TrainingError(f"llama.cpp's {script.name} failed (exit {process.returncode}):"
                                f"\n{tail}")
        return output


def find_converter(version: str | None = None) -> Converter | None:
    version = version or installed_version()
    root = converter_home(version)
    marker = root / MARKER
    if not marker.is_file():
        return None
    converter = Converter(root, version)
    if not (converter.hf_script.is_file() and converter.lora_script.is_file()
            and (converter.gguf_py / "gguf" / "__init__.py").is_file()):
        return None
    return converter


def require_converter() -> Converter:
    converter = find_converter()
    if converter is None:
        version = installed_version()
        raise ConverterMissing(
            f"llama.cpp's converter for llama-cpp-python {version} is not unpacked in "
            f"{converter_home(version)}. Run once, with access to the package index: "
            f"`{FETCH_COMMAND}` (it downloads the {PACKAGE}=={version} source distribution).")
    return converter


def _download_sdist(version: str, into: Path) -> Path:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--disable-pip-version-check", f"{PACKAGE}=={version}", "-d", str(into)]
    process = subprocess.run(command, text=True, capture_output=True, check=False)
    if process.returncode != 0:
        tail = "\n".join((process.stdout + process.stderr).strip().splitlines()[-10:])
        raise TrainingError(f"pip could not download the {PACKAGE}=={version} source "
                            f"distribution (is the package index reachable?):\n{tail}")
    found = sorted(into.glob("*.tar.gz"))
    if not found:
        raise TrainingError(f"pip downloaded no source archive of {PACKAGE}=={version}.")
    return found[0]


def _unpack(archive: Path, target: Path) -> int:
    """Extract only the converters and gguf-py (a few MB of the 77 MB archive)."""
    count = 0
    with tarfile.open(archive, "r:gz") as tar:
        members = []
        for member in tar.getmembers():
            parts = member.name.split("/", 3)
            # <top>/vendor/llama.cpp/<path>
            if len(parts) < 4 or parts[1:3] != ["vendor", "llama.cpp"]:
                continue
            inner = parts[3]
            if not any(inner == w or (w.endswith("/") and inner.startswith(w)) for w in _WANTED):
                continue
            if not (member.isfile() or member.isdir()):
                continue
            member.name = inner
            members.append(member)
            count += member.isfile()
        # filter="data" refuses absolute paths, links out of the folder and device files.
        tar.extractall(target, members=members, filter="data")
    return count


def fetch_converter(force: bool = False) -> tuple[Converter, bool]:
    """The converter for the installed version; (converter, fetched now)."""
    version = installed_version()
    existing = find_converter(version)
    if existing and not force:
        return existing, False
    root = converter_home(version)
    root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=root.parent, prefix=".fetch-") as tmp:
        archive = _download_sdist(version, Path(tmp) / "sdist")
        staging = Path(tmp) / "converter"
        files = _unpack(archive, staging)
        converter = Converter(staging, version)
        if not converter.hf_script.is_file() or not converter.gguf_py.is_dir():
            raise TrainingError(f"{archive.name} holds no vendor/llama.cpp/convert_hf_to_gguf.py.")
        (staging / MARKER).write_text(json.dumps(
            {"package": PACKAGE, "version": version, "archive": archive.name, "files": files},
            indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(root, ignore_errors=True)
        os.replace(staging, root)  # the folder appears complete or not at all
    found = find_converter(version)
    assert found is not None
    return found, True
