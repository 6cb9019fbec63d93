"""The hospital's mirror and pre-seeded hub cache: approved downloads only, resumed; offline use.

The mirror is tests/hub_server.py on 127.0.0.1, answering huggingface_hub's own requests;
the pre-seeded cache is written by huggingface_hub itself (hf_hub_download into a cache
folder), then read offline in a process that refuses every network attempt.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from gguf_builder import write_gguf
from hub_server import COMMIT, Mirror, serve

from radval_desktop.engine.checksums import known_sha256
from radval_desktop.engine.hub_mirror import (
    STAGING_DIR,
    DownloadCancelled,
    HubSettings,
    cached_gguf_files,
    download_model,
    split_spec,
)
from radval_desktop.errors import ConfigError, ModelFileError

REPO = "hospital/radval-tiny-gguf"
FILE = "radval-tiny-f32.gguf"
META = {"general.architecture": "llama", "general.name": "radval tiny", "general.file_type": 0,
        "llama.block_count": 2}


@pytest.fixture(autouse=True)
def online_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    """huggingface_hub reads HF_HUB_OFFLINE once, at import: whichever test imported it first
    must not decide for the download tests here."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)


@pytest.fixture
def model_bytes(tmp_path: Path) -> bytes:
    # ~1 MB: big enough that the partial-file and Range paths carry real data.
    path = write_gguf(tmp_path / "src.gguf", META, [("a", [512, 512])])
    return path.read_bytes()


@pytest.fixture
def mirror(model_bytes: bytes) -> Iterator[Mirror]:
    with serve({f"{REPO}/{FILE}": model_bytes}) as running:
        yield running


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_lands_in_models_folder_with_digest_remembered(
        mirror: Mirror, model_bytes: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    seen: list[tuple[int, int | None]] = []
    path = download_model(HubSettings(endpoint=mirror.url), REPO, FILE, folder,
                          allowed=(_digest(model_bytes),),
                          on_progress=lambda done, total: seen.append((done, total)))
    assert path == folder / FILE
    assert path.read_bytes() == model_bytes
    assert known_sha256(path) == _digest(model_bytes)  # not hashed again by the scan
    assert seen[-1] == (len(model_bytes), len(model_bytes))
    assert not list((folder / STAGING_DIR).iterdir())  # no partial file left behind


def test_download_not_on_allowlist_is_refused_and_deleted(
        mirror: Mirror, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    with pytest.raises(ModelFileError, match="not on IT's list of approved models"):
        download_model(HubSettings(endpoint=mirror.url), REPO, FILE, folder,
                       allowed=("0" * 64,))
    assert not (folder / FILE).exists()
    assert not list((folder / STAGING_DIR).iterdir())


def test_interrupted_download_resumes_from_its_partial_file(
        mirror: Mirror, model_bytes: bytes, tmp_path: Path) -> None:
    folder = tmp_path / "models"
    cancel = threading.Event()

    def stop_after_first_chunk(done: int, _total: int | None) -> None:
        if done > 0:
            cancel.set()

    # A small chunk size makes the first attempt stop part-way, as a dropped network would.
    import huggingface_hub.constants

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 64 * 1024)
        with pytest.raises(DownloadCancelled):
            download_model(HubSettings(endpoint=mirror.url), REPO, FILE, folder, (),
                           on_progress=stop_after_first_chunk, cancel=cancel)
    partial = next((folder / STAGING_DIR).iterdir())
    kept = partial.stat().st_size
    assert 0 < kept < len(model_bytes)
    assert not (folder / FILE).exists()

    path = download_model(HubSettings(endpoint=mirror.url), REPO, FILE, folder, ())
    assert path.read_bytes() == model_bytes
    assert ("GET", f"/{REPO}/resolve/main/{FILE}", f"bytes={kept}-") in mirror.requests


def test_download_damaged_in_transit_is_refused(
        mirror: Mirror, model_bytes: bytes, tmp_path: Path) -> None:
    mirror.etags[f"{REPO}/{FILE}"] = _digest(b"what the mirror says it is")
    with pytest.raises(ModelFileError, match="damaged"):
        download_model(HubSettings(endpoint=mirror.url), REPO, FILE, tmp_path / "m", ())
    assert not (tmp_path / "m" / FILE).exists()


def test_file_missing_on_mirror_is_a_sentence(mirror: Mirror, tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="mirror .* has no"):
        download_model(HubSettings(endpoint=mirror.url), REPO, "absent.gguf", tmp_path, ())


def test_without_endpoint_downloads_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="IT has not configured"):
        download_model(HubSettings(), REPO, FILE, tmp_path, ())


