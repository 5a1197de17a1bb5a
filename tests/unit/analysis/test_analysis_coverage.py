"""The portal figures: rated share, satisfied share, Wilson intervals, attainment."""
import math

import numpy as np
import pandas as pd
import pytest

from analysis import coverage

Z = 1.959963984540054  # the normal quantile of 0.975

# R 4 (stats): for (a in list(c(37,45), c(45,300), c(0,5), c(12,12)))
#   print(prop.test(a[1], a[2], correct=FALSE)$conf.int[1:2])   # options(digits=17)
R_WILSON = {
    (37, 45): (0.68670175373540232, 0.90705610485895849),
    (45, 300): (0.11403246871185317, 0.19481761114532900),
    (0, 5): (0.00000000000000000, 0.43448246478317465),
    (12, 12): (0.75750599334475921, 1.00000000000000000),
}


def wilson_by_hand(x: float, n: float) -> tuple[float, float]:
    p = x / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z / (1 + Z**2 / n) * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2))
    return centre - half, centre + half


@pytest.mark.parametrize("x,n", [(37, 45), (45, 300), (8, 10), (3, 7.5)])
def test_share_and_interval_follow_the_wilson_formula(x, n):
    found = coverage.proportion(x, n)
    low, high = wilson_by_hand(x, n)
    assert found.share == pytest.approx(x / n, rel=1e-15)
    assert found.low == pytest.approx(low, rel=1e-12)
    assert found.high == pytest.approx(high, rel=1e-12)
    assert not found.over


@pytest.mark.parametrize("case", sorted(R_WILSON))
def test_wilson_interval_equals_r_prop_test(case):
    found = coverage.proportion(*case)
    low, high = R_WILSON[case]
    assert found.low == pytest.approx(low, abs=1e-12)
    assert found.high == pytest.approx(high, abs=1e-12)


def test_eight_of_ten_worked_by_hand():
    # p = 0.8, z² = 3.841459; centre = (0.8 + 0.192073)/1.384146 = 0.716741,
    # half = 1.959964/1.384146 · √(0.016 + 0.009604) = 0.226578
    found = coverage.proportion(8, 10)
    assert found.low == pytest.approx(0.490162, abs=1e-6)
    assert found.high == pytest.approx(0.943318, abs=1e-6)


def test_more_rated_than_dossiers_shows_the_share_flagged_without_interval():
    found = coverage.proportion(12, 10)
    assert (found.share, found.low, found.high, found.over) == (1.2, None, None, True)


def test_no_total_gives_no_share():
    assert coverage.proportion(5, None) == coverage.Proportion(5.0, None, None, None, None)
    assert coverage.proportion(0, 0).share is None
    assert coverage.proportion(0, 0).over is False
    assert coverage.proportion(3, 0).over is True


def test_attainment_is_share_over_target_capped_and_zero_without_ratings():
    assert coverage.attainment(coverage.proportion(72, 100), 0.9) == pytest.approx(0.8)
    assert coverage.attainment(coverage.proportion(95, 100), 0.9) == 1.0
    assert coverage.attainment(coverage.proportion(0, 0), 0.9) == 0.0
    assert coverage.attainment(coverage.proportion(0, 40), 0.9) == 0.0


def test_rating_counts_use_the_portal_rule():
    units = np.array(["A", "A", "A", "A", "B", "B"])
    overall = np.array([5, 3, np.nan, np.nan, np.nan, 4])
    criteria_mean = np.array([2.0, 5.0, 4.0, 3.5, np.nan, np.nan])
    counts = np.array([3, 2, 4, 1, 7, 5])
    found = coverage.rating_counts(units, overall, criteria_mean, counts)
    # A: 3 satisfied (overall 5) + 4 (no overall, criteria 4.0); 2 and 1 not; B: 7 no rating
    assert found.to_dict("records") == [{"unit": "A", "ratings": 10, "satisfied": 7},
                                        {"unit": "B", "ratings": 5, "satisfied": 5}]


def test_rating_counts_of_nothing_is_an_empty_table():
    found = coverage.rating_counts(np.array([]), np.array([]), np.array([]), np.array([]))
    assert list(found.columns) == ["unit", "ratings", "satisfied"] and found.empty


def test_portal_rows_add_a_total_row():
    counts = pd.DataFrame({"unit": ["A", "B", "C"], "dossiers": [300.0, 10.0, np.nan],
                           "rated": [45, 12, 4], "ratings": [45, 12, 0],
                           "satisfied": [37, 12, 0]})
    rows = coverage.portal_rows(counts, 0.9)
    a, b, c, total = rows
    assert a.rated_share.share == pytest.approx(45 / 300)
    assert a.satisfied_share.share == pytest.approx(37 / 45)
    assert a.attainment == pytest.approx((37 / 45) / 0.9)
    assert b.rated_share.over and b.rated_share.low is None
    assert b.attainment == 1.0
    assert c.rated_share.share is None and c.attainment == 0.0
    assert c.satisfied_share.share is None
    assert (total.unit, total.dossiers, total.rated, total.ratings, total.satisfied) == \
        ("ALL", 310.0, 61, 57, 49)
    assert total.satisfied_share.low == pytest.approx(wilson_by_hand(49, 57)[0], rel=1e-12)
