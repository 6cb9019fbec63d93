"""`radval batch` (in process, or through a server IT lists; whole or one shard) and
`radval batch merge`."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from radval_desktop.cli.options import LockedOptionError, check_locked, column_mapping
from radval_desktop.config import Settings, load_settings, resolve_model_path
from radval_desktop.errors import InputError
from radval_desktop.safety.retrieval import ExampleCorpus

if TYPE_CHECKING:
    from radval_desktop.engine.served import Server
    from radval_desktop.evaluation.batch import BatchProgress, ModelSummary

MERGE = "batch merge"  # `radval batch merge ...`: main() turns the two words into this one


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p_batch = sub.add_parser("batch", help="run models over a case file (resumable); "
                             "`radval batch merge` combines shards")
    p_batch.add_argument("cases", help="CSV, XLSX or JSONL with findings, impression, "
                         "body_system, modality and optionally institution")
    p_batch.add_argument("--db", required=True, help="SQLite file that keeps the outputs")
    p_batch.add_argument("--model", action="append", default=[],
                         help="GGUF file; repeat to compare models (default: the configured one). "
                         "With --server: the GGUF whose chat template and vocabulary build the "
                         "prompts (the served model's own, in any quantization)")
    p_batch.add_argument("--adapter", metavar="FILE",
                         help="GGUF LoRA adapter llama.cpp applies on top of each --model "
                         "(issue 16), under IT's allowlist as in the window; its drafts are "
                         "stored apart from the model's own")
    p_batch.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                         help="column mapping, e.g. --map findings=检查所见")
    p_batch.add_argument("--sheet", help="XLSX: read only this sheet (default: every sheet)")
    p_batch.add_argument("--institution", default="1",
                         help="institution for rows that name none (default 1)")
    p_batch.add_argument("--template", help="prompt template id")
    p_batch.add_argument("--limit", type=int, help="only the first N cases")
    p_batch.add_argument("--examples", type=int, metavar="K",
                         help="K retrieved past examples per prompt, as in the window; never the "
                         "case itself or a near copy (default: IT's drafting.examples when it "
                         "fixed one, else 0: the starter examples)")
    p_batch.add_argument("--corpus", help="case file (CSV, XLSX, JSONL) whose pairs are the "
                         "examples (default: your own corpus, `radval examples import`)")
    # Issue 18: serving engines, shards and progress for long runs.
    p_batch.add_argument("--server", metavar="NAME",
                         help="draft through this OpenAI-compatible server from IT's "
                         "[batch] servers list; without IT's list nothing leaves the machine")
    p_batch.add_argument("--server-model", metavar="ID",
                         help="the model id to ask the server for (default: the only one it "
                         "serves)")
    p_batch.add_argument("--requests", type=int, default=4, metavar="K",
                         help="drafts in flight to the server at once (default 4)")
    p_batch.add_argument("--tries", type=int, default=4, metavar="N",
                         help="tries of a draft the server fails, waits doubling from 1 s to "
                         "30 s, before the case is left for the next run (default 4)")
    p_batch.add_argument("--shard", metavar="i/n",
                         help="only shard i of n (split by a hash of each case): run one on "
                         "each of n machines, then `radval batch merge`")
    p_batch.add_argument("--parallel", type=int, default=0, metavar="N",
                         help="decode N cases together in one llama.cpp context on the cores "
                         "other programs leave idle (fewer cases when the context cannot hold "
                         "N prompts); default: one at a time, as the window drafts")
    p_batch.add_argument("--threads", type=int, metavar="N",
                         help="llama.cpp threads (default: model.n_threads; when that is 0, "
                         "--parallel decodes on the cores other programs leave idle, looked "
                         "at again every 2 s)")
    p_batch.add_argument("--progress", choices=("bar", "json"), default="bar",
                         help="bar: one line redrawn on stderr; json: one JSON object a line "
                         "on stdout per update, for a scheduler")
    p_merge = sub.add_parser(MERGE, help="shards' databases into one (idempotent)")
    p_merge.add_argument("dbs", nargs="+", help="the shards' SQLite files")
    p_merge.add_argument("-o", "--out", required=True, help="the merged database")


def user_corpus() -> ExampleCorpus:
    from radval_desktop.store.database import database_path, open_database

    path = database_path()
    return ExampleCorpus(open_database(path), path)


def _file_corpus(file: str, folder: Path, say: Callable[[str], None]) -> ExampleCorpus:
    """A case file's pairs as a corpus, in a scratch database that goes with ``folder``."""
    from radval_desktop.safety.retrieval import import_pairs
    from radval_desktop.store.database import open_database

    path = folder / "corpus.db"
    corpus = ExampleCorpus(open_database(path), path)
    summary = import_pairs(corpus, file)
    for problem in summary.problems:
        say(f"{Path(file).name} {problem}; not an example.")
    return corpus


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    minutes, secs = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@dataclass
class Progress:
    """Shows a run's progress: a redrawn bar on stderr, or JSON lines on stdout."""

    mode: str  # "bar" or "json"
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    models: dict[str, dict[str, int]] = field(default_factory=dict)  # name -> its counts

    def update(self, p: BatchProgress) -> None:
        self.models[p.model] = {"total": p.total, "done": p.done, "generated": p.generated,
                                "skipped": p.skipped, "failed": p.failed, "left": p.left}
        if self.mode == "json":
            self._json({"event": "progress", "model": p.model, **self.models[p.model],
                        "cases_per_s": round(p.cases_per_second, 4),
                        "eta_s": None if p.eta_seconds is None else round(p.eta_seconds, 1),
                        "elapsed_s": round(p.elapsed, 1), "models": self.models})
            return
        width = 24
        filled = width * p.done // max(p.total, 1)
        bar = "#" * filled + "-" * (width - filled)
        print(f"\r{p.model[:24]:<24} [{bar}] {p.done}/{p.total} new {p.generated} done before "
              f"{p.skipped} too long {p.failed} left {p.left} | {p.cases_per_second:.2f} "
              f"cases/s ETA {_duration(p.eta_seconds)}", end="", file=self.err, flush=True)

    def finished(self, s: ModelSummary) -> None:
        if self.mode == "json":
            self._json({"event": "model_done", **asdict(s)})
            return
        print(file=self.err)
        for problem in s.problems:
            print(f"radval: {problem}", file=self.err)
        left = f", {s.left} left for the next run" if s.left else ""
        print(f"{s.model}: {s.generated} generated, {s.skipped} already done, {s.failed} too "
              f"long for the model{left}, {s.seconds:.1f} s", file=self.out)

    def note(self, text: str) -> None:
        """A sentence about the run (a row skipped, --parallel reduced): JSON too in json
        mode, so nothing but JSON ever reaches a scheduler's stdout."""
        if self.mode == "json":
            self._json({"event": "note", "text": text})
        else:
            print(f"radval: {text}", file=self.err, flush=True)

    def _json(self, event: dict[str, object]) -> None:
        print(json.dumps(event, ensure_ascii=False), file=self.out, flush=True)