def test_mirror_file_spec_is_split_into_repo_and_path() -> None:
    assert split_spec("hospital/repo/sub/model.gguf") == ("hospital/repo", "sub/model.gguf")
    with pytest.raises(ConfigError, match="owner/repo/file.gguf"):
        split_spec("model.gguf")


# The offline half: runs with the mirror gone and every network attempt refused.
_OFFLINE_CHECK = """
import json, socket, sys
def refuse(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "urllib.Request"):
        if event != "socket.connect" or args[0].family != socket.AF_UNIX:
            raise ConnectionRefusedError("offline test: " + event)
sys.addaudithook(refuse)
from pathlib import Path
from radval_desktop.engine.catalog import CatalogSettings, scan_models
from radval_desktop.engine.hub_mirror import cached_model
from radval_desktop.engine.memory import Memory
cache, repo, file = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
catalog = scan_models(CatalogSettings(folders=(), hub_cache=cache, include_default=False),
                      memory=Memory("RAM", 16 * 10**9))
import huggingface_hub.constants
print(json.dumps({
    "listed": [[str(e.path), e.source, e.name] for e in catalog.models],
    "resolved": str(cached_model(cache, repo, file)),
    "offline": huggingface_hub.constants.HF_HUB_OFFLINE,
}))
"""


@pytest.mark.slow
def test_preseeded_cache_is_found_and_used_offline(model_bytes: bytes, tmp_path: Path) -> None:
    seed = tmp_path / "hf-cache"  # what IT copies to each workstation
    import huggingface_hub

    with serve({f"{REPO}/{FILE}": model_bytes}) as mirror:
        written = huggingface_hub.hf_hub_download(REPO, FILE, cache_dir=seed,
                                                  endpoint=mirror.url)
    # The real layout, as the library wrote it: blobs by etag, a snapshot per commit, refs.
    repo_dir = seed / f"models--{REPO.replace('/', '--')}"
    assert (repo_dir / "refs" / "main").read_text() == COMMIT
    assert (repo_dir / "blobs" / _digest(model_bytes)).is_file()
    assert Path(written) == repo_dir / "snapshots" / COMMIT / FILE

    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    out = subprocess.run([sys.executable, "-c", _OFFLINE_CHECK, str(seed), REPO, FILE],
                         capture_output=True, text=True, env=env, timeout=120, check=True)
    result = json.loads(out.stdout)
    assert result["listed"] == [[written, f"hub cache {REPO}@main", "radval tiny"]]
    assert result["resolved"] == written
    assert result["offline"] is True  # no endpoint configured: the library is put offline


def test_cache_folder_that_is_not_a_hub_cache_lists_nothing(tmp_path: Path) -> None:
    (tmp_path / "random").mkdir()
    assert cached_gguf_files(tmp_path / "random") == []
    assert cached_gguf_files(tmp_path / "missing") == []


