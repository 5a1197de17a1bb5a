"""Maps each row of the R reference files to our estimate (shared by tests and bench/compare_r.py)."""
from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import SurveyDesign, sipas, weighting

REFERENCE = Path(__file__).resolve().parents[2] / "fixtures" / "reference"
CRITERIA = Path(__file__).resolve().parents[2] / "fixtures" / "criteria.csv"
POSTSTRATA = pd.DataFrame({"stype": ["E", "H", "M"], "total": [4421, 755, 1018]})
RAKE_MARGINS = {"stype": {"E": 4421, "H": 755, "M": 1018}, "sch.wide": {"No": 1072, "Yes": 5122}}
SKIPPED_METHODS = {"likelihood"}


@cache
def api_designs() -> dict:
    """The four api designs of api-reference.csv plus the calibrated clus1 designs."""
    strat = pd.read_csv(REFERENCE / "apistrat.csv")
    clus = pd.read_csv(REFERENCE / "apiclus1.csv")
    clus1 = SurveyDesign(clus, weights="pw", clusters="dnum")
    return {"strat_fpc": SurveyDesign(strat, weights="pw", strata="stype", fpc="fpc"),
            "strat": SurveyDesign(strat, weights="pw", strata="stype"),
            "clus1_fpc": SurveyDesign(clus, weights="pw", clusters="dnum", fpc="fpc"),
            "clus1": clus1,
            "poststratified": weighting.post_stratify(clus1, POSTSTRATA),
            "raked": weighting.rake(clus1, RAKE_MARGINS)}


def api_rows() -> list[dict]:
    """Reference rows of api-reference.csv (those we compute)."""
    rows = pd.read_csv(REFERENCE / "api-reference.csv").to_dict("records")
    return [r for r in rows if r["case"].split("ci ")[-1] not in SKIPPED_METHODS]


def skipped_api_rows() -> list[dict]:
    """Reference rows of interval methods we do not implement (listed as skipped tests)."""
    rows = pd.read_csv(REFERENCE / "api-reference.csv").to_dict("records")
    return [r for r in rows if r["case"].split("ci ")[-1] in SKIPPED_METHODS]


def api_estimate(row: dict):
    """Our Estimate for one reference row."""
    designs = api_designs()
    case, d = row["case"], designs[row["design"]]
    if "post-stratified" in case:
        return designs["poststratified"].mean("api00")
    if "raked" in case:
        return designs["raked"].mean("api00")
    if case == "mean api00":
        return d.mean("api00")
    if case == "total enroll":
        return d.total("enroll")
    if case.startswith("ratio"):
        return d.ratio("api.stu", "enroll")
    if case.startswith("mean api00 in domain"):
        return d.mean("api00", by="stype")[case[-1]]
    if case.startswith("proportion sch.wide=Yes in domain"):
        return d.proportion("sch.wide", "Yes", by="stype")[case.split("=")[2][0]]
    method = case.split("ci ")[1]
    method = {"mean": "wald", "xlogit": "logit"}.get(method, method)
    return d.proportion("sch.wide", "Yes", ci=method)


@cache
def sipas_table() -> pd.DataFrame:
    """Our SIPAS records for sipas-example.csv with the reference design, by service area."""
    frame = pd.read_csv(REFERENCE / "sipas-example.csv")
    design = SurveyDesign(frame, weights="weight", strata="agency", clusters="counter")
    structure = sipas.Structure.from_criteria_csv(CRITERIA)
    return sipas.indices(design, structure, by="service_area").to_frame()


def sipas_rows() -> list[dict]:
    """Reference rows of sipas-example-reference.csv."""
    return pd.read_csv(REFERENCE / "sipas-example-reference.csv").to_dict("records")


def sipas_estimate(row: dict) -> dict:
    """Our record for one reference row."""
    t = sipas_table()
    hit = t[(t["by"] == row["scope"]) & (t["level"] == row["level"])
            & (t["measure"] == row["measure"])]
    assert len(hit) == 1, row
    return hit.iloc[0].to_dict()


def relative_differences(ours: dict, reference: dict) -> dict:
    """|ours/reference − 1| for estimate, se, ci_low, ci_high where the reference has them."""
    out = {}
    for key in ("estimate", "se", "ci_low", "ci_high"):
        ref = reference.get(key)
        if ref is None or (isinstance(ref, float) and np.isnan(ref)):
            continue
        out[key] = abs(float(ours[key]) / float(ref) - 1.0)
    return out


def row_level_calibrated_se(design, structure, inside) -> np.ndarray:
    """SEs of one domain of a calibrated design the slow, obvious way (a cross-check).

    Observation-level z's (rows × 2K), R's residuals applied row by row, PSU totals, then the
    composites; returns the SEs of criterion, element, index shares (fractions) and means.
    """
    from analysis.sums import answer_matrix
    answers = answer_matrix(design.frame, structure)
    w = design.weights * inside
    answered = np.isfinite(answers)
    y0 = np.where(answered, answers, 0.0)
    wa = w[:, None] * answered
    sat = y0 >= structure.satisfied_min
    a_total = wa.sum(axis=0)
    p, m = (wa * sat).sum(axis=0) / a_total, (wa * y0).sum(axis=0) / a_total
    z = np.hstack([wa * (sat - p) / a_total, wa * (y0 - m) / a_total])
    z = design.psu_totals(design.calibrate_residuals(z))
    k = len(p)
    index = {c: i for i, c in enumerate(structure.criteria)}
    c_mat = np.zeros((k, len(structure.elements)))
    for e, element in enumerate(structure.elements):
        c_mat[[index[c] for c in element.criteria], e] = 1 / len(element.criteria)
    v = np.array([e.weight for e in structure.elements])
    v = v / v.sum()
    share = z[:, :k]
    columns = np.column_stack([share, share @ c_mat, share @ c_mat @ v, z[:, k:]])
    return np.sqrt(design.layout.variance(columns))
