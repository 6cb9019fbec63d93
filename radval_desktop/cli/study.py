"""`radval study ...` and `radval scores ...`: reader-study set-up, export and merge."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from radval_desktop.cli.options import column_mapping
from radval_desktop.errors import InputError

if TYPE_CHECKING:  # the store is imported when a command runs, not when the CLI parses
    from radval_desktop.store.reader_study import Study


def add_parsers(sub: argparse._SubParsersAction) -> None:
    # Issue 5: the reader study. `study` sets it up; `scores` gets the answers out.
    study = sub.add_parser("study", help="set up a reader study").add_subparsers(
        dest="action", required=True)
    p_import = study.add_parser("import", help="cases and candidate impressions from a file")
    p_import.add_argument("file", help="CSV, XLSX or JSONL with findings, model, candidate and "
                          "optionally impression, institution, body_system, modality")
    p_import.add_argument("--db", required=True, help="the study's SQLite file")
    p_import.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                          help="column mapping, e.g. --map candidate=生成结果")
    p_import.add_argument("--columns", action="append", default=[], metavar="FIELD=COLUMN,...",
                          help="column mapping as comma-separated pairs, e.g. --columns "
                          "findings=检查所见,impression=诊断意见,model=模型名 (fields: findings, "
                          "impression, model, candidate, institution, body_system, modality, "
                          "case_id, age, sex); remembered for files with the same header")
    p_import.add_argument("--institution", default="1", help="for rows that name none")
    p_import.add_argument("--model-name", dest="model_name", default="",
                          help="the model of rows that name none, e.g. radiologist for a "
                          "reporting system's own impressions imported as candidates")
    p_create = study.add_parser("create", help="a study over every candidate in the file")
    p_create.add_argument("--db", required=True)
    p_create.add_argument("--name", required=True)
    p_create.add_argument("--show-reference", action="store_true",
                          help="show raters the reference impression (hidden by default)")
    p_create.add_argument("--institution-1", dest="institution_1", required=True,
                          help="the internal institution (IHG), as the cases name it")
    p_create.add_argument("--seed", type=int, help="shuffle seed (default: from the name)")
    p_assign = study.add_parser("assign", help="give a rater their shuffled order now")
    p_assign.add_argument("--db", required=True)
    p_assign.add_argument("--study", required=True)
    p_assign.add_argument("--rater", required=True)
    p_assign.add_argument("--level", required=True, choices=("junior", "intermediate", "senior"))
    p_assign.add_argument("--change-level", action="store_true", dest="change_level",
                          help="change the level of a rater already in the file (refused "
                          "otherwise: a level decides which group's mean the rater counts in)")
    # Issue 19: what the Study tab does, for a lead on the command line.
    p_handout = study.add_parser("handout", help="one study file per assigned rater")
    p_handout.add_argument("--db", required=True)
    p_handout.add_argument("--study", required=True)
    p_handout.add_argument("-o", "--out", required=True, help="folder for the raters' files")
    p_progress = study.add_parser("progress", help="per rater: answered / total, last answer")
    p_progress.add_argument("--db", required=True)
    p_progress.add_argument("--study", required=True)
    scores = sub.add_parser("scores", help="export or merge reader-study answers").add_subparsers(
        dest="action", required=True)
    p_export = scores.add_parser("export", help="long-format CSV, one row per answer")
    p_export.add_argument("--db", required=True)
    p_export.add_argument("-o", "--out", required=True, help="CSV file to write")
    p_export.add_argument("--study", help="only this study")
    p_merge = scores.add_parser("merge", help="scorers' databases into one (idempotent)")
    p_merge.add_argument("dbs", nargs="+", help="the scorers' SQLite files")
    p_merge.add_argument("-o", "--out", required=True, help="the merged study database")


def cmd_study(args: argparse.Namespace) -> int:
    from radval_desktop.store import reader_study as rs

    db = rs.open_study(Path(args.db))
    if args.action == "import":
        from radval_desktop.study.importing import import_candidates

        mapping = _import_columns(Path(args.file), args)
        summary = import_candidates(db, args.file, mapping, args.institution, args.model_name)
        print("columns: " + ", ".join(f"{k}={v}" for k, v in _ordered(summary.columns).items()))
        for problem in summary.problems:
            print(f"radval: {Path(args.file).name} {problem}; skipped", file=sys.stderr)
        print(f"{summary.cases} cases, {summary.candidates} candidates imported into {args.db}; "
              f"{len(summary.problems)} rows skipped")
    elif args.action == "create":
        study = rs.save_study(db, args.name, args.show_reference, args.institution_1, args.seed)
        count = db.execute("SELECT COUNT(*) FROM study_candidates WHERE study_uuid = ?",
                           [study.uuid]).fetchone()[0]
        print(f"study '{study.name}': {count} candidates, reference "
              f"{'shown' if study.show_reference else 'hidden'}, seed {study.seed}")
    else:
        found = next((s for s in rs.list_studies(db) if s.name == args.study), None)
        if found is None:
            raise InputError(f"There is no study named '{args.study}' in {args.db}.")
        if args.action in ("handout", "progress"):
            db.close()
            return _lead(args, found)
        added = rs.assign(db, found, rs.save_rater(db, args.rater, args.level,
                                                      args.change_level))
        print(f"{args.rater}: {added} candidates assigned")
    return 0


def _import_columns(file: Path, args: argparse.Namespace) -> dict[str, str]:
    """The mapping given on the command line (remembered for this header, as the window
    does), else the one remembered for it, else none: known column names are guessed."""
    from radval_desktop.study.columns import (
        file_columns,
        parse_columns,
        recall_columns,
        remember_columns,
    )

    given = {**column_mapping(args.map), **parse_columns(args.columns)}
    header = file_columns(file)
    if given:
        if header and all(column in header for column in given.values()):
            remember_columns(header, given)
        return given
    return recall_columns(header) or {}


def _ordered(columns: dict[str, str]) -> dict[str, str]:
    from radval_desktop.study.columns import ordered

    return ordered(columns)


def _lead(args: argparse.Namespace, study: Study) -> int:
    from radval_desktop.store.reader_study import open_study
    from radval_desktop.study.lead import hand_out, study_progress, study_raters

    if args.action == "handout":
        db = open_study(Path(args.db))
        raters = study_raters(db, study)
        db.close()
        for path in hand_out(Path(args.db), study, raters, Path(args.out)):
            print(path)
        return 0
    db = open_study(Path(args.db))
    try:
        rows = study_progress(db, study)
    finally:
        db.close()
    for p in rows:
        mean = "—" if p.mean is None else f"{p.mean:.1f}"
        print(f"{p.name}\t{p.level}\t{p.answered}/{p.total}\tNA {p.na}\tmean {mean}\t"
              f"last {p.last_activity or '—'}")
    return 0


def cmd_scores(args: argparse.Namespace) -> int:
    if args.action == "export":
        from radval_desktop.store.reader_study import open_study
        from radval_desktop.store.scores_export import export_scores

        if not Path(args.db).is_file():
            raise InputError(f"There is no database at {args.db}.")
        count = export_scores(open_study(Path(args.db)), Path(args.out), args.study)
        print(f"{count} answers written to {args.out}")
        return 0
    from radval_desktop.store.merge import merge_databases

    report = merge_databases([Path(p) for p in args.dbs], Path(args.out))
    for conflict in report.conflicts:
        print(f"conflict: {conflict}")
    for problem in report.problems:  # issue 17: rows not taken on trust
        print(f"problem: {problem}")
    added = ", ".join(f"{n} {t}" for t, n in report.added.items() if n)
    left_out = f"{report.left_out} row{'' if report.left_out == 1 else 's'} left out"
    print(f"merged {len(args.dbs)} files into {args.out}: {added or 'nothing new'}; "
          f"{len(report.conflicts)} conflicting edits (the latest kept); {left_out}")
    return 0
