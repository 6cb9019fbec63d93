"""IT's pin and allowlist judge the bytes llama.cpp loads (issue 17, items 2 and 3).

The digest cache (`sha256-cache.json`, the user's own file, keyed by path, size and mtime) is
for display only: a forged entry or a rewrite that keeps size and mtime must not pass a
check. The file is hashed from one descriptor and llama.cpp loads that same file, so
replacing it (a rename) or rewriting it in place (`cp` onto it) between the check and the
load changes nothing. The swap is done at the worst moment: inside llama_cpp, right before
llama.cpp opens the file (the attacker's step, not a stand-in for RadVal's code).
"""

from __future__ import annotations

import os
import pwd
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llama_cpp
import pytest
from gguf_builder import write_gguf, write_lora_adapter

from radval_desktop.engine.adapters import inspect_adapter
from radval_desktop.engine.catalog import CatalogSettings, choose, scan_models
from radval_desktop.engine.checksums import known_sha256, remember_sha256, sha256_file
from radval_desktop.engine.default_model import DEFAULT
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.engine.llama_engine import EngineSettings, LlamaEngine
from radval_desktop.engine.memory import Memory
from radval_desktop.errors import ModelFileError

APPROVED_NAME = b"Qwen2.5 Coder 0.5B Instruct AWQ"
OTHER_NAME = b"Not approved by IT, same length"  # same length: the file keeps its size
assert len(APPROVED_NAME) == len(OTHER_NAME)
TINY = {"general.architecture": "llama", "general.name": "tiny"}


def _tiny(path: Path, name: str = "tiny") -> Path:
    return write_gguf(path, {**TINY, "general.name": name}, [("token_embd.weight", [8, 4])])


def _same_size_other(source: Path, target: Path) -> Path:
    """A copy of ``source`` with its general.name changed in place: same size, other bytes,
    still a model llama.cpp loads (the name tells which file it loaded)."""
    shutil.copyfile(source, target)
    with target.open("r+b") as handle:
        head = handle.read(1 << 20)
        handle.seek(head.index(APPROVED_NAME))
        handle.write(OTHER_NAME)
    return target


def _forge_cache(path: Path, digest: str) -> None:
    """What a user can write into their own sha256-cache.json."""
    remember_sha256(path, digest)
    assert known_sha256(path) == digest


def _nobody_owns(path: Path) -> None:
    # As root (CI) a root-owned file counts as IT's (no ordinary user can rewrite it); the
    # in-place rewrite is an ordinary user's attack on a file they own.
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(path, nobody.pw_uid, nobody.pw_gid)


# --- item 2: the cache decides nothing ------------------------------------------------------


def test_a_forged_cache_entry_does_not_pass_the_allowlist(tmp_path: Path) -> None:
    mine = _tiny(tmp_path / "mine.gguf")
    _forge_cache(mine, DEFAULT.sha256)
    engine = LlamaEngine(mine, EngineSettings(allowed_sha256=(DEFAULT.sha256,)))
    with pytest.raises(ModelFileError, match="not on IT's list of approved models"):
        engine.inspect()


def test_a_forged_cache_entry_does_not_pass_the_pin(tmp_path: Path) -> None:
    mine = _tiny(tmp_path / "mine.gguf")
    _forge_cache(mine, DEFAULT.sha256)
    engine = LlamaEngine(mine, EngineSettings(expected_sha256=DEFAULT.sha256))
    with pytest.raises(ModelFileError, match="not the approved one"):
        engine.inspect()


