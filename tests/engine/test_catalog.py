"""The model catalog: what is listed, what is refused and why, memory fit, allowlist, choice."""

from __future__ import annotations

import hashlib
import json
import os
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from gguf_builder import KIND, raw_gguf, raw_kv, raw_tensor, raw_value, write_gguf

from radval_desktop.cli import main
from radval_desktop.config import load_settings
from radval_desktop.engine.catalog import (
    SOURCE_DEFAULT,
    SOURCE_FOLDER,
    CatalogSettings,
    choice_settings,
    choose,
    format_table,
    hash_missing,
    scan_models,
)
from radval_desktop.engine.checksums import HashCancelled, known_sha256, remember_sha256
from radval_desktop.engine.default_model import DEFAULT
from radval_desktop.engine.gguf_file import read_gguf
from radval_desktop.engine.memory import Memory, estimate_memory
from radval_desktop.errors import ModelFileError

RAM_16GB = Memory("RAM", 16 * 10**9)
TINY = {"general.architecture": "llama", "general.name": "tiny llama", "general.file_type": 0,
        "llama.block_count": 2, "llama.embedding_length": 64, "llama.context_length": 1024,
        "llama.attention.head_count": 4, "llama.attention.head_count_kv": 2}
ADAPTER = {"general.architecture": "llama", "general.type": "adapter", "adapter.type": "lora",
           "adapter.lora.alpha": 16.0, "general.name": "hospital A"}


@pytest.fixture
def default_model(default_model_path: Path) -> Path:
    # The pinned digest, so that neither the default model nor the scan re-hash 491 MB.
    remember_sha256(default_model_path, DEFAULT.sha256)
    return default_model_path


def _settings(folder: Path, **kwargs: object) -> CatalogSettings:
    return CatalogSettings(folders=(folder,), **kwargs)  # type: ignore[arg-type]