def test_cli_downloads_from_the_mirror_it_configured(
        mirror: Mirror, model_bytes: bytes, radval_home: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from radval_desktop.cli import main

    radval_home.mkdir(parents=True, exist_ok=True)
    (radval_home / "system-config.toml").write_text(
        f'[hub]\nendpoint = "{mirror.url}"\n[model]\nallowed_sha256 = ["{_digest(model_bytes)}"]\n',
        encoding="utf-8")
    assert main(["models", "download", f"{REPO}/{FILE}"]) == 0
    out = capsys.readouterr()
    path = radval_home / "data" / "models" / FILE
    assert out.out.strip() == f"downloaded and approved: {path}"
    assert "100%" in out.err  # the progress line
    assert path.read_bytes() == model_bytes


# --- IT's limits on the mirror (issue 17) ----------------------------------------------------


def test_a_file_it_did_not_offer_is_refused_before_any_request(
        mirror: Mirror, model_bytes: bytes, tmp_path: Path) -> None:
    # The mirror has the file and the allowlist would pass it: IT's list alone refuses it.
    offered = HubSettings(endpoint=mirror.url, files=("hospital/radval-7b/radval-7b.gguf",))
    with pytest.raises(ConfigError, match="IT offers only hospital/radval-7b/radval-7b.gguf"):
        download_model(offered, REPO, FILE, tmp_path / "models", (_digest(model_bytes),))
    assert mirror.requests == []
    assert not (tmp_path / "models").exists()
    # The same file, listed (with a leading slash and spaces, as a hand-written list may be).
    listed = HubSettings(endpoint=mirror.url, files=(f" /{REPO}/{FILE} ",))
    path = download_model(listed, REPO, FILE, tmp_path / "models", (_digest(model_bytes),))
    assert path.read_bytes() == model_bytes


_GIT_SHA1 = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"  # what the Hub's etag is for a non-LFS file


def test_a_checksum_that_is_not_a_sha256_and_no_allowlist_is_refused_before_downloading(
        mirror: Mirror, tmp_path: Path) -> None:
    mirror.etags[f"{REPO}/{FILE}"] = _GIT_SHA1
    with pytest.raises(ModelFileError, match="cannot be checked") as refused:
        download_model(HubSettings(endpoint=mirror.url), REPO, FILE, tmp_path / "m", ())
    assert "model.allowed_sha256" in str(refused.value)  # what IT can do about it
    assert [r[0] for r in mirror.requests] == ["HEAD"]  # no byte of the file was fetched
    assert not (tmp_path / "m" / FILE).exists()


def test_a_checksum_that_is_not_a_sha256_is_replaced_by_its_listed_digest(
        mirror: Mirror, model_bytes: bytes, tmp_path: Path) -> None:
    mirror.etags[f"{REPO}/{FILE}"] = _GIT_SHA1
    path = download_model(HubSettings(endpoint=mirror.url), REPO, FILE, tmp_path / "m",
                          (_digest(model_bytes),))
    assert path.read_bytes() == model_bytes
    # Bytes that are not the listed file (damaged, or another file) are refused and deleted.
    damaged = model_bytes[:-1] + bytes([model_bytes[-1] ^ 1])
    with serve({f"{REPO}/{FILE}": damaged}) as other:
        other.etags[f"{REPO}/{FILE}"] = _GIT_SHA1
        with pytest.raises(ModelFileError, match="not on IT's list of approved models"):
            download_model(HubSettings(endpoint=other.url), REPO, FILE, tmp_path / "n",
                           (_digest(model_bytes),))
    assert not (tmp_path / "n" / FILE).exists()
    assert not list((tmp_path / "n" / STAGING_DIR).iterdir())


def test_the_users_own_file_list_and_revision_change_nothing(
        mirror: Mirror, model_bytes: bytes, radval_home: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    from radval_desktop.cli import main
    from radval_desktop.config import load_settings

    radval_home.mkdir(parents=True, exist_ok=True)
    (radval_home / "system-config.toml").write_text(
        f'[hub]\nendpoint = "{mirror.url}"\nfiles = ["{REPO}/{FILE}"]\n', encoding="utf-8")
    (radval_home / "config").mkdir()
    (radval_home / "config" / "config.toml").write_text(
        '[hub]\nfiles = ["someone/else/model.gguf"]\nrevision = "unreviewed-branch"\n',
        encoding="utf-8")
    settings = load_settings()
    assert settings.hub().files == (f"{REPO}/{FILE}",)
    assert settings.hub().revision == "main"
    assert [w for w in settings.warnings if "hub." in w] == [
        f"{radval_home / 'config' / 'config.toml'}: 'hub.files' and 'hub.revision' are read "
        "from IT's settings file only; ignored here."]
    assert main(["models", "download", "someone/else/model.gguf"]) == 1
    assert "IT offers only" in capsys.readouterr().err
    assert mirror.requests == []
    assert main(["models", "download", f"{REPO}/{FILE}"]) == 0
    assert {r[1] for r in mirror.requests} == {f"/{REPO}/resolve/main/{FILE}"}
