"""The only module of the reports that calls ``analysis``: designs, indices, comparisons.

``analysis`` is imported inside the functions so that the application starts (and every other
page works) even where the statistics library is not installed.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

try:  # load the library (and scipy) with the app, not on the first report request
    import analysis
except ImportError:  # the app still starts; reports fail with a clear ImportError
    analysis = None

STRATA = "agency"
CLUSTERS = "counter"
LONELY_PSU = "adjust"
CI_METHOD = "logit"
LEVEL = 0.95
DOMAIN = "_domain"
OUTSIDE = "__outside__"
RECORD_FIELDS = ["by", "level", "measure", "estimate", "se", "ci_low", "ci_high", "n", "n_eff",
                 "deff", "flag"]
CALIBRATION_CELLS = ["agency", "service_area"]


def structure(definition: dict):
    """The elements and criteria of a questionnaire definition, as ``analysis`` reads them."""
    from analysis import sipas as sipas_measures

    return sipas_measures.Structure.from_definition(definition)


def design(frame: pd.DataFrame, weighted: bool = True, calibrated: bool = False):
    """The report design: strata agency, clusters counter, dossier weights (or none).

    ``calibrated`` post-stratifies to the dossier totals of the (agency, service area) cells, so
    the estimates stay the same and the variance uses the calibration residuals.
    """
    from analysis import SurveyDesign, weighting

    made = SurveyDesign(frame, weights="weight" if weighted else None, strata=STRATA,
                        clusters=CLUSTERS, lonely_psu=LONELY_PSU)
    if calibrated and weighted:
        made = weighting.post_stratify(made, cell_totals(frame))
    return made


def cell_totals(frame: pd.DataFrame) -> pd.DataFrame:
    """Dossiers of every (agency, service area) cell: the sums of the export's weights."""
    totals = frame.groupby(CALIBRATION_CELLS, as_index=False)["weight"].sum()
    return totals.rename(columns={"weight": "total"})


def kish_effect(frame: pd.DataFrame) -> float:
    """Kish's design effect of weighting, 1 + CV²(w)."""
    from analysis import weighting

    if frame.empty:
        return float("nan")
    return float(weighting.kish_deff(frame["weight"].to_numpy()))


def indices(made, measures, by: str | None = None) -> pd.DataFrame:
    """Criterion, element and SIPAS indices (and mean scores) as records, one per row."""
    from analysis import sipas as sipas_measures

    table = sipas_measures.indices(made, measures, by=by, ci=CI_METHOD, level=LEVEL)
    frame = table.to_frame().reset_index(drop=True)
    if "by" not in frame:
        frame["by"] = "ALL"
    frame["by"] = frame["by"].astype(str)
    for name in RECORD_FIELDS:
        if name not in frame:
            frame[name] = np.nan
    return frame[RECORD_FIELDS]


def difference(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Change between two independent samples, measure by measure: estimate, CI, p-value."""
    rows = []
    merged = current.merge(previous, on=["level", "measure"], suffixes=("", "_prev"))
    for row in merged.itertuples(index=False):
        result = _difference(row.estimate, row.se, row.estimate_prev, row.se_prev)
        rows.append({"level": row.level, "measure": row.measure, "current": row.estimate,
                     "previous": row.estimate_prev, **result, "n": row.n,
                     "n_previous": row.n_prev,
                     "flag": row.flag, "flag_previous": row.flag_prev})
    return pd.DataFrame(rows)


def _difference(a: float, se_a: float, b: float, se_b: float) -> dict:
    """``compare.difference`` as a dict; no test when both SEs are zero or missing."""
    from analysis import compare

    if not np.isfinite(np.hypot(se_a, se_b)) or np.hypot(se_a, se_b) == 0:
        return {"difference": a - b, "se": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                "p_value": np.nan}
    result = compare.difference(a, se_a, b, se_b, level=LEVEL)
    return {"difference": result.estimate, "se": result.se, "ci_low": result.ci_low,
            "ci_high": result.ci_high, "p_value": result.p_value}


MIN_SE = 1e-9
UNUSABLE_FLAGS = ("suppressed", "no_df", "zero_se")


def unranked_reason(record: dict, lonely: set[str] | frozenset = frozenset()) -> str | None:
    """Why a unit cannot be ranked (None when it can).

    ``few``: fewer than 10 answers (suppressed); ``single_counter``: the agency has one counter
    (a lonely PSU gives no variance information); ``no_interval``: no finite interval or SE = 0.
    """
    def number(key):
        try:
            value = float(record.get(key))
        except (TypeError, ValueError):
            return float("nan")
        return value

    n, se = number("n"), number("se")
    if record.get("flag") == "suppressed" or not np.isfinite(n) or n < 10 \
            or not np.isfinite(number("estimate")):
        return "few"
    if str(record.get("by")) in lonely:
        return "single_counter"
    usable = (np.isfinite(se) and se > MIN_SE and np.isfinite(number("ci_low"))
              and np.isfinite(number("ci_high")) and record.get("flag") not in UNUSABLE_FLAGS)
    return None if usable else "no_interval"


def ranking(table: pd.DataFrame, lonely=()) -> pd.DataFrame:
    """Units ranked by estimate with ranges of plausible ranks, from the displayed intervals.

    Only units with a usable interval are ranked (finite CI, SE > 0, not suppressed, more than
    one counter); the others are returned with ``rank`` NaN and a ``reason``. Unit j is
    significantly better than unit i only when their displayed 95 % intervals do not overlap
    (ci_low of j above ci_high of i): the same t(df) / logit intervals the report shows, so a
    unit with a wide interval gets a wide range of plausible ranks. Rank = 1 + units with a
    higher estimate; lowest plausible rank = 1 + units significantly better, highest = units
    ranked − units significantly worse.
    """
    from analysis import compare

    lonely = {str(u) for u in lonely}
    reasons = [unranked_reason(r, lonely) for r in table.to_dict("records")]
    number = {c: pd.to_numeric(table[c], errors="coerce").to_numpy(dtype=float)
              for c in ("estimate", "se", "ci_low", "ci_high")}
    ranked = compare.rank_by_intervals(
        range(len(table)), number["estimate"], number["ci_low"], number["ci_high"],
        number["se"], usable=[r is None for r in reasons]).to_frame().set_index("unit")
    frame = pd.DataFrame({
        "by": table["by"].astype(str).to_numpy(), **number,
        "n": table["n"].to_numpy(), "flag": table["flag"].to_numpy(),
        "reason": [r or "" for r in reasons]})
    frame = frame.join(ranked[["rank", "rank_low", "rank_high", "band"]])
    return frame.sort_values(["rank", "estimate"], ascending=[True, False], na_position="last",
                             kind="stable").reset_index(drop=True)