def test_a_rewrite_keeping_size_and_mtime_is_refused(tmp_path: Path) -> None:
    approved = _tiny(tmp_path / "approved.gguf", "aaaa")
    digest = sha256_file(approved)
    engine = LlamaEngine(approved, EngineSettings(allowed_sha256=(digest,)))
    assert engine.inspect()[1] == digest  # remembered in the cache now
    stat = approved.stat()
    _tiny(tmp_path / "approved.gguf", "bbbb")  # same size, other bytes
    os.utime(approved, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert known_sha256(approved) == digest  # the cache is fooled...
    with pytest.raises(ModelFileError, match="not on IT's list"):
        engine.inspect()  # ...the check is not


def test_a_forged_cache_entry_does_not_pass_an_adapter(tmp_path: Path, default_model_path: Path
                                                       ) -> None:
    adapter = write_lora_adapter(tmp_path / "mine.gguf", layers=1)
    approved = write_lora_adapter(tmp_path / "approved.gguf", layers=1, seed=5)
    _forge_cache(adapter, sha256_file(approved))
    with pytest.raises(ModelFileError, match="not on IT's list of approved files"):
        inspect_adapter(adapter, read_gguf(default_model_path),
                        allowed=(sha256_file(approved),))


def test_choosing_a_model_with_a_forged_cache_entry_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    mine = _tiny(folder / "mine.gguf")
    _forge_cache(mine, DEFAULT.sha256)
    catalog = scan_models(CatalogSettings(folders=(folder,), include_default=False,
                                          allowed_sha256=(DEFAULT.sha256,)),
                          memory=Memory("RAM", 16 * 10**9))
    with pytest.raises(ModelFileError, match="not on IT's list"):
        choose(catalog, "mine")


# --- item 3: the file cannot change between the check and the load -------------------------


@pytest.fixture
def approved_copy(default_model_path: Path, tmp_path: Path) -> Path:
    path = tmp_path / "approved.gguf"
    shutil.copyfile(default_model_path, path)
    return path


@pytest.fixture
def swap_before_llama_opens(monkeypatch: pytest.MonkeyPatch
                            ) -> Callable[[Callable[[], None]], list[str]]:
    """Run an attack right before llama.cpp opens the model; record the name it loaded."""
    loaded: list[str] = []

    def arm(attack: Callable[[], None]) -> list[str]:
        real = llama_cpp.Llama

        class Attacked(real):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                attack()
                super().__init__(*args, **kwargs)
                loaded.append(str(self.metadata.get("general.name")))

        monkeypatch.setattr(llama_cpp, "Llama", Attacked)
        return loaded

    return arm


def _load(path: Path, **settings: Any) -> LlamaEngine:
    engine = LlamaEngine(path, EngineSettings(n_ctx=256, n_threads=1, **settings))
    engine.load()
    return engine


def test_a_model_renamed_over_the_path_after_the_check_is_not_loaded(
        approved_copy: Path, tmp_path: Path,
        swap_before_llama_opens: Callable[[Callable[[], None]], list[str]]) -> None:
    other = _same_size_other(approved_copy, tmp_path / "other.gguf")
    loaded = swap_before_llama_opens(lambda: os.replace(other, approved_copy))
    engine = _load(approved_copy, allowed_sha256=(DEFAULT.sha256,))
    try:
        assert loaded == [APPROVED_NAME.decode()]
        assert engine.info is not None
        assert engine.info.sha256 == DEFAULT.sha256
    finally:
        engine.close()
    assert sha256_file(approved_copy) != DEFAULT.sha256  # the swap did happen


def test_a_model_rewritten_in_place_after_the_check_is_not_loaded(
        approved_copy: Path,
        swap_before_llama_opens: Callable[[Callable[[], None]], list[str]]) -> None:
    _nobody_owns(approved_copy)

    def rewrite() -> None:  # what `cp other.gguf approved.gguf` does: same inode
        with approved_copy.open("r+b") as handle:
            head = handle.read(1 << 20)
            handle.seek(head.index(APPROVED_NAME))
            handle.write(OTHER_NAME)

    loaded = swap_before_llama_opens(rewrite)
    engine = _load(approved_copy, allowed_sha256=(DEFAULT.sha256,))
    try:
        assert loaded == [APPROVED_NAME.decode()]
        assert engine.info is not None
        assert engine.info.sha256 == DEFAULT.sha256
        # Weights rewritten while it runs (a mapped file would follow them): same draft.
        before = "".join(engine.stream("The chest CT shows", _greedy()))
        with approved_copy.open("r+b") as handle:
            handle.seek(approved_copy.stat().st_size // 2)
            handle.write(bytes(64 << 20))
        after = "".join(engine.stream("The chest CT shows", _greedy()))
    finally:
        engine.close()
    assert before
    assert after == before
    assert OTHER_NAME in approved_copy.read_bytes()[: 1 << 20]


def _greedy() -> Any:
    from radval_desktop.engine.sampling import Sampling

    return Sampling(temperature=0.0, max_tokens=8)


@pytest.mark.parametrize("attack", ["rename", "rewrite"])
def test_an_adapter_swapped_after_the_check_is_not_applied(
        default_model_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        attack: str) -> None:
    approved = write_lora_adapter(tmp_path / "approved.gguf", seed=11)
    # Made for a smaller model: llama.cpp refuses it, so applying it would be seen.
    other = write_lora_adapter(tmp_path / "other.gguf", embd=64, layers=1, seed=12)
    _nobody_owns(approved)
    digest = sha256_file(approved)
    real = llama_cpp.llama_adapter_lora_init

    def swapped(model: Any, path: bytes) -> Any:
        if attack == "rename":
            os.replace(other, approved)
        else:
            with approved.open("r+b") as handle:
                handle.truncate(0)
                handle.write(other.read_bytes())
        return real(model, path)

    monkeypatch.setattr(llama_cpp, "llama_adapter_lora_init", swapped)
    engine = _load(default_model_path, adapter_path=str(approved),
                   allowed_sha256=(DEFAULT.sha256, digest))
    try:
        assert engine.info is not None
        assert engine.info.adapter is not None
        assert engine.info.adapter.sha256 == digest
    finally:
        engine.close()
    assert sha256_file(approved) != digest  # the swap did happen


def test_a_load_reads_the_model_file_once_and_remembers_its_digest(approved_copy: Path) -> None:
    def read_bytes() -> int:
        io = Path("/proc/self/io").read_text().split("\n")
        return int(next(line for line in io if line.startswith("rchar:")).split()[1])

    before = read_bytes()
    engine = _load(approved_copy)
    read = read_bytes() - before
    engine.close()
    size = approved_copy.stat().st_size
    # Hashed once (llama.cpp maps the tensors; its reads are the header): not twice.
    assert size <= read < 1.3 * size
    assert known_sha256(approved_copy) == DEFAULT.sha256  # the Models list needs no hash
