"""The paper's evaluation tables (SPEC §6: Tables 2-8) from scored batch outputs."""

from __future__ import annotations

import io
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from radval_desktop import csv_cells
from radval_desktop.errors import Words, sentence
from radval_desktop.evaluation.rouge import ZH_CHAR, default_tokenization, score


@dataclass(frozen=True)
class Output:
    """One generated impression of one case by one model, with what the guards did."""

    model: str
    institution: str
    body_system: str
    language: str
    candidate: str
    reference: str
    seconds: float
    ok: bool = True
    attempts: int = 1
    empty_attempts: int = 0
    repetition_attempts: int = 0
    parameters: int | None = None


@dataclass(frozen=True)
class Scored:
    output: Output
    tokenization: str
    r1: float
    r2: float
    rl: float


def score_outputs(outputs: Iterable[Output], char_level_for_chinese: bool = True
                  ) -> list[Scored]:
    """ROUGE F1 per output; Chinese is scored on jieba words and, as well, on characters."""
    scored: list[Scored] = []
    for out in outputs:
        tokenizations = [default_tokenization(out.language)]
        if out.language == "zh" and char_level_for_chinese:
            tokenizations.append(ZH_CHAR)
        for tokenization in tokenizations:
            result = score(out.candidate, out.reference, out.language, tokenization)
            scored.append(Scored(out, tokenization, result.rouge1.f1, result.rouge2.f1,
                                 result.rougeL.f1))
    return scored


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[object, ...], ...]
    # Decimals shown in the report (Markdown, HTML, PDF); the CSV keeps six. ROUGE F1 as the
    # paper prints it; means of 0-100 scores need one, coefficients two (issue 19).
    decimals: int = 4
    # The title with values, for the window's translation ("… institution {name} …"); the
    # title, its columns and its word cells are marked sentence("ResultTables", …).
    caption: Words | None = None

    def show(self, value: object) -> str:
        """A cell as the report shows it."""
        if isinstance(value, float):
            return f"{value:.{self.decimals}f}"
        return str(value)

    def to_markdown(self) -> str:
        def cell(value: object) -> str:
            return self.show(value).replace("|", "\\|")

        lines = [f"### {self.title}", "", "| " + " | ".join(self.columns) + " |",
                 "|" + "|".join(" --- " for _ in self.columns) + "|"]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in self.rows]
        if not self.rows:
            lines.append("| " + " | ".join("—" for _ in self.columns) + " |")
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        buffer = io.StringIO()
        # Model, institution and system names are the user's text: neutralised (issue 17).
        # CSV's own CRLF rows: with "\n" a bare "\r" inside a name went out unquoted and
        # split the row.
        writer = csv_cells.writer(buffer, float_format="{:.6f}")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(row)
        return buffer.getvalue()


def _rouge_table(name: str, title: str, scored: Sequence[Scored],
                 keys: Sequence[tuple[str, Callable[[Output], str]]]) -> Table:
    groups: dict[tuple[str, ...], list[Scored]] = defaultdict(list)
    for item in scored:
        key = (item.output.model, *(get(item.output) for _, get in keys), item.tokenization)
        groups[key].append(item)
    rows = []
    for key in sorted(groups):
        items = groups[key]
        rows.append((*key, len(items), statistics.fmean(i.r1 for i in items),
                     statistics.fmean(i.r2 for i in items), statistics.fmean(i.rl for i in items)))
    columns = (sentence("ResultTables", "model"), *(label for label, _ in keys),
               sentence("ResultTables", "tokenization"), "n", "R-1", "R-2", "R-L")
    return Table(name, title, columns, tuple(rows))


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q  # linear interpolation, as numpy's default
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _by_model(outputs: Sequence[Output]) -> list[tuple[str, list[Output]]]:
    groups: dict[str, list[Output]] = defaultdict(list)
    for out in outputs:
        groups[out.model].append(out)
    return sorted(groups.items())


def utility_table(outputs: Sequence[Output]) -> Table:
    """Table 8: parameter count and time per inference (median and p90 over cases)."""
    rows = []
    for model, items in _by_model(outputs):
        seconds = [o.seconds for o in items]
        params = next((o.parameters for o in items if o.parameters), None)
        rows.append((model, f"{params / 1e9:.2f}B" if params else "?", len(items),
                     statistics.median(seconds), _percentile(seconds, 0.9)))
    return Table("table8_utility", sentence("ResultTables", "Practical utility (paper Table 8)"),
                 (sentence("ResultTables", "model"), sentence("ResultTables", "parameters"), "n",
                  sentence("ResultTables", "median s/inference"),
                  sentence("ResultTables", "p90 s/inference")),
                 tuple(rows), decimals=2)


def guards_table(outputs: Sequence[Output]) -> Table:
    """How often the output guards (SPEC §5) fired, per model."""
    rows = []
    for model, items in _by_model(outputs):
        rows.append((model, len(items), sum(o.empty_attempts for o in items),
                     sum(o.repetition_attempts for o in items),
                     sum(max(o.attempts - 1, 0) for o in items), sum(not o.ok for o in items)))
    return Table("guards", sentence("ResultTables", "Output guards"),
                 (sentence("ResultTables", "model"), sentence("ResultTables", "outputs"),
                  sentence("ResultTables", "empty attempts"),
                  sentence("ResultTables", "repetition attempts"),
                  sentence("ResultTables", "retries"),
                  sentence("ResultTables", "no usable draft")), tuple(rows))


def paper_tables(outputs: Sequence[Output], institution_1: str | None = None) -> list[Table]:
    """Tables 2-3 (per institution), 4-5 (per system in institution 1), 6-7 (per system,
    all institutions), 8 (utility) and the guard counts.

    ``institution_1`` is the internal institution (trained on); default: the first seen.
    """
    scored = score_outputs(outputs)
    first = institution_1 or (outputs[0].institution if outputs else "")
    inside = [s for s in scored if s.output.institution == first]
    inside_title = sentence("ResultTables", "ROUGE F1 per body system, institution {name} "
                            "(paper Tables 4-5)")
    return [
        _rouge_table("tables2_3_institution",
                     sentence("ResultTables", "ROUGE F1 per institution (paper Tables 2-3)"),
                     scored, [(sentence("ResultTables", "institution"),
                               lambda o: o.institution)]),
        replace(_rouge_table("tables4_5_system_institution1",
                             inside_title.format(name=first),
                             inside, [(sentence("ResultTables", "body system"),
                                       lambda o: o.body_system)]),
                caption=Words("ResultTables", inside_title, (("name", first),))),
        _rouge_table("tables6_7_system_all",
                     sentence("ResultTables", "ROUGE F1 per body system, all institutions "
                              "(paper Tables 6-7)"),
                     scored, [(sentence("ResultTables", "body system"),
                               lambda o: o.body_system)]),
        utility_table(outputs),
        guards_table(outputs),
    ]
