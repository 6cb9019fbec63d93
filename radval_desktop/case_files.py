"""Read report cases from CSV, XLSX or JSONL; map columns; report each bad row and go on."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from radval_desktop.aliases import AliasList, UnmappedValue, load_aliases
from radval_desktop.errors import SENTENCES, InputError, Words, sentence
from radval_desktop.findings import MAX_FINDINGS_CHARS

# Column names seen in institution exports (English and Chinese) for each field. A
# per-file mapping given by the user wins over these.
ALIASES: dict[str, tuple[str, ...]] = {
    "case_id": ("case_id", "id", "report_id", "编号", "检查号", "报告编号"),
    "institution": ("institution", "hospital", "site", "source", "医院", "机构", "医疗机构"),
    "body_system": ("body_system", "system", "body_part", "部位", "检查部位", "系统"),
    "modality": ("modality", "检查方式", "检查类型", "设备", "设备类型"),
    "findings": ("findings", "report_description", "description", "检查所见", "影像所见",
                 "影像表现", "所见"),
    "impression": ("impression", "report_result", "result", "conclusion", "诊断意见", "印象",
                   "影像诊断", "诊断", "结论"),
    "age": ("age", "年龄"),
    "sex": ("sex", "gender", "性别"),
    "model": ("model", "model_name", "模型"),
    "candidate": ("candidate", "generated", "output", "draft", "生成结果"),
}
CASE_FIELDS = ("case_id", "institution", "body_system", "modality", "findings", "impression",
               "age", "sex")


@dataclass(frozen=True)
class Row:
    line: int  # 1-based line (CSV/JSONL) or sheet row (XLSX) as the user sees it
    values: dict[str, str]
    sheet: str = ""  # the XLSX sheet the row is on, when the workbook has several

    def __getitem__(self, key: str) -> str:
        return self.values.get(key, "")

    def source(self, file_name: str) -> str:
        """Where the row is, as cases and reports record it: "export.xlsx [2024-02]" for a
        workbook's sheet (row numbers repeat from sheet to sheet), else the file's name."""
        return f"{file_name} [{self.sheet}]" if self.sheet else file_name


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str  # English: the CLI and the log
    words: Words | None = None  # the reason for the window's translation
    unmapped: tuple[str, str] | None = None  # (field, value) the alias list does not map
    sheet: str = ""

    def __str__(self) -> str:
        where = f"sheet '{self.sheet}' line {self.line}" if self.sheet else f"line {self.line}"
        return f"{where}: {self.reason}"

    def sentence(self) -> Words:
        """"line 7: empty impression" as the window translates it."""
        if self.sheet:
            return Words("CaseFiles",
                         sentence("CaseFiles", "sheet '{sheet}' line {line}: {reason}"),
                         (("sheet", self.sheet), ("line", self.line),
                          ("reason", self.words or self.reason)))
        return Words("CaseFiles", sentence("CaseFiles", "line {line}: {reason}"),
                     (("line", self.line), ("reason", self.words or self.reason)))


def _said(template: str, **values: object) -> Words:
    return Words("CaseFiles", template, tuple(values.items()))


@dataclass
class ReadResult:
    rows: list[Row] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # field -> source column used


def _decode(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(sentence("RadvalError",
                              "{name} is neither UTF-8 nor GBK text."),
                     name=path.name)


def _raw_rows(path: Path, sheet: str | None = None
              ) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """(sheet, line, cells): the sheet's name only where a workbook has several."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm"):
            yield from _xlsx_rows(path, sheet)
            return
        text = _decode(path.read_bytes(), path)
    except OSError as err:
        raise InputError(sentence("RadvalError",
                                  "The case file {path} cannot be read: {strerror}."),
                         path=path, strerror=err.strerror) from err
    if suffix in (".jsonl", ".ndjson"):
        rows = _jsonl_rows(text)
    elif suffix in (".csv", ".tsv", ".txt"):
        rows = _csv_rows(text, "\t" if suffix == ".tsv" else ",")
    else:
        raise InputError(sentence("RadvalError",
                                  "{name}: use a .csv, .tsv, .xlsx or .jsonl case file."),
                         name=path.name)
    for line, raw in rows:
        yield "", line, raw


def _jsonl_rows(text: str) -> Iterator[tuple[int, dict[str, Any]]]:
    # JSON Lines ends a record at "\n" only: str.splitlines() would also cut at U+2028,
    # U+0085 and other characters json.dumps(ensure_ascii=False) leaves inside strings.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            yield number, {"__error__": _said(sentence("CaseFiles", "not valid JSON ({error})"),
                                              error=err.msg)}
            continue
        if not isinstance(obj, dict):
            yield number, {"__error__": _said(sentence("CaseFiles", "not a JSON object"))}
        elif not _encodable(obj):
            # "\ud800" is valid JSON but no text: SQLite could not store it.
            yield number, {"__error__": _said(sentence(
                "CaseFiles", "a \\u escape that is no character (lone surrogate)"))}
        else:
            yield number, obj


