"""`radval models ...`: the models folder(s), the hospital's mirror, per-institution adapters."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from radval_desktop.config import load_settings


def add_parsers(sub: argparse._SubParsersAction) -> None:
    # Issue 11: the models folder(s), the hospital's mirror, per-institution adapters.
    p_models = sub.add_parser("models", help="list the models and adapters; choose one")
    p_models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    actions = p_models.add_subparsers(dest="action")
    actions.add_parser("list", help="every GGUF found, and the files refused (the default)")
    p_use = actions.add_parser("use", help="draft with this model from now on (remembered)")
    p_use.add_argument("model", help="path, file name or model name from `radval models`")
    p_use.add_argument("--adapter", help="LoRA adapter to apply too; 'none' for none")
    p_adapter = actions.add_parser("adapter", help="apply this LoRA adapter to the model")
    p_adapter.add_argument("adapter", help="path, file name or name; 'none' removes it")
    p_download = actions.add_parser("download", help="fetch a model from IT's mirror "
                                    "(only when IT configured hub.endpoint)")
    p_download.add_argument("repo", help="owner/repo, or owner/repo/file.gguf")
    p_download.add_argument("file", nargs="?", help="file in the repo (e.g. model-q4_k_m.gguf)")


def _download_progress(done: int, total: int | None) -> None:
    shown = f"{done / 1e6:,.1f} / {total / 1e6:,.1f} MB" if total else f"{done / 1e6:,.1f} MB"
    percent = f" {100 * done // total:3d}%" if total else ""
    print(f"\rdownloading {shown}{percent}", end="", file=sys.stderr, flush=True)


def cmd_models(args: argparse.Namespace) -> int:
    import json

    from radval_desktop.config import save_user_settings
    from radval_desktop.engine import catalog as cat

    settings = load_settings()
    if settings.system_error:
        print(f"radval: {settings.system_error}", file=sys.stderr)
    if args.action == "download":
        from radval_desktop.engine.hub_mirror import download_model, split_spec

        repo, file = (args.repo, args.file) if args.file else split_spec(args.repo)
        path = download_model(settings.hub(), repo, file, settings.catalog().folders[0],
                              settings["model.allowed_sha256"], _download_progress)
        print(file=sys.stderr)
        print(f"downloaded and approved: {path}")
        return 0
    catalog = cat.scan_models(settings.catalog())
    if args.action in ("use", "adapter"):
        if args.action == "use":
            model, adapter = cat.choose(catalog, args.model, args.adapter)
        else:
            current = settings["model.path"] or next(
                (str(e.path) for e in catalog.models if e.source == cat.SOURCE_DEFAULT), "")
            model, adapter = cat.choose(catalog, current, args.adapter)
        save_user_settings(settings, cat.choice_settings(model, adapter))
        with_adapter = f" with the adapter {adapter.path.name}" if adapter else ""
        print(f"RadVal now drafts with {model.name} ({model.path}){with_adapter}.")
        return 0
    for path, digest in cat.hash_missing(catalog):
        catalog = catalog.with_sha256(path, digest)
    active = [Path(p) for p in (settings["model.path"], settings["model.adapter"]) if p]
    if not settings["model.path"]:
        active += [e.path for e in catalog.models if e.source == cat.SOURCE_DEFAULT]
    print(json.dumps(cat.catalog_json(catalog), indent=1, ensure_ascii=False) if args.json
          else cat.format_table(catalog, active))
    return 0
