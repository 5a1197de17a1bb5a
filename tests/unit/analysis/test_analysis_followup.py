"""The on-time share of follow-ups with its Wilson interval, and later satisfaction."""
import math

import numpy as np
import pytest

from analysis import followup

Z95 = 1.959963984540054  # scipy.stats.norm.ppf(0.975)

# Rscript -e 'options(digits=17); print(prop.test(17, 20, correct=FALSE)$conf.int[1:2])'
R_17_OF_20 = (0.63958113525924309, 0.94763125410378346)


def wilson_by_hand(x: int, n: int, z: float = Z95) -> tuple[float, float]:
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_share_and_interval_match_the_wilson_formula_worked_by_hand():
    # 3 of 4: p = 0.75, z² = 3.841459, z²/n = 0.960365; centre = (0.75 + 0.480182) / 1.960365
    # = 0.627527; half = z / 1.960365 · √(0.75·0.25/4 + z²/64) = 0.999796 · 0.326952 = 0.326885.
    share, low, high = followup.share_interval(3, 4)
    assert share == 0.75
    assert low == pytest.approx(0.300641842582, abs=1e-12)
    assert high == pytest.approx(0.954412739190, abs=1e-12)
    assert (low, high) == pytest.approx(wilson_by_hand(3, 4), abs=1e-12)


def test_share_interval_matches_r_prop_test_without_continuity_correction():
    share, low, high = followup.share_interval(17, 20)
    assert share == 0.85
    assert low == pytest.approx(R_17_OF_20[0], abs=1e-12)
    assert high == pytest.approx(R_17_OF_20[1], abs=1e-12)


def test_bounds_are_exact_at_none_and_all_on_time():
    assert followup.share_interval(0, 7) == (0.0, 0.0, pytest.approx(wilson_by_hand(0, 7)[1]))
    share, low, high = followup.share_interval(7, 7)
    assert (share, high) == (1.0, 1.0)
    assert low == pytest.approx(wilson_by_hand(7, 7)[0], abs=1e-12)


def test_nothing_due_has_no_share_and_no_interval():
    assert followup.tally(0, 0, 4) == followup.OnTime(0, 0, 0, 4, None, None, None)


def test_tally_counts_due_as_on_time_plus_late():
    result = followup.tally(3, 1, 2)
    assert (result.due, result.on_time, result.late, result.open_not_due) == (4, 3, 1, 2)
    assert result.share == 0.75
    assert (result.low, result.high) == pytest.approx(wilson_by_hand(3, 4), abs=1e-12)


def test_combine_adds_counts_and_recomputes_the_share():
    total = followup.combine([followup.tally(3, 1, 2), followup.tally(14, 2, 0),
                              followup.tally(0, 0, 1)])
    assert (total.due, total.on_time, total.late, total.open_not_due) == (20, 17, 3, 3)
    assert (total.low, total.high) == pytest.approx(R_17_OF_20, abs=1e-12)


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="successes"):
        followup.share_interval(5, 4)
    with pytest.raises(ValueError, match="level"):
        followup.share_interval(1, 4, level=1.5)


def test_criteria_mean_skips_unanswered_criteria():
    nan = np.nan
    means = followup.criteria_mean([[4, 5, nan], [nan, nan, nan], [1, 2, 3]])
    assert means[0] == 4.5 and math.isnan(means[1]) and means[2] == 2.0


def test_later_satisfaction_uses_overall_then_criteria_mean():
    nan = np.nan
    # overall 5 → satisfied (criteria 3); overall 2 → not (criteria 4.5 ignored); no overall,
    # criteria mean (3 + 5) / 2 = 4 → satisfied; neither → not a rating.
    result = followup.later_satisfaction(
        [5, 2, nan, nan], [[3, nan], [4, 5], [3, 5], [nan, nan]])
    assert result == followup.LaterSatisfaction(count=4, rated=3, satisfied=2, share=2 / 3)


def test_later_satisfaction_without_any_rating_is_not_known():
    assert followup.later_satisfaction([], np.empty((0, 3))) == followup.LaterSatisfaction(
        0, 0, 0, None)
    assert followup.later_satisfaction([np.nan], [[np.nan]]).share is None


def test_combine_later_adds_counts():
    total = followup.combine_later([followup.LaterSatisfaction(2, 2, 1, 0.5),
                                    followup.LaterSatisfaction(1, 1, 1, 1.0),
                                    followup.LaterSatisfaction(0, 0, 0, None)])
    assert total == followup.LaterSatisfaction(3, 3, 2, 2 / 3)
