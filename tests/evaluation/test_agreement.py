"""ICC(2,k) and Krippendorff's alpha against published and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from radval_desktop.evaluation.aggregates import Rating
from radval_desktop.evaluation.agreement import (
    POOLED,
    agreement,
    agreement_table,
    alpha_interval,
    f_quantile,
    icc2,
    icc2k,
    interval_alpha,
)

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9],
                 [6, 2, 4, 7]]

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the example with
# missing values: four observers (rows), twelve units; interval alpha = 0.849.
KRIPPENDORFF = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_icc2k_matches_shrout_and_fleiss_table() -> None:
    # Their Table 4 gives ICC(2,4) = .62 for these data.
    assert icc2k(SHROUT_FLEISS) == pytest.approx(0.62, abs=0.005)


def test_icc2k_of_raters_shifted_by_a_constant_by_hand() -> None:
    # Items 60, 40, 70, 50, 30, 10; raters add 0, 10, 20. BMS = 7000/5 = 1400,
    # JMS = 1200/2 = 600, EMS = 0, so ICC(2,3) = 1400 / (1400 + 600/6) = 14/15.
    items = [60, 40, 70, 50, 30, 10]
    assert icc2k([[s + 20, s + 10, s] for s in items]) == pytest.approx(14 / 15)


def test_icc2k_is_one_for_perfect_agreement_and_none_when_undefined() -> None:
    assert icc2k([[1, 1], [5, 5], [3, 3]]) == pytest.approx(1.0)
    assert icc2k([[50, 50], [50, 50]]) is None  # no variance at all
    assert icc2k([[1, 2, 3]]) is None  # one item
    assert icc2k([]) is None


def test_alpha_matches_krippendorffs_worked_example() -> None:
    assert interval_alpha(KRIPPENDORFF) == pytest.approx(0.849, abs=0.0005)


def test_alpha_by_hand_for_constant_rater_shift() -> None:
    # 18 values, SS_total = 8200: De = 2*18*8200 / (18*17); Do = 6 units * 1200/2 / 18 =
    # 200; alpha = 1 - Do/De = 65/82.
    items = [60, 40, 70, 50, 30, 10]
    raters = [[s + 20 for s in items], [s + 10 for s in items], list(items)]
    assert interval_alpha(raters) == pytest.approx(65 / 82)


def test_alpha_is_none_without_pairable_or_varied_values() -> None:
    assert interval_alpha([[1, None], [None, 2]]) is None
    assert interval_alpha([[3, 3], [3, 3]]) is None
    assert interval_alpha([[1, 2, 3]]) is None


# --- issue 19: single-rater ICC, intervals, per model ----------------------------------

def test_icc2_single_and_average_with_intervals_match_psych_and_pingouin() -> None:
    # Shrout & Fleiss (1979) Table 4: ICC(2,1) = .29, ICC(2,4) = .62. Intervals: R psych's
    # ICC() documentation example on these data (Revelle) gives [0.019, 0.76] and
    # [0.071, 0.93]; pingouin 0.7.0 intraclass_corr, run once on them (2026-12-01):
    # ICC(A,1) 0.289764 [0.02, 0.76], ICC(A,k) 0.620051 [0.07, 0.93].
    result = icc2(SHROUT_FLEISS)
    assert result is not None
    assert (result.items, result.raters) == (6, 4)
    assert result.single == pytest.approx(0.289764, abs=1e-6)
    assert result.average == pytest.approx(0.620051, abs=1e-6)
    assert result.single_ci == pytest.approx((0.019, 0.76), abs=0.005)
    assert result.average_ci == pytest.approx((0.071, 0.93), abs=0.005)


def test_f_quantiles_match_printed_tables() -> None:
    # Standard F tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.3).
    assert f_quantile(0.975, 5, 15) == pytest.approx(3.576, abs=0.001)
    assert f_quantile(0.95, 1, 10) == pytest.approx(4.965, abs=0.001)
    assert f_quantile(0.95, 10, 10) == pytest.approx(2.978, abs=0.001)


def test_interval_alpha_equals_the_krippendorff_package_with_missing_values() -> None:
    import krippendorff

    rng = np.random.default_rng(7)
    for _ in range(20):
        data = rng.integers(0, 101, size=(3, 40)).astype(float)
        data[rng.random(data.shape) < 0.2] = np.nan
        rows = [[None if np.isnan(v) else float(v) for v in row] for row in data]
        expected = krippendorff.alpha(reliability_data=data, level_of_measurement="interval")
        assert interval_alpha(rows) == pytest.approx(expected, abs=1e-9)


def test_alpha_interval_is_seeded_and_holds_the_estimate() -> None:
    rng = np.random.default_rng(3)
    truth = rng.uniform(10, 90, size=60)
    raters = [[float(t + rng.normal(0, 12)) for t in truth] for _ in range(3)]
    point = interval_alpha(raters)
    first = alpha_interval(raters)
    assert first == alpha_interval(raters)  # the same report each time
    assert first is not None
    assert point is not None
    assert first[0] < point < first[1]
    assert 0.05 < first[1] - first[0] < 0.5
    assert alpha_interval(raters, seed=20) != first


def _ratings(model: str, truth: list[float], noise: float, rng) -> list[Rating]:
    return [Rating(f"r{j}", "senior", f"{model}-{i}", model, "1", "chest", "relevance",
                   float(t + rng.normal(0, noise)))
            for i, t in enumerate(truth) for j in range(3)]


def test_pooled_agreement_is_reported_beside_each_models_own() -> None:
    # As in the study of issue 19: raters agree on which model is better, not on the
    # cases within a model. Pooled reads high, each model's own figures low.
    rng = np.random.default_rng(11)
    ratings = (_ratings("model-a", [80.0] * 30, 8, rng)
               + _ratings("radiologists", [30.0] * 30, 8, rng))
    rows = {a.model: a for a in agreement(ratings, ["relevance"])}
    assert set(rows) == {"model-a", "radiologists", POOLED}
    assert rows[POOLED].alpha > 0.8
    assert rows[POOLED].icc.single > 0.8
    for model in ("model-a", "radiologists"):
        assert rows[model].alpha < 0.3
        assert rows[model].icc.single < 0.3
        assert rows[model].icc_items == 30
        assert rows[model].alpha_ci is not None
    table = agreement_table(list(rows.values()), {"relevance": "Relevance"})
    assert "ICC(2,1)" in table.columns
    assert "95% CI (bootstrap)" in table.columns
    assert table.decimals == 2


def test_too_few_items_give_no_bootstrap_interval() -> None:
    raters = [[60.0, 40, 70, 50, 30, 10], [70.0, 50, 80, 60, 40, 20]]
    assert interval_alpha(raters) is not None
    assert alpha_interval(raters) is None  # 6 items: fewer than BOOTSTRAP_MIN_ITEMS


# pingouin 0.7.0 intraclass_corr, run once (2026-12-01) on these matrices:
# np.random.default_rng(4).integers(0, 101, size=(12, 3)), three draws. The last has a
# negative ICC, whose interval is reported too.
PINGOUIN_RANDOM = [  # ICC(A,1), its CI95, ICC(A,k), its CI95
    (0.0866, (-0.21, 0.51), 0.2214, (-1.11, 0.76)),
    (0.1107, (-0.20, 0.54), 0.2719, (-0.99, 0.78)),
    (-0.0808, (-0.29, 0.32), -0.2892, (-2.13, 0.58)),
]


def test_icc2_matches_pingouin_on_random_scores_negative_included() -> None:
    rng = np.random.default_rng(4)
    for single, single_ci, average, average_ci in PINGOUIN_RANDOM:
        result = icc2(rng.integers(0, 101, size=(12, 3)).astype(float).tolist())
        assert result is not None
        assert result.single == pytest.approx(single, abs=5e-5)
        assert result.average == pytest.approx(average, abs=5e-5)
        assert result.single_ci == pytest.approx(single_ci, abs=0.005)
        assert result.average_ci == pytest.approx(average_ci, abs=0.005)
