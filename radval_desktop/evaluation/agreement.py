"""Inter-rater agreement per metric, per model and pooled: ICC(2,1), ICC(2,k), alpha, CIs."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from radval_desktop.errors import Words, sentence
from radval_desktop.evaluation.aggregates import Rating
from radval_desktop.evaluation.tables import Table

CONFIDENCE = 0.95
BOOTSTRAP_RESAMPLES = 2000  # percentile interval; 2,000 keeps its second decimal steady
BOOTSTRAP_SEED = 19  # fixed: the same study gives the same interval on every machine
# Fewer items than this give a resampled spread that says nothing (3 items: 10 distinct
# resamples); the interval is then left out rather than quoted.
BOOTSTRAP_MIN_ITEMS = 10
POOLED = sentence("ResultTables", "all models")

Interval = tuple[float, float]


# --- ICC(2,1) and ICC(2,k) -----------------------------------------------------------------

@dataclass(frozen=True)
class Icc:
    """Shrout & Fleiss (1979) case 2: two-way random effects, absolute agreement.

    single = ICC(2,1), how far one rater's score can be trusted; average = ICC(2,k), the
    reliability of the mean of the k raters. Intervals from the F distribution as in
    Shrout & Fleiss (McGraw & Wong 1996), the method of R psych and pingouin.
    """

    items: int
    raters: int
    single: float
    single_ci: Interval | None
    average: float
    average_ci: Interval | None


def icc2(matrix: Sequence[Sequence[float]], confidence: float = CONFIDENCE) -> Icc | None:
    """Rows items (targets), columns raters, every cell filled; None when undefined (fewer
    than two items or raters, or no variance at all).

    Written out rather than taken from pingouin, which would bring pandas, statsmodels,
    scikit-learn and seaborn into the installer for these lines.
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2 or np.isnan(x).any():
        return None
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_error = max(((x - grand) ** 2).sum() - ss_rows - ss_cols, 0.0)
    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    ems = ss_error / ((n - 1) * (k - 1))
    single_denominator = bms + (k - 1) * ems + k * (jms - ems) / n
    average_denominator = bms + (jms - ems) / n
    if math.isclose(single_denominator, 0.0, abs_tol=1e-12) or \
            math.isclose(average_denominator, 0.0, abs_tol=1e-12):
        return None
    single = float((bms - ems) / single_denominator)
    average = float((bms - ems) / average_denominator)
    ci = _single_interval(single, n, k, bms, jms, ems, confidence)
    # Spearman-Brown carries the single-rater bounds to the mean of k (Shrout & Fleiss).
    mean_ci = None if ci is None else (_spearman_brown(ci[0], k), _spearman_brown(ci[1], k))
    return Icc(n, k, single, ci, average, mean_ci)


def _spearman_brown(r: float, k: int) -> float:
    return r * k / (1 + (k - 1) * r)


def _single_interval(rho: float, n: int, k: int, bms: float, jms: float, ems: float,
                     confidence: float) -> Interval | None:
    if rho >= 1:
        return None  # perfect agreement: nothing varies, no interval
    a = k * rho / (n * (1 - rho))
    b = 1 + k * rho * (n - 1) / (n * (1 - rho))
    spread_df = (a * jms) ** 2 / (k - 1) + (b * ems) ** 2 / ((n - 1) * (k - 1))
    v = (a * jms + b * ems) ** 2 / spread_df if spread_df > 0 else math.nan
    if not v > 0:  # Satterthwaite's degrees of freedom undefined
        return None
    q = 1 - (1 - confidence) / 2
    f_upper = f_quantile(q, n - 1, v)
    f_lower = f_quantile(q, v, n - 1)
    spread = k * jms + (k * n - k - n) * ems
    low = n * (bms - f_upper * ems) / (f_upper * spread + n * bms)
    high = n * (f_lower * bms - ems) / (spread + n * f_lower * bms)
    return float(low), float(high)


def icc2k(matrix: Sequence[Sequence[float]]) -> float | None:
    """ICC(2,k) alone (Shrout & Fleiss 1979)."""
    result = icc2(matrix)
    return None if result is None else result.average


# --- the F distribution, without scipy ------------------------------------------------------

