"""An ordinary user cannot load a model or adapter IT has not approved (issue 17, done-when).

A child process runs as the unprivileged user `nobody` (CI runs as root: the child drops to
`nobody` with setpriv; a developer's own account is already unprivileged). It runs as the
installed app does (sys.frozen, as PyInstaller sets it, so RADVAL_SYSTEM_CONFIG is ignored by
the real check), with the installed app's fixed IT path moved to this test's IT file, which
`nobody` can read but not change. IT approves the default model and one adapter. The user
owns their models folder and tries every way in: an environment variable, their own config,
a forged digest cache, a rewrite keeping size and mtime, a command-line flag, swapping the
model or the adapter after the check (renamed over it, or rewritten in place, right before
llama.cpp opens it), and a model card. What llama.cpp actually loaded is recorded from
llama.cpp itself (the loaded model's and adapter's general.name).
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from gguf_builder import write_lora_adapter
from unprivileged import as_user

from radval_desktop.engine.checksums import sha256_file
from radval_desktop.engine.default_model import DEFAULT

REPO = Path(__file__).resolve().parents[2]
APPROVED_NAME = b"Qwen2.5 Coder 0.5B Instruct AWQ"
OTHER_NAME = b"Not approved by IT, same length"

_CHILD = r'''
import contextlib, ctypes, io, json, os, sys
from pathlib import Path

folder = Path(sys.argv[1])
models = folder / "models"
os.environ.update(RADVAL_HOME=str(folder / "home"), RADVAL_CACHE=str(folder / "cache"),
                  RADVAL_SYSTEM_CONFIG=str(folder / "mine.toml"))  # the user's own "IT file"
sys.frozen = True  # as the installed app runs: RADVAL_SYSTEM_CONFIG must not be honoured

import llama_cpp
from radval_desktop import paths
paths.LINUX_SYSTEM_CONFIG = Path(sys.argv[2])  # the installed app's fixed path, here

from radval_desktop.cli import main
from radval_desktop.config import load_settings, resolve_model_path
from radval_desktop.drafting import DraftRequest, prepare_draft
from radval_desktop.engine.checksums import remember_sha256
from radval_desktop.engine.llama_engine import LlamaEngine

APPROVED, OTHER = b"Qwen2.5 Coder 0.5B Instruct AWQ", b"Not approved by IT, same length"
loaded, attack = [], {"model": None, "adapter": None}
real_llama, real_adapter = llama_cpp.Llama, llama_cpp.llama_adapter_lora_init


class Recorded(real_llama):
    def __init__(self, *args, **kwargs):
        if attack["model"]:
            attack["model"]()
        super().__init__(*args, **kwargs)
        loaded.append("model: " + str(self.metadata.get("general.name")))


def recorded_adapter(model, path):
    if attack["adapter"]:
        attack["adapter"]()
    adapter = real_adapter(model, path)
    if adapter:
        buf = ctypes.create_string_buffer(256)
        llama_cpp.llama_adapter_meta_val_str(adapter, b"general.name", buf, 256)
        loaded.append("adapter: " + buf.value.decode())
    return adapter


llama_cpp.Llama, llama_cpp.llama_adapter_lora_init = Recorded, recorded_adapter


def user_config(**model):
    text = "[history]\nenabled = false\n[model]\nn_ctx = 512\nn_threads = 1\n"
    text += "".join(f"{k} = {json.dumps(v)}\n" for k, v in model.items())
    paths.user_config_file().write_text(text, encoding="utf-8")


def run(name, *args, **config):
    user_config(**config)
    loaded.clear()
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()) as out:
        code = main(list(args))
    attack.update(model=None, adapter=None)
    results[name] = {"code": code, "loaded": list(loaded), "stderr": err.getvalue(),
                     "stdout": out.getvalue()}


def patch_name(path, old, new):
    with open(path, "r+b") as handle:
        head = handle.read(1 << 20)
        handle.seek(head.index(old))
        handle.write(new)


results = {"uid": os.geteuid()}
approved, other = str(models / "approved.gguf"), str(models / "other.gguf")
adapter, other_adapter = str(models / "hospital-a.gguf"), str(models / "hospital-x.gguf")
paths.user_config_file().parent.mkdir(parents=True, exist_ok=True)
(folder / "mine.toml").write_text(f"[model]\npath = {json.dumps(other)}\n", encoding="utf-8")

run("control", "model-info", path=approved, adapter=adapter)
run("environment", "model-info", path=other)
run("own config", "model-info", path=other, sha256=sys.argv[3], allowed_sha256=[sys.argv[3]])
remember_sha256(Path(other), sys.argv[4])  # the user's cache says: this is the approved model
run("forged cache", "model-info", path=other)
stat = os.stat(approved)
patch_name(approved, APPROVED, OTHER)
os.utime(approved, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same mtime
run("rewrite keeping size and mtime", "model-info", path=approved)
patch_name(approved, OTHER, APPROVED)
run("command line", "model-info", "--model", other, path=approved)
run("command line draft", "draft", "--model", other, "--lang", "en", "--system", "chest",
    "--modality", "CT", "-", path=approved)
attack["model"] = lambda: patch_name(approved, APPROVED, OTHER)
run("model rewritten after the check", "model-info", path=approved)
patch_name(approved, OTHER, APPROVED)
attack["adapter"] = lambda: Path(adapter).write_bytes(Path(other_adapter).read_bytes())
adapter_bytes = Path(adapter).read_bytes()
run("adapter rewritten after the check", "model-info", path=approved, adapter=adapter)
Path(adapter).write_bytes(adapter_bytes)
attack["adapter"] = lambda: os.replace(other_adapter, adapter)
run("adapter renamed after the check", "model-info", path=approved, adapter=adapter)
attack["model"] = lambda: os.replace(other, approved)
run("model renamed after the check", "model-info", path=approved)

# A model card the user wrote beside the approved model (now back to approved bytes).
patch_name(approved, OTHER, APPROVED)
user_config(path=approved)
settings = load_settings()
engine = LlamaEngine(resolve_model_path(settings)[0], settings.engine())
engine.load()
try:
    prompt = prepare_draft(engine, DraftRequest("Lungs clear.", "chest", "CT", "en"),
                           fit=False).prompt
    results["model card"] = {"user": prompt.user, "template": prompt.template_id}
finally:
    engine.close()
print(json.dumps(results))
'''


def _card(model: Path) -> None:
    templates = (REPO / "resources" / "prompt_templates.toml").read_text(encoding="utf-8")
    templates += ('\n[[templates]]\nid = "t9_mine"\ntitle = "mine"\n'
                  'en = "USER CARD: write anything."\nzh = "USER CARD"\n')
    card = {"format": "radval-model-card", "format_version": 1,
            "model": {"file": model.name, "sha256": DEFAULT.sha256},
            "prompt": {"template_id": "t9_mine", "template_version": "mine",
                       "templates_toml": templates}}
    model.with_name(model.stem + ".card.json").write_text(json.dumps(card), encoding="utf-8")


def test_an_ordinary_user_cannot_load_an_unapproved_model_or_adapter(
        default_model_path: Path) -> None:
    # Under /tmp, not pytest's 0700 folder, so that `nobody` can reach it.
    folder = Path(tempfile.mkdtemp(prefix="radval-user-"))
    try:
        folder.chmod(0o755)
        it_folder = folder / "it"  # IT's, not the user's: nobody may replace the file
        it_folder.mkdir(mode=0o755)
        models = folder / "models"
        models.mkdir()
        approved = models / "approved.gguf"
        shutil.copyfile(default_model_path, approved)
        other = models / "other.gguf"
        shutil.copyfile(approved, other)
        with other.open("r+b") as handle:
            head = handle.read(1 << 20)
            handle.seek(head.index(APPROVED_NAME))
            handle.write(OTHER_NAME)
        adapter = write_lora_adapter(models / "hospital-a.gguf", seed=11)
        write_lora_adapter(models / "hospital-x.gguf", seed=12)
        _card(approved)
        adapter_sha256 = sha256_file(adapter)
        it_file = it_folder / "config.toml"
        it_file.write_text(f'[model]\nallowed_sha256 = ["{DEFAULT.sha256}", "{adapter_sha256}"]'
                           "\n", encoding="utf-8")
        it_file.chmod(0o644)
        if os.geteuid() == 0:  # the user owns their folders and models, as on a workstation
            nobody = pwd.getpwnam("nobody")
            for path in [folder, models, *models.iterdir()]:
                os.chown(path, nobody.pw_uid, nobody.pw_gid)
        proc = subprocess.run(
            as_user([sys.executable, "-c", _CHILD, str(folder), str(it_file),
                      sha256_file(other), DEFAULT.sha256]),
            cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
            input="Patchy consolidation in the right lower lobe.")
        assert proc.returncode == 0, proc.stderr[-3000:]
        results = json.loads(proc.stdout.splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    assert results["uid"] != 0  # the checks ran unprivileged
    approved_model = "model: " + APPROVED_NAME.decode()
    approved_adapter = "adapter: hospital-a (hand-made)"
    # The control: IT's approved model and adapter do load, as this user, from this folder.
    control = results["control"]
    assert control["code"] == 0, control["stderr"]
    assert control["loaded"] == [approved_model, approved_adapter]
    assert adapter_sha256[:12] in control["stdout"]
    refused = ["environment", "own config", "forged cache", "rewrite keeping size and mtime",
               "command line", "command line draft"]
    for name in refused:
        outcome = results[name]
        assert outcome["code"] != 0, name
        assert outcome["loaded"] == [], name
        assert "not on IT's list of approved models" in outcome["stderr"], (name, outcome)
    for name in ("model rewritten after the check", "model renamed after the check"):
        outcome = results[name]
        assert outcome["code"] == 0, (name, outcome["stderr"])
        assert outcome["loaded"] == [approved_model], name
        assert DEFAULT.sha256 in outcome["stdout"], name
    for name in ("adapter rewritten after the check", "adapter renamed after the check"):
        outcome = results[name]
        assert outcome["code"] == 0, (name, outcome["stderr"])
        assert outcome["loaded"] == [approved_model, approved_adapter], name
    card = results["model card"]
    assert "USER CARD" not in card["user"]
    assert card["template"] != "t9_mine"
