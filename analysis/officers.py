"""Results of one-stop officers: each officer a domain of the design, with a model-based index
shrunk toward the whole the design covers (an officer's agency).

An officer's responses are a domain of the design of their agency's responses (strata, weights
and fpc as every report), so the direct estimates are ``sipas.indices`` with ``by`` = officer;
rows without an officer stay in the design (every stratum in the variance) but in no domain.
The model-based SIPAS index (``breakdowns.add_model_estimates``, ``small_area.shrink``) pulls
each officer toward the design's whole, which contains the officer (``nested``). Which numbers
may be shown is a rule on ``n`` (``shown``); nothing here formats a number.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from . import breakdowns, sipas
from .design import SurveyDesign


def officer_labels(values) -> np.ndarray:
    """One domain label per row: the officer as text, None where the row has no officer."""
    series = pd.Series(list(values), dtype=object)
    missing = series.isna() | (series.astype(str) == "")
    return np.where(missing, None, series.astype(str)).astype(object)


def officer_estimates(design: SurveyDesign, structure, officer, ci: str = "logit",
                      level: float = 0.95) -> pd.DataFrame:
    """Every measure of every officer (``sipas.FIELDS``; ``by`` = officer label), and on the
    index rows ``model_estimate``, ``model_ci_low``, ``model_ci_high``, ``model_method``: the
    SIPAS index shrunk toward the design's whole ("ALL").

    ``officer``: one value per row of ``design`` (None, NaN or "" = no officer). Officers
    without a row are absent (the caller lists them with n = 0).
    """
    structure = sipas.load_structure(structure)
    labels = officer_labels(officer)
    if len(labels) != design.n:
        raise ValueError(f"officer has {len(labels)} labels for {design.n} rows")
    columns = sipas.FIELDS + ["model_estimate", "model_ci_low", "model_ci_high",
                              "model_method"]
    if not any(label is not None for label in labels):
        return pd.DataFrame(columns=columns)
    table = sipas.indices(design, structure, by=labels, ci=ci, level=level,
                          overall=False).to_frame()
    whole = breakdowns.overall_table(design, structure, None, ci, level)
    return breakdowns.add_model_estimates(table, None, whole, level)[columns]


def shown(table: pd.DataFrame, minimum: int) -> pd.Series:
    """Whether each record may be shown: at least ``minimum`` answers and an estimate."""
    n = pd.to_numeric(table["n"], errors="coerce").fillna(0)
    estimate = pd.to_numeric(table["estimate"], errors="coerce")
    return (n >= minimum) & estimate.notna()