def _encodable(obj: dict[str, Any]) -> bool:
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            # A cell past csv's field limit (128 KiB): this record only, the next one reads.
            yield reader.reader.line_num, {"__error__": _said(
                sentence("CaseFiles", "not readable as CSV ({error})"), error=err)}
            continue
        # line_num is the physical line where the record ended: right for the user.
        if None in record:
            yield reader.line_num, {"__error__": _said(
                sentence("CaseFiles", "more cells than the header has columns"))}
            continue
        yield reader.line_num, dict(record)


# Excel's own limits (and LibreOffice's since 7.4): a sheet past them was not made by either.
XLSX_MAX_ROWS = 1_048_576
XLSX_MAX_COLUMNS = 16_384  # XFD
# Cells openpyxl may hand over in all: 100,000 reports of 20 columns are 2 million. A row is
# as wide as its last cell, so a few thousand rows each with one cell in XFD are 10**8.
XLSX_MAX_CELLS = 20_000_000


def _xlsx_rows(path: Path, wanted: str | None = None
               ) -> Iterator[tuple[str, int, dict[str, Any]]]:
    """Every sheet's rows (each sheet has its own header row), or only the sheet ``wanted``:
    exports often keep one sheet per month or per site."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds for a damaged file
        raise InputError(sentence("RadvalError",
                                  "{name} is not a readable Excel workbook ({err})."),
                         name=path.name, err=err) from err
    try:
        sheets = book.worksheets
        if wanted is not None:
            sheets = [s for s in sheets if s.title == wanted]
            if not sheets:
                raise InputError(sentence("RadvalError",
                                          "{name} has no sheet named '{sheet}'; its sheets are: "
                                          "{sheets}."),
                                 name=path.name, sheet=wanted,
                                 sheets=", ".join(s.title for s in book.worksheets))
        seen = [0]  # cells handed over so far, all sheets together
        for sheet in sheets:
            title = sheet.title if len(sheets) > 1 else ""
            for number, header, cells in _sheet_rows(path, sheet, seen):
                if all(c is None or str(c).strip() == "" for c in cells):
                    continue
                yield title, number, {h: c for h, c in zip(header, cells, strict=False) if h}
    finally:
        book.close()


def read_columns(path: Path) -> list[str]:
    """The column names as the file writes them: the header of a CSV or XLSX, the keys of a
    JSONL file's first readable record; [] when no row reads."""
    for _sheet, _line, raw in _raw_rows(path):
        if "__error__" not in raw:
            return [str(name) for name in raw]
    return []


def _sheet_rows(path: Path, sheet: Any, seen: list[int]
                ) -> Iterator[tuple[int, list[str], tuple[Any, ...]]]:
    # <dimension> is the writer's claim, not the data: read-only openpyxl trusted it, so a
    # stale one ("A1:B2") dropped every later row silently and a bogus one
    # ("A1:XFD3000000") padded millions of rows to 16,384 cells (~10**12 steps).
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    first = next(rows, ())
    header = [str(c).strip() if c is not None else "" for c in first]
    seen[0] += len(first)
    # openpyxl hands over the gap before a far row one empty row at a time: the row
    # limit is what bounds that loop (about a second), not the file's size.
    for number, cells in enumerate(rows, 2):
        seen[0] += len(cells)
        if number > XLSX_MAX_ROWS or len(cells) > XLSX_MAX_COLUMNS:
            raise InputError(
                sentence("RadvalError",
                         "{name} has a cell past Excel's last row ({xlsx_max_rows:,}) or "
                         "column ({xlsx_max_columns:,}): the workbook is damaged or was not "
                         "saved by a spreadsheet program. Open it in Excel or LibreOffice and "
                         "save it again."),
                name=path.name, xlsx_max_rows=XLSX_MAX_ROWS,
                xlsx_max_columns=XLSX_MAX_COLUMNS)
        if seen[0] > XLSX_MAX_CELLS:
            raise InputError(
                sentence("RadvalError",
                         "{name} is too large to read: its rows up to {number:,} already span "
                         "more than {xlsx_max_cells:,} cells. Save only the report columns "
                         "(or split the file) and import it again."),
                name=path.name, number=number, xlsx_max_cells=XLSX_MAX_CELLS)
        yield number, header, cells


def _key(name: str) -> str:
    return "_".join(str(name).strip().lower().replace("-", " ").split())