def _server(settings: Settings, args: argparse.Namespace) -> Server:
    """IT's server by name, checked before anything else runs: none listed, nothing sent."""
    from radval_desktop.engine.served import Server

    servers = settings.servers()
    if args.server not in servers:
        listed = (f"IT lists {', '.join(sorted(servers))}" if servers
                  else "IT lists no server ([batch] servers in IT's settings file)")
        raise LockedOptionError(f"--server {args.server} is refused: {listed}, and only a "
                                "server IT lists may receive findings. Nothing was sent.")
    if len(args.model) > 1:
        raise InputError("With --server give at most one --model: the GGUF whose template and "
                         "vocabulary build the served model's prompts.")
    return Server(args.server, servers[args.server], args.server_model or "")


def cmd_batch(args: argparse.Namespace) -> int:
    # Imported here: `radval draft` must not pay for jieba and rouge-score at start-up.
    from radval_desktop.case_files import read_cases
    from radval_desktop.engine.served import RetryPolicy
    from radval_desktop.evaluation.batch import (
        BATCH_REQUIRED,
        cases_from_rows,
        in_shard,
        parse_shard,
        run_model,
        run_server,
    )
    from radval_desktop.store.database import open_database
    from radval_desktop.store.evaluation_runs import case_uuid, save_cases

    settings = load_settings()
    settings.check_system_file()  # issue 17: IT's locks unknown, so no model runs
    server = _server(settings, args) if args.server else None
    shard = parse_shard(args.shard) if args.shard else None
    if args.requests < 1 or args.tries < 1:
        raise InputError("--requests and --tries take a number of 1 or more.")
    if args.parallel < 0:
        raise InputError("--parallel takes a number of 1 or more.")
    if args.threads is not None and args.threads < 1:
        raise InputError("--threads takes a number of 1 or more.")
    if args.parallel and server is not None:
        # Refused, not turned into --requests: the server batches what is in flight itself
        # (llama-server, vLLM), so K requests is the one number to give, and two flags
        # meaning one thing would hide which was meant.
        raise InputError(f"--parallel decodes cases together in this process and --server "
                         f"drafts on the server {args.server}, so the two do not go together. "
                         f"Use --requests {args.parallel} to have the server draft "
                         f"{args.parallel} cases at once. Nothing was sent.")
    for model in args.model:
        check_locked(settings, "model.path", "--model", model)
    check_locked(settings, "model.adapter", "--adapter", args.adapter)
    check_locked(settings, "drafting.template", "--template", args.template)
    check_locked(settings, "model.n_threads", "--threads", args.threads)
    check_locked(settings, "drafting.examples", "--examples", args.examples)
    # Batch's own default is 0 (the starter examples, as evaluated); IT's lock wins over it.
    examples = (settings["drafting.examples"] if "drafting.examples" in settings.locked
                else args.examples or 0)
    read = read_cases(args.cases, required=BATCH_REQUIRED, mapping=column_mapping(args.map),
                      defaults={"institution": args.institution}, sheet=args.sheet)
    # Notes go where the progress goes: with --progress json a scheduler reads them as JSON.
    progress = Progress(args.progress)
    for problem in read.problems:
        progress.note(f"{Path(args.cases).name} {problem}; skipped.")
    rows = read.rows[: args.limit] if args.limit else read.rows
    cases = cases_from_rows(rows, Path(args.cases).name, args.institution)
    if shard:
        cases = [c for c in cases if in_shard(case_uuid(
            c.institution, c.body_system, c.modality, c.findings, c.reference_impression), shard)]
    if not cases:
        raise InputError(f"{args.cases} has no usable case"
                         f"{' in shard ' + args.shard if shard else ''}.")
    db = open_database(Path(args.db))
    ids = save_cases(db, cases)
    models = [Path(m) for m in args.model] or [resolve_model_path(settings)[0]]
    template = args.template or settings["drafting.template"] or None
    with tempfile.TemporaryDirectory(prefix="radval-corpus-") as scratch:
        corpus = None
        if examples > 0:
            corpus = (_file_corpus(args.corpus, Path(scratch), progress.note) if args.corpus
                      else user_corpus())
        engine, sampling = settings.engine(), settings.sampling()
        if args.adapter:
            engine = replace(engine, adapter_path=args.adapter)
        if args.threads:
            engine = replace(engine, n_threads=args.threads)
        if server is not None:
            progress.finished(run_server(
                db, server, models[0], cases, ids, requests=args.requests,
                policy=RetryPolicy(tries=args.tries), engine_settings=engine, sampling=sampling,
                template_id=template, examples_k=examples, corpus=corpus,
                on_progress=progress.update))
        else:
            for model in models:
                progress.finished(run_model(
                    db, model, cases, ids, engine_settings=engine, sampling=sampling,
                    template_id=template, examples_k=examples, corpus=corpus,
                    on_progress=progress.update, parallel=args.parallel,
                    on_note=progress.note))
        if corpus is not None:
            corpus.db.close()
    return 0


def cmd_batch_merge(args: argparse.Namespace) -> int:
    from radval_desktop.store.merge import merge_databases

    # The same merge as `scores merge`: rows are keyed by their content, so merging shards
    # (or the same shard twice) never doubles a case or an output.
    report = merge_databases([Path(p) for p in args.dbs], Path(args.out))
    for problem in report.problems:
        print(f"problem: {problem}")
    added = ", ".join(f"{n} {t}" for t, n in report.added.items() if n)
    print(f"merged {len(args.dbs)} files into {args.out}: {added or 'nothing new'}; "
          f"{report.left_out} row{'' if report.left_out == 1 else 's'} left out")
    return 0
