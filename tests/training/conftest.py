"""Session fixtures for training: the tiny model, the fixture exports, the converter, and one
run taken through prepare -> train -> merge -> export that several tests inspect."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fixture_exports import write_exports
from training_helpers import FAST, MODEL_CACHE, env, fast_recipe, refuse_network, training_texts


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """One intra-op thread: on 2 shared cores torch's spinning OpenMP threads made 20 tiny
    steps take 3.1 s instead of 0.55 s while other processes ran."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tiny_model import build_tiny_llama

    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama") / "model", training_texts())


@pytest.fixture(scope="session")
def institutions_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_exports(tmp_path_factory.mktemp("exports"))


@pytest.fixture(scope="session")
def converter() -> Any:
    """llama.cpp's converter, unpacked into the test cache (fetched once if missing)."""
    from training.converter import fetch_converter

    with env(RADVAL_CACHE=str(MODEL_CACHE)):
        found, _ = fetch_converter()
    return found


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path,
                institutions_file: Path, converter: Any) -> dict[str, Any]:
    """`python -m training all` once (in this process, network refused), shared by the
    end-to-end tests: prepare -> train -> merge -> export."""
    from training.__main__ import main
    from training.run_folder import RunFolder

    run = RunFolder(tmp_path_factory.mktemp("run") / "run")
    sets = [f"model.base={tiny_base}", f"data.institutions={institutions_file}"]
    arguments = ["all", "--run-dir", str(run.root)]
    for value in (*FAST, *sets):
        arguments += ["--set", value]
    # A loose umask, as on a shared GPU server: the run folder must be owner-only anyway.
    umask = os.umask(0o002)
    try:
        with env(RADVAL_CACHE=str(MODEL_CACHE),
                 RADVAL_HOME=str(tmp_path_factory.mktemp("home"))), refuse_network() as attempts:
            code = main(arguments)
    finally:
        os.umask(umask)
    assert code == 0
    steps = json.loads(run.record_file.read_text(encoding="utf-8"))["steps"]
    return {"run": run, "recipe": fast_recipe(tiny_base, institutions_file),
            "train": steps["train"]["summary"], "export": steps["export"]["summary"],
            "times": {name: step["seconds"] for name, step in steps.items()},
            "network": attempts}