def _resolve_columns(available: Iterable[str], wanted: Iterable[str],
                     mapping: Mapping[str, str]) -> dict[str, str]:
    lower = {_key(name): name for name in available}
    resolved: dict[str, str] = {}
    for name in wanted:
        if name in mapping:
            if not mapping[name]:  # the user said: no column holds it (none guessed either)
                continue
            if _key(mapping[name]) not in lower:
                raise InputError(sentence("RadvalError",
                                          "The column '{mapping}' mapped to {name} is not in the "
                                          "file; its columns are: {columns}."),
                                 mapping=mapping[name], name=name,
                                 columns=', '.join(lower.values()))
            resolved[name] = lower[_key(mapping[name])]
            continue
        for alias in ALIASES.get(name, (name,)):
            if _key(alias) in lower:
                resolved[name] = lower[_key(alias)]
                break
    return resolved


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_cases(
    path: Path | str,
    required: Iterable[str] = ("findings", "impression"),
    optional: Iterable[str] = CASE_FIELDS,
    mapping: Mapping[str, str] | None = None,
    defaults: Mapping[str, str] | None = None,
    aliases: AliasList | None = None,
    sheet: str | None = None,
) -> ReadResult:
    """Rows with the wanted fields; rows lacking a required one are problems, not errors.

    Raises InputError only when the file as a whole cannot be used (unreadable, or a
    required column is absent everywhere).
    """
    path = Path(path)
    required, mapping, defaults = tuple(required), dict(mapping or {}), dict(defaults or {})
    wanted = tuple(dict.fromkeys((*required, *optional)))
    result = ReadResult()
    columns: dict[str, dict[str, str] | None] = {}  # sheet -> its columns; None: skipped
    for where, line, raw in _raw_rows(path, sheet):
        if "__error__" in raw:
            error = raw["__error__"]
            result.problems.append(RowProblem(line, str(error), error, sheet=where))
            continue
        if where not in columns:
            try:
                columns[where] = _sheet_columns(path, raw.keys(), wanted, required, mapping,
                                                defaults)
            except InputError as err:
                if not where:  # the file's only table: it cannot be used at all
                    raise
                # One sheet of several without the report columns (a notes sheet, a
                # summary): said once, the other sheets still read.
                columns[where] = None
                result.problems.append(RowProblem(
                    line, str(err), Words(SENTENCES, err.template, tuple(err.values.items())),
                    sheet=where))
            if not result.columns and columns[where]:
                result.columns = dict(columns[where] or {})
        sheet_columns = columns[where]
        if sheet_columns is None:
            continue
        values = {name: _cell(raw.get(sheet_columns[name])) for name in sheet_columns}
        for name, value in defaults.items():
            values.setdefault(name, value)
            if not values[name]:
                values[name] = value
        problem, unmapped = _check(values, required, aliases or load_aliases())
        if problem is not None:
            result.problems.append(RowProblem(line, str(problem), problem, unmapped, where))
        else:
            result.rows.append(Row(line, values, where))
    return result


def _sheet_columns(path: Path, header: Iterable[str], wanted: tuple[str, ...],
                   required: tuple[str, ...], mapping: Mapping[str, str],
                   defaults: Mapping[str, str]) -> dict[str, str]:
    header = list(header)
    columns = _resolve_columns(header, wanted, mapping)
    missing = [n for n in required if n not in columns and n not in defaults]
    if missing:
        raise InputError(
            sentence("RadvalError",
                     "{name} has no column for {missing} (columns: {columns}); give a "
                     "column mapping."),
            name=path.name, missing=', '.join(missing), columns=', '.join(map(str, header)))
    return columns


def _check(values: dict[str, str], required: tuple[str, ...], aliases: AliasList
           ) -> tuple[Words | None, tuple[str, str] | None]:
    system = values.get("body_system", "")
    if system and not values.get("modality"):
        # An exam name in the body-system column ("胸部CT平扫") names the modality too.
        reading = aliases.read(system)
        if reading.whole and reading.modalities and reading.modalities[0]:
            values["modality"] = reading.modalities[0]
    empty = [name for name in required if not values.get(name)]
    if empty:  # the column names stay as the file and the CLI write them
        return _said(sentence("CaseFiles", "empty {columns}"), columns=", ".join(empty)), None
    if len(values.get("findings", "")) > MAX_FINDINGS_CHARS:
        return _said(sentence("CaseFiles", "findings longer than {limit:,} characters"),
                     limit=MAX_FINDINGS_CHARS), None
    try:
        if system:
            values["body_system"] = aliases.body_system(system)
        if values.get("modality"):
            values["modality"] = aliases.modality(values["modality"])
    except UnmappedValue as err:
        return Words(SENTENCES, err.template, tuple(err.values.items())), (err.field, err.value)
    return None, None