def test_folder_lists_the_model_and_refuses_truncated_and_non_gguf_files(
        default_model: Path, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    folder.mkdir()
    (folder / default_model.name).symlink_to(default_model)
    cut = write_gguf(folder / "cut.gguf", TINY, [("a", [256, 256])])
    cut.write_bytes(cut.read_bytes()[:-1000])
    (folder / "weights.bin").write_bytes(b"PK\x03\x04 a zip file, not a model" * 4)
    (folder / "README.md").write_text("side files are not models")  # not reported
    (folder / ".radval-downloads").mkdir()  # partial downloads: not looked into
    (folder / ".radval-downloads" / "x.part").write_bytes(b"GGUF")

    catalog = scan_models(_settings(folder), memory=RAM_16GB, default_model=lambda: default_model)

    [entry] = catalog.models  # the embedded default and its link in the folder: one entry
    assert entry.source == SOURCE_DEFAULT
    assert (entry.architecture, entry.quantization) == ("qwen2", "Q4_K_M")
    assert entry.parameters == 630_167_424
    assert entry.file_size == DEFAULT.size
    assert entry.sha256 == DEFAULT.sha256
    assert entry.allowed is None  # no allowlist
    assert entry.fit is not None
    assert entry.fit.fits is True
    reasons = {r.path.name: r.reason for r in catalog.refused}
    assert set(reasons) == {"cut.gguf", "weights.bin"}
    assert "truncated" in reasons["cut.gguf"]
    assert "not a GGUF model" in reasons["weights.bin"]
    table = format_table(catalog)
    assert "refused" in table
    assert "cut.gguf" in table
    assert "Qwen2.5" in table


def test_each_hostile_file_is_refused_with_its_reason_and_the_rest_still_listed(
        tmp_path: Path) -> None:
    # Before issue 17 (item 9) any one of these broke the whole scan with a RecursionError,
    # TypeError, ValueError or OverflowError, so the Models view listed nothing.
    write_gguf(tmp_path / "a-good.gguf", TINY, [("a", [8])])
    nested = struct.pack("<IQ", KIND["array"], 1) * 5_000 + struct.pack("<IQ", KIND["u32"], 0)
    raw_gguf(tmp_path / "nested.gguf", [raw_kv("general.architecture", "string", "llama"),
                                        raw_value("string", "deep") + struct.pack("<I", 9)
                                        + nested])
    raw_gguf(tmp_path / "dims.gguf", [], [raw_tensor("a", [2**64 - 1] * 80_000)])
    raw_gguf(tmp_path / "typed.gguf", [raw_kv("general.architecture", "string", "llama"),
                                       raw_kv("general.file_type", "array", ("u32", [1]))])
    # Types the reader accepts but the memory estimate choked on: an infinite width.
    raw_gguf(tmp_path / "inf.gguf", [raw_kv("general.architecture", "string", "llama"),
                                     raw_kv("llama.embedding_length", "f64", float("inf")),
                                     raw_kv("llama.attention.head_count", "array",
                                            ("string", ["x", "y"]))])
    # A good model whose model card beside it is forged: the model is still listed.
    write_gguf(tmp_path / "z-carded.gguf", {**TINY, "general.name": "carded"}, [("a", [8])])
    (tmp_path / "z-carded.card.json").write_text(json.dumps(
        {"format": "radval-model-card", "format_version": [], "data": "x"}))

    start = time.perf_counter()
    catalog = scan_models(_settings(tmp_path, include_default=False), memory=RAM_16GB)
    assert time.perf_counter() - start < 5.0  # 80,000 dims alone took 15 s

    assert [m.path.name for m in catalog.models] == ["a-good.gguf", "inf.gguf", "z-carded.gguf"]
    inf = catalog.models[1]
    assert inf.fit is not None
    assert inf.fit.needed == inf.file_size  # no width: no KV cache, not a crash
    assert catalog.models[2].card is None
    reasons = {r.path.name: r.reason for r in catalog.refused}
    assert set(reasons) == {"nested.gguf", "dims.gguf", "typed.gguf"}
    assert "array of arrays" in reasons["nested.gguf"]
    assert "80,000 dimensions" in reasons["dims.gguf"]
    assert "general.file_type holds a list" in reasons["typed.gguf"]
    table = format_table(catalog)
    assert all(f"{name}: " in table for name in reasons)


def test_a_bug_on_one_file_lists_it_as_refused_and_keeps_the_others(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # No real file reaches this any more (the test above): a bug is injected for one file to
    # prove the scan's last resort, which keeps a future parser bug from emptying the list.
    import radval_desktop.engine.catalog as catalog_module

    write_gguf(tmp_path / "a.gguf", TINY, [("a", [8])])
    write_gguf(tmp_path / "b.gguf", TINY, [("a", [9])])
    real = catalog_module.estimate_memory

    def buggy(info: Any, n_ctx: int) -> int:
        if info.path.name == "a.gguf":
            raise ZeroDivisionError("injected")
        return real(info, n_ctx)

    monkeypatch.setattr(catalog_module, "estimate_memory", buggy)
    catalog = scan_models(_settings(tmp_path, include_default=False), memory=RAM_16GB)
    assert [m.path.name for m in catalog.models] == ["b.gguf"]
    [refused] = catalog.refused
    assert refused.path.name == "a.gguf"
    assert refused.reason == ("RadVal could not read the file a.gguf (an error in RadVal; the "
                              "details are in the log).")
    assert "ZeroDivisionError: injected" in caplog.text


def test_memory_estimate_is_weights_plus_kv_cache_plus_compute(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "t.gguf", TINY, [("a", [64, 64])])
    info = read_gguf(path)
    # K and V, f16: n_ctx x layers x kv heads x (key + value length 64/4) x 2 bytes.
    kv = 1024 * 2 * 2 * (16 + 16) * 2
    assert estimate_memory(info, n_ctx=4096) == info.file_size + kv  # capped at the trained 1024
    assert estimate_memory(info, n_ctx=512) == info.file_size + kv // 2


def test_default_model_estimate_is_near_what_llama_cpp_allocates(default_model: Path) -> None:
    # llama.cpp at n_ctx 4096: 462.96 MiB mapped + 28.05 repacked + 48 KV + 302 compute.
    allocated = (462.96 + 28.05 + 48 + 302) * 2**20
    estimate = estimate_memory(read_gguf(default_model), n_ctx=4096)
    assert abs(estimate - allocated) / allocated < 0.05


def test_fit_compares_with_usable_memory(tmp_path: Path) -> None:
    write_gguf(tmp_path / "t.gguf", TINY, [("a", [64, 64])])
    small = scan_models(_settings(tmp_path, include_default=False), memory=Memory("RAM", 20_000))
    assert small.models[0].fit is not None
    assert small.models[0].fit.fits is False
    assert "does not fit" in small.models[0].fit.describe()
    unknown = scan_models(_settings(tmp_path, include_default=False), memory=Memory("GPU", None))
    fit = unknown.models[0].fit
    assert fit is not None
    assert fit.fits is None
    assert "GPU size unknown" in fit.describe()


def test_allowlist_verdict_and_refused_choice(tmp_path: Path) -> None:
    approved = write_gguf(tmp_path / "approved.gguf", TINY, [("a", [8])])
    other = write_gguf(tmp_path / "other.gguf", {**TINY, "general.name": "other"}, [("a", [9])])
    approved_digest = hashlib.sha256(approved.read_bytes()).hexdigest()
    allow = (approved_digest,)
    catalog = scan_models(_settings(tmp_path, include_default=False, allowed_sha256=allow),
                          memory=RAM_16GB)
    assert all(e.sha256 is None for e in catalog.models)  # nothing hashed during the scan
    for path, digest in hash_missing(catalog):
        catalog = catalog.with_sha256(path, digest)
    verdicts = {e.path.name: e.allowed for e in catalog.models}
    assert verdicts == {"approved.gguf": True, "other.gguf": False}
    assert choose(catalog, "approved")[0].sha256 == approved_digest
    with pytest.raises(ModelFileError, match="not on IT's list"):
        choose(catalog, str(other))


def test_hashing_is_remembered_and_can_be_cancelled(tmp_path: Path) -> None:
    write_gguf(tmp_path / "t.gguf", TINY, [("a", [2048, 1024])])  # 8 MB: two chunks
    catalog = scan_models(_settings(tmp_path, include_default=False), memory=RAM_16GB)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(HashCancelled):
        list(hash_missing(catalog, cancel))
    assert known_sha256(tmp_path / "t.gguf") is None
    [(path, digest)] = list(hash_missing(catalog))
    assert known_sha256(path) == digest
    again = scan_models(_settings(tmp_path, include_default=False), memory=RAM_16GB)
    assert again.models[0].sha256 == digest


def test_adapters_are_listed_apart_and_matched_by_architecture(tmp_path: Path) -> None:
    write_gguf(tmp_path / "base.gguf", TINY, [("blk.0.attn_q.weight", [64, 64])])
    write_gguf(tmp_path / "hospital-a.gguf", ADAPTER,
               [("blk.0.attn_q.weight.lora_a", [64, 4]), ("blk.0.attn_q.weight.lora_b", [4, 64])])
    write_gguf(tmp_path / "qwen-adapter.gguf", {**ADAPTER, "general.architecture": "qwen2"},
               [("x.lora_a", [4])])
    catalog = scan_models(_settings(tmp_path, include_default=False), memory=RAM_16GB)
    [base] = catalog.models
    assert {a.path.name for a in catalog.adapters} == {"hospital-a.gguf", "qwen-adapter.gguf"}
    assert [a.path.name for a in catalog.adapters_for(base)] == ["hospital-a.gguf"]
    model, adapter = choose(catalog, "base", "hospital-a")
    assert adapter is not None
    assert adapter.fit is None
    assert choice_settings(model, adapter) == {"model.path": str(base.path.resolve()),
                                               "model.adapter": str(adapter.path.resolve())}
    with pytest.raises(ModelFileError, match="made for a qwen2 model"):
        choose(catalog, "base", "qwen-adapter")


def test_cli_lists_as_json_and_remembers_the_choice(
        default_model: Path, radval_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = radval_home / "data" / "models"
    models.mkdir(parents=True)
    write_gguf(models / "tiny.gguf", TINY, [("a", [8])])
    (models / "notes.gguf").write_text("not a model, just text that is long enough")
    assert main(["models", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m["source"] for m in listed["models"]] == [SOURCE_DEFAULT, SOURCE_FOLDER]
    assert all(m["sha256"] for m in listed["models"])  # the CLI hashes what is missing
    assert [Path(r["path"]).name for r in listed["refused"]] == ["notes.gguf"]

    assert main(["models", "use", "tiny"]) == 0
    assert load_settings()["model.path"] == str((models / "tiny.gguf").resolve())
    assert main(["models", "use", default_model.name]) == 0
    assert load_settings()["model.path"] == ""  # the embedded default
    capsys.readouterr()
    assert main(["models", "use", "absent"]) == 1
    assert "There is no model 'absent'" in capsys.readouterr().err


def test_cli_download_without_endpoint_is_one_sentence_and_no_network_client(
        radval_home: Path) -> None:
    # A fresh process: in this one another test may have imported huggingface_hub already.
    code = ("import sys; from radval_desktop.cli import main; "
            "rc = main(['models', 'download', 'hospital/repo', 'model.gguf']); "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'huggingface_hub')); "
            "sys.exit(rc)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "RADVAL_HOME": str(radval_home)}, timeout=120)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines() == [
        "radval: Downloads are off: IT has not configured the hospital's model mirror "
        "(hub.endpoint), so RadVal never uses the network."]
    assert out.stdout.strip() == "[]"


def test_settings_give_folders_and_the_mirror_only_from_it(radval_home: Path) -> None:
    config = radval_home / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "config.toml").write_text(
        '[models]\nfolders = ["/srv/models", "~/models"]\n'
        '[hub]\nendpoint = "http://anywhere.example"\ncache = "/srv/hf-cache"\n',
        encoding="utf-8")
    settings = load_settings()
    assert settings.warnings == (f"{config / 'config.toml'}: 'hub.endpoint' is read from IT's "
                                 "settings file only; ignored here.",)
    catalog = settings.catalog()
    assert catalog.folders == (Path("/srv/models"), Path("~/models").expanduser())
    assert catalog.hub_cache == Path("/srv/hf-cache")
    assert not settings.hub().downloads_enabled  # the user's own endpoint is ignored
    (radval_home / "system-config.toml").write_text(
        '[hub]\nendpoint = "https://hf-mirror.hospital.local"\n'
        'files = ["hospital/radval-7b/radval-7b-q4_k_m.gguf"]\n', encoding="utf-8")
    settings = load_settings()
    hub = settings.hub()
    assert hub.downloads_enabled
    assert hub.endpoint == "https://hf-mirror.hospital.local"
    assert hub.files == ("hospital/radval-7b/radval-7b-q4_k_m.gguf",)
    assert settings.catalog().hub_online
