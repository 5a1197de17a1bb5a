"""Helpers of the report tests (plain functions, imported by the test modules)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from survey.extensions import db
from survey.reports.compute import build_report, clear_cache
from survey.reports.filters import ReportFilters

TODAY_ISO = "2026-11-23"
PERIOD = "2026-Q3"


def headline(html: str) -> str:
    """The text of the headline SIPAS figure of a report page."""
    match = re.search(r'id="sipas-index">(.*?)</div>', html, re.DOTALL)
    assert match, "no headline SIPAS figure on the page"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


def section(html: str, ident: str) -> str:
    """The HTML of the page section with ``id=ident``."""
    match = re.search(rf'<section[^>]*id="{ident}".*?</section>', html, re.DOTALL)
    assert match, f"no section {ident}"
    return match.group(0)


# -- the sums path against the row path (REPORT_SOURCE) ----------------------------------
NUMBERS = ["estimate", "se", "ci_low", "ci_high", "n", "n_eff", "deff", "df", "dossiers",
           "coverage", "model_estimate", "model_ci_low", "model_ci_high"]
#: Model-based estimates are fitted by numerical optimisation, which carries differences of
#: 1e-15 in its inputs to about 1e-8; they (and rankings that use them) are held to 1e-6.
MODEL_RTOL = 1e-6
SUMMARY = ["responses", "cells", "strata", "merged_cells", "merged_into_agency",
           "cells_with_total", "cells_without_total", "responses_without_total",
           "over_covered", "lonely_strata", "weighted", "df", "flagged", "counted",
           "questionnaire_ids", "design_df", "design_strata"]


def report_with_source(app, filters: ReportFilters, source: str):
    app.config["REPORT_SOURCE"] = source
    clear_cache()
    try:
        return build_report(db.session, filters, trend=True)
    finally:
        app.config["REPORT_SOURCE"] = "sums"
        clear_cache()


def same_table(expected: pd.DataFrame, got: pd.DataFrame, what: str,
                model: bool = False) -> None:
    keys = [c for c in ("by", "level", "measure") if c in expected.columns]
    expected = expected.sort_values(keys).reset_index(drop=True)
    got = got.sort_values(keys).reset_index(drop=True)
    assert len(expected) == len(got), what
    for column in expected.columns:
        a, b = expected[column], got[column]
        if column in NUMBERS or column in ("rank", "rank_low", "rank_high", "difference",
                                           "p_value", "current", "previous", "n_previous"):
            a, b = a.to_numpy(float), b.to_numpy(float)
            assert np.array_equal(np.isnan(a), np.isnan(b)), (what, column)
            ok = ~np.isnan(a)
            fitted = model or column.startswith("model_")
            np.testing.assert_allclose(b[ok], a[ok], rtol=MODEL_RTOL if fitted else 1e-9,
                                       atol=1e-11, err_msg=f"{what}: {column}")
        else:
            assert a.astype(str).tolist() == b.astype(str).tolist(), (what, column)


def same_report(app, filters: ReportFilters) -> dict:
    rows, sums = report_with_source(app, filters, "rows"), report_with_source(app, filters, "sums")
    assert sums.current.weighting["source"] == "sums"
    assert rows.current.weighting["source"] == "rows"
    assert rows.sipas is not None and rows.sipas["n"] > 0
    same_table(rows.current.overall, sums.current.overall, "overall")
    for name, table in rows.current.breakdowns.items():
        assert len(table), name
        same_table(table, sums.current.breakdowns[name], name)
    for name, table in rows.current.rankings.items():
        same_table(table, sums.current.rankings[name], f"ranking {name}", model=True)
    for key in ("estimate", "se", "ci_low", "ci_high", "n"):
        assert sums.current.sensitivity[key] == pytest.approx(rows.current.sensitivity[key],
                                                              rel=1e-9)
    if len(rows.change):
        same_table(rows.change, sums.change, "change")
    same_table(rows.trend, sums.trend, "trend")
    for key in SUMMARY:
        assert sums.current.weighting[key] == rows.current.weighting[key], key
    assert sums.current.weighting["kish"] == pytest.approx(rows.current.weighting["kish"],
                                                           rel=1e-12)
    same_table(rows.current.cells, sums.current.cells, "cells")
    return sums.current.weighting
