"""What `prepare` says about lengths: per institution and body system, how many reports will
train whole, with their findings cut, or not at all, at the recipe's max lengths.

Counted with the run's tokenizer and the same fit_sample that `train` uses, so an engineer
sees before hours of training what the model will and will not learn from.
"""

from __future__ import annotations

import struct
from collections import Counter
from pathlib import Path
from typing import Any

from radval_desktop.prompts import TemplateSet, load_templates
from training.errors import TrainingError
from training.gguf_base import dequantized_dir, gguf_file, is_gguf_base
from training.recipe import Recipe
from training.records import Report
from training.run_folder import RunFolder, read_json
from training.samples import fit_sample, prompt_style


def run_tokenizer(recipe: Recipe, run: RunFolder) -> Any:
    """The tokenizer `train` will use: the base's, or a GGUF base's own vocabulary (read from
    the file, not dequantized, when train has not made its copy yet)."""
    from training.modeling import go_offline, load_tokenizer

    if not is_gguf_base(recipe.model):
        return load_tokenizer(recipe.model)
    copy = dequantized_dir(run)
    if (copy / "tokenizer_config.json").is_file():
        return load_tokenizer(_with_base(recipe, copy).model)
    go_offline()
    from transformers import AutoTokenizer

    source = gguf_file(recipe.model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name,
                                                  local_files_only=True)
    except (ValueError, KeyError, RuntimeError, ImportError) as err:
        raise TrainingError(f"transformers cannot read the tokenizer of {source.name} ({err}); "
                            "use a Hugging Face model directory as model.base.") from err
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _with_base(recipe: Recipe, folder: Path) -> Recipe:
    import dataclasses

    return dataclasses.replace(recipe, model=dataclasses.replace(recipe.model, base=str(folder)))


def template_for(recipe: Recipe, run: RunFolder, templates: TemplateSet) -> tuple[str, str]:
    """(template id, how it was chosen): the recipe's, select-prompt's choice, or, before
    select-prompt has run, the default template (the others differ by their instruction)."""
    if recipe.prompt.template != "auto":
        return templates.template(recipe.prompt.template).id, "prompt.template"
    choice = run.select_prompt / "choice.json"
    if choice.is_file():
        return str(read_json(choice)["template_id"]), "select-prompt's choice"
    return templates.template(None).id, "the default template (select-prompt has not run)"


def count_lengths(reports: dict[str, list[Report]], tokenizer: Any, template_id: str,
                  templates: TemplateSet, max_source: int, max_target: int
                  ) -> dict[str, dict[str, dict[str, Any]]]:
    """institution -> body system -> {reports, whole, truncated, dropped: {reason: n}}."""
    style = prompt_style(tokenizer)
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for institution, group in reports.items():
        systems: dict[str, dict[str, Any]] = {}
        for report in group:
            row = systems.setdefault(report.body_system, {"reports": 0, "whole": 0,
                                                          "truncated": 0, "dropped": Counter()})
            result, kept, _ = fit_sample(report, tokenizer, template_id, templates, style,
                                         max_source, max_target)
            row["reports"] += 1
            if isinstance(result, str):
                row["dropped"][result] += 1
            elif kept is not None:
                row["truncated"] += 1
            else:
                row["whole"] += 1
        table[institution] = {s: {**r, "dropped": dict(r["dropped"])}
                              for s, r in sorted(systems.items())}
    return table


def length_report(recipe: Recipe, run: RunFolder, reports: dict[str, list[Report]]
                  ) -> dict[str, Any]:
    t = recipe.train
    if not recipe.model.base:
        return {"skipped": "model.base is not set, so no tokenizer to count with; set it to "
                           "see how many reports will be cut or dropped at the max lengths"}
    templates = load_templates()
    template_id, how = template_for(recipe, run, templates)
    try:
        tokenizer = run_tokenizer(recipe, run)
    except (OSError, ValueError, KeyError, EOFError, struct.error) as err:
        # The counts only inform: a base that cannot be read is train's to refuse, in words.
        return {"skipped": f"the tokenizer of {Path(recipe.model.base).name} could not be read "
                           f"({err}), so nothing was counted; train will say what is wrong "
                           "with the base"}
    table = count_lengths(reports, tokenizer, template_id, templates,
                          t.max_source_length, t.max_target_length)
    return {"tokenizer": recipe.model.base, "template": template_id, "template_from": how,
            "max_source_length": t.max_source_length, "max_target_length": t.max_target_length,
            "per_institution": table}


def describe(report: dict[str, Any]) -> list[str]:
    """One line per institution and body system that loses something, then a total line."""
    if "skipped" in report:
        return [f"lengths: {report['skipped']}."]
    lines, cut, dropped, total = [], 0, 0, 0
    for institution, systems in report["per_institution"].items():
        for system, row in systems.items():
            n_dropped = sum(row["dropped"].values())
            cut, dropped = cut + row["truncated"], dropped + n_dropped
            total += row["reports"]
            if row["truncated"] or n_dropped:
                reasons = "; ".join(f"{n} {reason}" for reason, n in row["dropped"].items())
                lines.append(f"{institution} {system}: {row['truncated']} of {row['reports']} "
                             f"with findings cut to fit, {n_dropped} dropped"
                             + (f" ({reasons})" if reasons else ""))
    lines.append(f"lengths: {cut} of {total} reports will train with their findings cut, "
                 f"{dropped} not at all (train.max_source_length={report['max_source_length']}, "
                 f"train.max_target_length={report['max_target_length']}, template "
                 f"{report['template']}: {report['template_from']}).")
    return lines


def markdown(report: dict[str, Any]) -> list[str]:
    lines = ["", "## Lengths (what training will see)", ""]
    if "skipped" in report:
        return [*lines, report["skipped"] + "."]
    lines += [f"Tokenizer of {report['tokenizer']}, template {report['template']} "
              f"({report['template_from']}), train.max_source_length "
              f"{report['max_source_length']}, train.max_target_length "
              f"{report['max_target_length']}. Findings too long are cut after their last "
              "sentence that fits; the impression is never cut.", "",
              "| institution | body system | reports | whole | findings cut | dropped |",
              "| --- | --- | ---: | ---: | ---: | ---: |"]
    for institution, systems in report["per_institution"].items():
        for system, row in systems.items():
            lines.append(f"| {institution} | {system} | {row['reports']} | {row['whole']} | "
                         f"{row['truncated']} | {sum(row['dropped'].values())} |")
    return lines
