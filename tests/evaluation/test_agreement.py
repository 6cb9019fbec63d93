"""ICC(2,k) and Krippendorff's alpha against published and hand-computed values."""

from __future__ import annotations

import pytest

from radval_desktop.evaluation.agreement import icc2k, interval_alpha

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
