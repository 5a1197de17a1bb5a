"""``analysis.domains``: every domain and ALL in one pass equal the one-domain-at-a-time path.

The reference is ``sipas.domain_result`` + ``add_srs_variance`` (cell sums of one domain, then
its rows), which the R reference tests pin down; here the one-pass code must give the same
numbers for ALL, for domains with rows outside every domain, with one row per PSU and with
chunks smaller than a domain.
"""
from __future__ import annotations

import numpy as np
import pytest

from analysis import SurveyDesign, domains, sipas
from analysis.estimators import domain_codes
from analysis.sums import answer_matrix

KEYS = ("share", "mean", "var_share", "var_mean", "n_share", "n_mean", "s2_mean",
        "srs_share", "srs_mean")


def _one_at_a_time(design, structure, by, label):
    """Measures of one domain the slow way (cell sums, then its rows for the SRS part)."""
    result = sipas.domain_result(design, structure, by, label)
    g, labels = domain_codes(design, by)
    rows = g == labels.index(str(label)) if label != "ALL" else np.ones(design.n, bool)
    answers = answer_matrix(design.frame, structure)
    return sipas.add_srs_variance(result, answers[rows], design.weights[rows], structure)


def _assert_same(ours: dict, expected: dict) -> None:
    for key in KEYS:
        np.testing.assert_allclose(ours[key], expected[key], rtol=1e-10, atol=1e-14,
                                   equal_nan=True, err_msg=key)


@pytest.mark.parametrize("clusters, by", [
    ("counter", "service_area"),   # PSUs in several domains: ALL's cells summed per PSU
    (None, "service_area"),        # one row per PSU: a cell's sums are its row's
    ("counter", "agency"),         # each PSU in one domain: ALL's cell is its domain cell
])
def test_one_pass_equals_one_domain_at_a_time(sipas_frame, structure, clusters, by,
                                              monkeypatch):
    monkeypatch.setattr(domains, "CHUNK_ROWS", 7)   # chunks end inside every domain
    frame = sipas_frame.copy()
    if by == "service_area":
        frame.loc[frame.index[::11], by] = None   # rows outside every domain
    design = SurveyDesign(frame, weights="weight", strata="agency", clusters=clusters)
    g, labels = domain_codes(design, by)
    assert (g < 0).any() == (by == "service_area")
    found = domains.domain_results(design, structure, g, len(labels), overall=True)
    assert len(found) == len(labels) + 1
    everyone = np.array(["x"] * design.n, dtype=object)
    _assert_same(found[-1][0], _one_at_a_time(design, structure, everyone, "x"))
    for d, label in enumerate(labels):
        _assert_same(found[d][0], _one_at_a_time(design, structure, by, label))
    alone = domains.domain_results(design, structure, g, len(labels))   # without ALL
    assert len(alone) == len(labels)
    for (res, df), (again, df_again) in zip(alone, found[:-1]):
        assert df == df_again
        _assert_same(res, again)
