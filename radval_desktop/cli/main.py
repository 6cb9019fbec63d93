"""`radval` command line: argument parsing only; the work is done by the core packages."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from radval_desktop import __version__
from radval_desktop.cli import batch, models, study
from radval_desktop.cli.options import EXIT_LOCKED, LockedOptionError, check_locked
from radval_desktop.config import Settings, load_settings, resolve_model_path
from radval_desktop.drafting import DraftRequest, draft
from radval_desktop.engine.llama_engine import LlamaEngine
from radval_desktop.errors import InputError, RadvalError
from radval_desktop.findings import clean_findings, suggest_body_system, suggest_modality
from radval_desktop.prompts import BODY_SYSTEMS, MODALITIES
from radval_desktop.safety.checks import TITLES
from radval_desktop.safety.retrieval import ExampleCorpus

# What `radval --help` says to a radiologist, a study lead or IT (the module docstring is
# for developers).
_DESCRIPTION = ("RadVal Desktop drafts the IMPRESSION of a CT or MRI report from its FINDINGS "
                "on this computer: no report leaves it. Without a command it opens the drafting "
                "window.")
_EPILOG = ("`radval COMMAND --help` describes a command. `radval --self-test` checks an "
           "installation.")

EXIT_ERROR = 1
EXIT_NO_DRAFT = 3  # the guards rejected every attempt: nothing usable to print


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="radval", description=_DESCRIPTION,
                                     epilog=_EPILOG)
    parser.add_argument("--version", action="version", version=f"radval {__version__}")
    # Issue 10: what IT runs after installing; needs no display.
    parser.add_argument("--self-test", action="store_true",
                        help="load the model, draft one fixed impression, check the database "
                        "and fonts; print a verdict; exit 0 when all pass")
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
    p_draft.add_argument("--examples", type=int, metavar="K",
                         help="K retrieved past examples in the prompt; 0 = none "
                         "(default: settings' drafting.examples)")
    # Issue 8: the corpus of accepted pairs that retrieval draws examples from.
    p_examples = sub.add_parser("examples", help="the corpus of past examples").add_subparsers(
        dest="action", required=True)
    p_ex_import = p_examples.add_parser("import", help="add a case file's pairs to the corpus")
    p_ex_import.add_argument("file", help="CSV, XLSX or JSONL with findings, impression, "
                             "body_system and optionally modality, institution")
    p_ex_import.add_argument("--institution", default="", help="for rows that name none")

    p_info = sub.add_parser("model-info", help="describe the model that drafts")
    p_info.add_argument("--model", help="GGUF file (default: settings, else the embedded model)")

    p_report = sub.add_parser("report", help="write the study report: HTML, PDF, tables, charts")
    p_report.add_argument("--db", "--study", dest="db", required=True, help="SQLite file")
    p_report.add_argument("--out", default="radval-report",
                          help="folder for report.html, report.pdf, .md, .csv and charts")
    p_report.add_argument("--study-name", dest="study_name",
                          help="the reader study to report (needed when the file holds several)")
    p_report.add_argument("--institution-1", dest="institution_1",
                          help="the internal institution (default: the study's setting, else the "
                          "first in the data)")
    p_report.add_argument("--language", default="auto",
                          choices=("auto", "en", "zh_CN", "zh"),
                          help="the language of report.html, .pdf and .md (auto: ui.language, "
                          "else the shell's locale, as --self-test; the CSV files stay English)")
    batch.add_parsers(sub)
    study.add_parsers(sub)
    models.add_parsers(sub)
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


def _load(settings: Settings, model: str | None) -> tuple[LlamaEngine, str]:
    check_locked(settings, "model.path", "--model", model)
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
    settings = load_settings()
    check_locked(settings, "drafting.template", "--template", args.template)
    check_locked(settings, "drafting.examples", "--examples", args.examples)
    engine, _ = _load(settings, args.model)
    template = args.template or settings["drafting.template"] or None
    k = settings["drafting.examples"] if args.examples is None else args.examples
    request = DraftRequest(findings, system, modality, args.lang, template, examples_k=k,
                           examples_chars=settings["drafting.examples_chars"])
    corpus = batch.user_corpus() if k > 0 else None
    if args.stream:
        from radval_desktop.drafting import DraftDone, DraftRestarted, DraftToken, draft_events

        result = None
        for event in draft_events(engine, request, settings.sampling(), corpus=corpus):
            if isinstance(event, DraftToken):
                print(event.text, end="", flush=True, file=sys.stderr)
            elif isinstance(event, DraftRestarted):
                print(f"\n[retrying: {event.reason}]", file=sys.stderr)
            elif isinstance(event, DraftDone):
                result = event.result
        print(file=sys.stderr)
        assert result is not None
    else:
        result = draft(engine, request, settings.sampling(), corpus=corpus)
    engine.close()
    if result.prompt_note:
        print(f"radval: note: {result.prompt_note}", file=sys.stderr)
    if not result.ok:
        print(f"radval: {result.message}", file=sys.stderr)
        return EXIT_NO_DRAFT
    # The safety checks the window shows, one a line on stderr: stdout stays the draft.
    for flag in result.flags:
        print(f"radval: check: {TITLES[flag.kind]}: {flag.reason}", file=sys.stderr)
    print(result.text)
    return 0


def _cmd_examples(args: argparse.Namespace) -> int:
    from radval_desktop.safety.retrieval import import_pairs
    from radval_desktop.store.database import database_path, open_database

    path = database_path()
    corpus = ExampleCorpus(open_database(path), path)
    summary = import_pairs(corpus, args.file, args.institution)
    for problem in summary.problems:
        print(f"radval: {Path(args.file).name} {problem}; skipped", file=sys.stderr)
    print(f"{summary.added} pairs added, {summary.duplicates} already there; "
          f"the corpus holds {corpus.count()}")
    return 0


def _cmd_model_info(args: argparse.Namespace) -> int:
    engine, source = _load(load_settings(), args.model)
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
        ("computed from", f"a {info.compute_type} copy in memory (model.bf16_copy)"
         if info.compute_type else "the file as it is"),
        ("file size", f"{info.file_size / 1e6:,.1f} MB"),
        ("context", f"{info.n_ctx:,} tokens (trained {info.context_length or '?'})"),
        ("chat template", template),
        ("device", info.device.describe()),
        ("threads", str(info.threads)),
        ("load time", f"{info.load_seconds:.2f} s"),
        ("sha256", info.sha256),
    ]
    if info.adapter:  # issue 11: an institution's LoRA adapter on top of the model
        rows.append(("adapter", f"{info.adapter.path} (sha256 {info.adapter.sha256[:12]}…)"))
    rows += _card_rows(engine)
    for key, value in rows:
        print(f"{key:>14}: {value}")
    engine.close()
    return 0


def _card_rows(engine: LlamaEngine) -> list[tuple[str, str]]:
    # Issue 7: a fine-tuned model's card (training's export writes it beside the GGUF).
    from radval_desktop.engine.model_card import card_path, loaded_card

    model = engine.path
    lookup = loaded_card(engine)
    if lookup.card is not None:
        return lookup.card.facts()
    if lookup.problem:
        return [("model card", f"ignored: {lookup.problem}")]
    return [("model card", f"none ({card_path(model).name} not found)")]


def _cmd_report(args: argparse.Namespace) -> int:
    from radval_desktop.catalogue import cli_language, setting_language
    from radval_desktop.store.database import open_database
    from radval_desktop.study.report_language import report_words
    from radval_desktop.study.results import report_title, write_report
    from radval_desktop.ui.report_pdf import write_pdf

    db_path = Path(args.db)
    if not db_path.is_file():
        raise InputError(f"There is no database at {db_path}.")
    # A report is handed to colleagues: it speaks as the self-test does, unless told.
    language = setting_language(args.language) or cli_language(load_settings()["ui.language"])
    words = report_words(language)
    db = open_database(db_path)
    try:
        written = write_report(db, Path(args.out), report_title(words, db_path.name),
                               args.study_name, args.institution_1, pdf_writer=write_pdf,
                               words=words)
    finally:
        db.close()
    print(written.markdown.read_text(encoding="utf-8"))
    print(f"written: {written.html}, {written.pdf}, {written.markdown} and "
          f"{len(written.files)} CSV and chart files")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:2] == ["batch", "merge"]:  # a subcommand of batch, whose first word is a file
        words[:2] = [batch.MERGE]
    args = _parser().parse_args(words)
    logging.basicConfig(level=logging.WARNING, format="radval: %(message)s")
    if args.self_test:
        from radval_desktop.self_test import main as self_test_main

        return self_test_main()
    if args.command in (None, "app"):
        from radval_desktop.ui.app import main as app_main

        return app_main([])
    commands = {"draft": _cmd_draft, "model-info": _cmd_model_info, "batch": batch.cmd_batch,
                batch.MERGE: batch.cmd_batch_merge,
                "report": _cmd_report, "study": study.cmd_study, "scores": study.cmd_scores,
                "examples": _cmd_examples, "models": models.cmd_models}
    try:
        return commands[args.command](args)
    except LockedOptionError as err:
        print(f"radval: {err}", file=sys.stderr)
        return EXIT_LOCKED
    except RadvalError as err:
        print(f"radval: {err}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
