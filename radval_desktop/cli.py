"""`radval` command line: argument parsing only; the work is done by the core packages."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from radval_desktop import __version__
from radval_desktop.config import load_settings, resolve_model_path
from radval_desktop.drafting import DraftRequest, draft
from radval_desktop.engine.llama_engine import LlamaEngine
from radval_desktop.errors import InputError, RadvalError
from radval_desktop.findings import clean_findings, suggest_body_system, suggest_modality
from radval_desktop.prompts import BODY_SYSTEMS, MODALITIES

EXIT_ERROR = 1
EXIT_NO_DRAFT = 3  # the guards rejected every attempt: nothing usable to print


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="radval", description=__doc__)
    parser.add_argument("--version", action="version", version=f"radval {__version__}")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("app", help="open the drafting window (the default)")

    p_draft = sub.add_parser("draft", help="print a draft impression for findings")
    p_draft.add_argument("file", nargs="?", default="-", help="findings file; - or none = stdin")
    p_draft.add_argument("--system", help=f"body system: {', '.join(BODY_SYSTEMS)} "
                         "(suggested from the findings when left out)")
    p_draft.add_argument("--modality", help=f"{', '.join(MODALITIES)} (suggested when left out)")
    p_draft.add_argument("--lang", default="auto", choices=("auto", "en", "zh"))
    p_draft.add_argument("--model", help="GGUF file (default: settings, else the embedded model)")
    p_draft.add_argument("--template", help="prompt template id (resources/prompt_templates.toml)")
    p_draft.add_argument("--stream", action="store_true", help="print tokens as they come")

    p_info = sub.add_parser("model-info", help="describe the model that drafts")
    p_info.add_argument("--model", help="GGUF file (default: settings, else the embedded model)")
    return parser


def _read_findings(file: str) -> str:
    try:
        data = sys.stdin.buffer.read() if file == "-" else open(file, "rb").read()  # noqa: SIM115
    except OSError as err:
        raise InputError(f"The findings file {file} cannot be read: {err.strerror}.") from err
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")  # Chinese hospital exports are often GBK
        except UnicodeDecodeError:
            raise InputError(
                "The findings are not text (neither UTF-8 nor GBK); pass a plain-text file."
            ) from None


def _load(model: str | None) -> tuple[LlamaEngine, str]:
    settings = load_settings()
    path, source = resolve_model_path(settings, model)
    engine = LlamaEngine(path, settings.engine())
    engine.load()
    return engine, source


def _cmd_draft(args: argparse.Namespace) -> int:
    findings = clean_findings(_read_findings(args.file))
    system = args.system or suggest_body_system(findings)
    if not system:
        raise InputError("The body system cannot be told from the findings; give --system.")
    modality = args.modality or suggest_modality(findings) or "CT"
    engine, _ = _load(args.model)
    settings = load_settings()
    template = args.template or settings["drafting.template"] or None
    request = DraftRequest(findings, system, modality, args.lang, template)
    if args.stream:
        from radval_desktop.drafting import DraftDone, DraftRestarted, DraftToken, draft_events

        result = None
        for event in draft_events(engine, request, settings.sampling()):
            if isinstance(event, DraftToken):
                print(event.text, end="", flush=True, file=sys.stderr)
            elif isinstance(event, DraftRestarted):
                print(f"\n[retrying: {event.reason}]", file=sys.stderr)
            elif isinstance(event, DraftDone):
                result = event.result
        print(file=sys.stderr)
        assert result is not None
    else:
        result = draft(engine, request, settings.sampling())
    engine.close()
    if not result.ok:
        print(f"radval: {result.message}", file=sys.stderr)
        return EXIT_NO_DRAFT
    print(result.text)
    return 0


def _cmd_model_info(args: argparse.Namespace) -> int:
    engine, source = _load(args.model)
    info = engine.info
    assert info is not None
    template = "yes (from the GGUF)" if info.chat_template else "none: plain prompt layout"
    rows = [
        ("name", info.name),
        ("file", str(info.path)),
        ("chosen by", source),
        ("architecture", info.architecture),
        ("parameters", f"{info.parameters:,}"),
        ("quantization", info.quantization),
        ("file size", f"{info.file_size / 1e6:,.1f} MB"),
        ("context", f"{info.n_ctx:,} tokens (trained {info.context_length or '?'})"),
        ("chat template", template),
        ("device", info.device.describe()),
        ("load time", f"{info.load_seconds:.2f} s"),
        ("sha256", info.sha256),
    ]
    for key, value in rows:
        print(f"{key:>14}: {value}")
    engine.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="radval: %(message)s")
    if args.command in (None, "app"):
        from radval_desktop.ui.app import main as app_main

        return app_main([])
    try:
        if args.command == "draft":
            return _cmd_draft(args)
        return _cmd_model_info(args)
    except RadvalError as err:
        print(f"radval: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