def _beta_fraction(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (Numerical Recipes §6.4)."""
    tiny, qab, qap, qam = 1e-300, a + b, a + 1, a - 1
    c, d = 1.0, 1 - qab * x / qap
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        for aa in (m * (b - m) * x / ((qam + m2) * (a + m2)),
                   -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))):
            d = 1 + aa * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + aa / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < 1e-14:
            break
    return h


def _regularized_beta(a: float, b: float, x: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(a, b, x) / a
    return 1 - front * _beta_fraction(b, a, 1 - x) / b


def f_cdf(x: float, d1: float, d2: float) -> float:
    return 0.0 if x <= 0 else _regularized_beta(d1 / 2, d2 / 2, d1 * x / (d1 * x + d2))


def f_quantile(q: float, d1: float, d2: float) -> float:
    """The F distribution's q-quantile by bisection (degrees of freedom may be fractional)."""
    low, high = 0.0, 1.0
    while f_cdf(high, d1, d2) < q:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        if f_cdf(middle, d1, d2) < q:
            low = middle
        else:
            high = middle
        if high - low < 1e-12 * max(1.0, high):
            break
    return (low + high) / 2


# --- Krippendorff's alpha (interval) with a bootstrap interval ------------------------------

def _unit_sums(matrix: Sequence[Sequence[float | None]]) -> np.ndarray | None:
    """Per pairable unit (an item two raters or more scored): m, sum, sum of squares and
    sum of squared differences within it / (m - 1); None if fewer than two such units."""
    x = np.array([[np.nan if v is None else v for v in row] for row in matrix], dtype=float)
    if x.ndim != 2 or x.shape[0] < 2:
        return None
    present = ~np.isnan(x)
    pairable = present.sum(axis=0) >= 2
    values = np.where(present, x, 0.0)[:, pairable]
    m = present[:, pairable].sum(axis=0).astype(float)
    if m.size == 0:
        return None
    s1 = values.sum(axis=0)
    s2 = (values ** 2).sum(axis=0)
    within = (m * s2 - s1 ** 2) / (m - 1)
    return np.stack([m, s1, s2, within])


def _alpha_from(sums: np.ndarray) -> np.ndarray:
    """alpha = 1 - Do/De for the interval metric (Krippendorff 2011), from per-unit sums
    already added up (last axis: m, s1, s2, within). NaN where De is 0."""
    n, s1, s2, within = sums[..., 0], sums[..., 1], sums[..., 2], sums[..., 3]
    expected = n * s2 - s1 ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(expected > 1e-9 * np.maximum(n * s2, 1), 1 - (n - 1) * within
                        / expected, np.nan)


def interval_alpha(matrix: Sequence[Sequence[float | None]]) -> float | None:
    """Krippendorff's alpha, interval metric; rows raters, columns items, None = missing.

    None when undefined: fewer than two pairable values, or a single value throughout.
    """
    units = _unit_sums(matrix)
    if units is None:
        return None
    value = float(_alpha_from(units.sum(axis=1)))
    return None if math.isnan(value) else value


def alpha_interval(matrix: Sequence[Sequence[float | None]],
                   resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED,
                   confidence: float = CONFIDENCE) -> Interval | None:
    """Percentile bootstrap interval of interval alpha, resampling items with replacement.

    Items, not single answers, are the unit drawn: a rater's answers to one item belong
    together. Seeded, so a report is the same each time it is written.
    """
    units = _unit_sums(matrix)
    if units is None or units.shape[1] < BOOTSTRAP_MIN_ITEMS:
        return None
    rng = np.random.default_rng(seed)
    count = units.shape[1]
    draws = rng.integers(0, count, size=(resamples, count))
    weights = np.zeros((resamples, count))
    np.add.at(weights, (np.arange(resamples)[:, None], draws), 1.0)
    alphas = _alpha_from(weights @ units.T)
    alphas = alphas[~np.isnan(alphas)]
    if alphas.size < resamples / 2:
        return None
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(alphas, [tail, 100 - tail])
    return float(low), float(high)


# --- per metric, per model and pooled -------------------------------------------------------

@dataclass(frozen=True)
class Agreement:
    metric: str
    model: str  # POOLED for every model together
    raters: int
    icc_items: int  # items every rater scored (ICC needs a full matrix)
    icc: Icc | None
    alpha_items: int  # items scored by two raters or more
    alpha: float | None
    alpha_ci: Interval | None

    @property
    def icc2k(self) -> float | None:
        return None if self.icc is None else self.icc.average


def _one(ratings: Sequence[Rating], metric: str, model: str, raters: list[str]) -> Agreement:
    cells: dict[str, dict[str, float]] = defaultdict(dict)
    for r in ratings:
        if r.metric == metric and r.score is not None:
            cells[r.candidate][r.rater] = r.score
    items = sorted(cells)
    full = [[cells[i][r] for r in raters] for i in items if len(cells[i]) == len(raters)]
    wide = [[cells[i].get(r) for i in items] for r in raters]
    return Agreement(metric, model, len(raters), len(full), icc2(full),
                     sum(len(cells[i]) >= 2 for i in items), interval_alpha(wide),
                     alpha_interval(wide))


def agreement(ratings: Sequence[Rating], metrics: Sequence[str]) -> list[Agreement]:
    """Per metric: each model's own candidates, then all models pooled.

    Pooling puts the difference between models into the items' spread, so it reads higher
    than any one model's figure (issue 19: alpha 0.88-0.97 pooled, 0.07-0.17 within the
    radiologists' own impressions); the per-model rows are the ones to quote. NA answers
    count as missing: they say the text cannot be scored, not that it scores 0.
    """
    raters = sorted({r.rater for r in ratings})
    models = sorted({r.model for r in ratings})
    result = []
    for metric in metrics:
        for model in models:
            own = [r for r in ratings if r.model == model]
            result.append(_one(own, metric, model, sorted({r.rater for r in own})))
        if len(models) > 1:
            result.append(_one(ratings, metric, POOLED, raters))
    return result


def _value(value: float | None) -> object:
    return "—" if value is None else value


def _interval(ci: Interval | None) -> object:
    if ci is None:
        return "—"
    return Words("ResultTables", sentence("ResultTables", "{low:.2f} to {high:.2f}"),
                 (("low", ci[0]), ("high", ci[1])))


def agreement_table(rows: Sequence[Agreement], labels: dict[str, str]) -> Table:
    return Table("agreement", sentence("ResultTables", "Agreement across raters"),
                 (sentence("ResultTables", "metric"), sentence("ResultTables", "model"),
                  sentence("ResultTables", "raters"), sentence("ResultTables", "items (ICC)"),
                  "ICC(2,1)", "95% CI", "ICC(2,k)", "95% CI",
                  sentence("ResultTables", "items (alpha)"),
                  sentence("ResultTables", "alpha (interval)"),
                  sentence("ResultTables", "95% CI (bootstrap)")),
                 tuple((labels.get(a.metric, a.metric), a.model, a.raters, a.icc_items,
                        _value(a.icc.single if a.icc else None),
                        _interval(a.icc.single_ci if a.icc else None),
                        _value(a.icc2k), _interval(a.icc.average_ci if a.icc else None),
                        a.alpha_items, _value(a.alpha), _interval(a.alpha_ci))
                       for a in rows), decimals=2)
