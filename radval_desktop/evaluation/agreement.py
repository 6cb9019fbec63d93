"""Inter-rater agreement per metric: ICC(2,k) and Krippendorff's alpha (interval)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import krippendorff
import numpy as np

from radval_desktop.evaluation.aggregates import Rating
from radval_desktop.evaluation.tables import Table


def icc2k(matrix: Sequence[Sequence[float]]) -> float | None:
    """ICC(2,k) of Shrout & Fleiss (1979): two-way random, absolute agreement, mean of k.

    Rows are items (targets), columns raters; every cell filled. Written out rather than
    taken from pingouin, which would bring pandas, statsmodels, scikit-learn and seaborn
    into the installer for these dozen lines. None when undefined (fewer than two items or
    raters, or no variance at all).
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2 or np.isnan(x).any():
        return None
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_error = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))
    denominator = bms + (jms - ems) / n
    if math.isclose(denominator, 0.0, abs_tol=1e-12):
        return None
    return float((bms - ems) / denominator)


def interval_alpha(matrix: Sequence[Sequence[float | None]]) -> float | None:
    """Krippendorff's alpha, interval metric; rows raters, columns items, None = missing.

    None when undefined: fewer than two pairable values, or a single value throughout.
    """
    x = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        return None
    pairable = (~np.isnan(x)).sum(axis=0) >= 2
    values = x[:, pairable]
    if values.size == 0 or np.unique(values[~np.isnan(values)]).size < 2:
        return None
    return float(krippendorff.alpha(reliability_data=values, level_of_measurement="interval"))


@dataclass(frozen=True)
class Agreement:
    metric: str
    raters: int
    icc_items: int  # items every rater scored (ICC needs a full matrix)
    icc2k: float | None
    alpha_items: int  # items scored by two raters or more
    alpha: float | None


def agreement(ratings: Sequence[Rating], metrics: Sequence[str]) -> list[Agreement]:
    """Agreement across all raters over every candidate of the study, one row per metric.

    NA answers count as missing: they say the text cannot be scored, not that it scores 0.
    """
    raters = sorted({r.rater for r in ratings})
    result = []
    for metric in metrics:
        cells: dict[str, dict[str, float]] = defaultdict(dict)
        for r in ratings:
            if r.metric == metric and r.score is not None:
                cells[r.candidate][r.rater] = r.score
        items = sorted(cells)
        full = [[cells[i][r] for r in raters] for i in items if len(cells[i]) == len(raters)]
        wide = [[cells[i].get(r) for i in items] for r in raters]
        result.append(Agreement(
            metric, len(raters), len(full), icc2k(full),
            sum(len(cells[i]) >= 2 for i in items), interval_alpha(wide)))
    return result


def agreement_table(rows: Sequence[Agreement], labels: dict[str, str]) -> Table:
    def cell(value: float | None) -> object:
        return "—" if value is None else value

    return Table("agreement", "Agreement across raters",
                 ("metric", "raters", "items (ICC)", "ICC(2,k)", "items (alpha)",
                  "Krippendorff's alpha (interval)"),
                 tuple((labels.get(a.metric, a.metric), a.raters, a.icc_items, cell(a.icc2k),
                        a.alpha_items, cell(a.alpha)) for a in rows))
