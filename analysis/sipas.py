"""SIPAS measures: criterion, element and overall indices and mean scores, with their uncertainty.

- criterion index p_k = Σ w·s_k / Σ w·a_k (share answering ≥ satisfied_min among those who
  answered), in percent; mean score m_k = Σ w·a_k·y_k / Σ w·a_k on the 1–5 scale;
- element index = mean of its criteria; SIPAS = mean of the elements weighted by the element
  weights of the questionnaire definition;
- variances by linearising the composite: z_E = mean of the criterion z's, z_SIPAS = weighted mean
  of the element z's (never by averaging intervals).

Choices: ``n`` of an element (of the index) is the number of respondents answering at least one
of its criteria (at least one criterion). In a domain where a criterion has no answer at all, the
element is the mean of its criteria that have answers (NaN if none). Degrees of freedom: the
design's PSUs − strata for ALL; for a domain, as R's ``svyby``/``degf`` on the domain's subset,
the PSUs − strata that contain at least one row of the domain. ``n_eff`` of a share (and of
an element or the index) is
p(1−p)/SE² (Korn–Graubard), of a mean score s²/SE²; ``deff`` is R's ``deff = TRUE``: V over
the variance of simple random sampling without replacement of the same n from N̂ = Σ w
(computed from the rows; from sums only for criteria and mean scores). ``ci`` applies to the
share measures; mean scores always get the Wald (t_df) interval. ``by`` gives the "ALL" rows
followed by one block per domain value (sorted); rows with a missing domain value count in ALL.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import intervals
from .calibration import CalibratedSums
from .columns import value_at
from .design import DesignError, PsuLayout, SurveyDesign
from .domains import composition, domain_results
from .estimators import domain_codes, srs_factor
from .reliability import flags
from .sums import (
    CellSums,
    answer_columns,
    cells_from_arrays,
    cells_from_frame,
    cells_to_frame,
)

if TYPE_CHECKING:
    import pandas as pd

QUESTIONNAIRES = Path(__file__).resolve().parent.parent / "survey" / "questionnaires"
FIELDS = ["by", "level", "measure", "estimate", "se", "ci_low", "ci_high", "n", "n_eff", "deff",
          "flag", "ci_method", "df"]


@dataclass(frozen=True)
class Element:
    """An element (yếu tố): code, weight in the SIPAS index, its criterion codes."""

    code: str
    weight: float
    criteria: tuple[str, ...]


@dataclass(frozen=True)
class Structure:
    """Elements → criteria, element weights and the scale of a questionnaire."""

    code: str
    elements: tuple[Element, ...]
    satisfied_min: float = 4
    scale_min: float = 1
    scale_max: float = 5

    @property
    def criteria(self) -> list[str]:
        """All criterion codes in questionnaire order."""
        return [c for e in self.elements for c in e.criteria]

    def element_of(self, criterion: str) -> str:
        """The element code of a criterion."""
        return next(e.code for e in self.elements if criterion in e.criteria)

    @classmethod
    def from_definition(cls, definition: dict) -> Structure:
        """From a questionnaire definition (the JSON of ``survey/questionnaires``)."""
        scale = definition.get("scale", {})
        elements = tuple(Element(str(e["code"]), float(e.get("weight", 1.0)),
                                 tuple(str(c["code"]) for c in e["criteria"]))
                         for e in definition["elements"])
        if not elements or any(not e.criteria for e in elements):
            raise DesignError("questionnaire definition has an element without criteria")
        return cls(str(definition.get("code", "")), elements,
                   float(scale.get("satisfied_min", 4)), float(scale.get("min", 1)),
                   float(scale.get("max", 5)))

    @classmethod
    def from_file(cls, path) -> Structure:
        """From a questionnaire JSON file."""
        with open(path, encoding="utf-8") as handle:
            return cls.from_definition(json.load(handle))

    @classmethod
    def from_criteria_csv(cls, path, code: str = "sipas") -> Structure:
        """From a criteria table (columns code, element), equal element weights."""
        import pandas as pd
        table = pd.read_csv(path, dtype=str)
        elements = tuple(Element(e, 1.0, tuple(group["code"]))
                         for e, group in table.groupby("element", sort=False))
        return cls(code, elements)


def load_structure(code_or_path) -> Structure:
    """A Structure from a Structure, a definition dict, a .json path or a bare code.

    A bare code reads ``<repo>/survey/questionnaires/<code>.json`` (the file only).
    """
    if isinstance(code_or_path, Structure):
        return code_or_path
    if isinstance(code_or_path, dict):
        return Structure.from_definition(code_or_path)
    text = str(code_or_path)
    path = Path(text) if (text.endswith(".json") or "/" in text) else QUESTIONNAIRES / f"{text}.json"
    try:
        return Structure.from_file(path)
    except FileNotFoundError:
        raise DesignError(f"unknown questionnaire {text!r} (no file {path})") from None
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise DesignError(f"questionnaire {text!r} is not a valid definition: {error}") from None


class SipasTable:
    """SIPAS records, one per (domain, measure), held as columns ``FIELDS`` (numpy arrays):
    ``to_frame()`` (pandas), ``records()``, ``get()``."""

    def __init__(self, columns: dict[str, np.ndarray], by: str | None, lonely_strata: list,
                 df: int):
        self.columns = {name: np.asarray(columns[name]) for name in FIELDS}
        self.by, self.lonely_strata, self.df = by, lonely_strata, df

    def to_frame(self) -> pd.DataFrame:
        """All records as a DataFrame (columns ``FIELDS``)."""
        import pandas as pd
        return pd.DataFrame(self.columns)

    def records(self) -> list[dict]:
        """All records as dicts of Python values; NaN becomes None."""
        values = [[None if isinstance(v, float) and not math.isfinite(v) else v
                   for v in column.tolist()] for column in self.columns.values()]
        return [dict(zip(self.columns, row)) for row in zip(*values)]

    def get(self, measure: str, level: str | None = None, by: str = "ALL") -> dict:
        """One record by measure code (and level, domain)."""
        c = self.columns
        hit = (c["measure"] == measure) & (c["by"] == str(by))
        if level is not None:
            hit &= c["level"] == level
        found = np.flatnonzero(hit)
        if not len(found):
            raise KeyError((by, level, measure))
        return {name: value_at(column, found[0]) for name, column in c.items()}

    def __len__(self) -> int:
        return len(self.columns["by"])


def domain_measures(psu, z_share, z_mean, totals: dict, structure: Structure,
                    layout: PsuLayout) -> dict:
    """Estimates and variances of every measure of one domain.

    ``psu``: distinct PSU numbers with their totals of the criterion z's (``z_share``,
    ``z_mean``, PSUs × K); ``totals``: domain sums n, a, s, y, q (K), n_element (E), n_any.
    """
    a, s, y, q = totals["a"], totals["s"], totals["y"], totals["q"]
    available = a > 0
    c_mat, has, v = composition(structure, available)
    with np.errstate(divide="ignore", invalid="ignore"):
        p, m = s / a, y / a
        z_share = np.where(available, z_share, 0.0)
        z_mean = np.where(available, z_mean, 0.0)
    p0 = np.where(available, p, 0.0)
    element = np.where(has, p0 @ c_mat, np.nan)
    index = float(np.where(has, element, 0.0) @ v) if has.any() else np.nan
    z_element = z_share @ c_mat
    z_all = np.column_stack([z_share, z_element, z_element @ v, z_mean])
    var = layout.variance_from_cells(psu, z_all)
    k, e = len(p), len(element)
    with np.errstate(divide="ignore", invalid="ignore"):
        s2 = q / a - m * m
        srs_criteria = srs_factor(a, totals["n"]) * p * (1 - p) / a
        srs_mean = srs_factor(a, totals["n"]) * s2 / a
    return {"share": np.concatenate([p, element, [index]]), "mean": m,
            "var_share": var[:k + e + 1], "var_mean": var[k + e + 1:],
            "n_share": np.concatenate([totals["n"], totals["n_element"], [totals["n_any"]]]),
            "n_mean": totals["n"], "s2_mean": s2, "psu": np.asarray(psu), "z": z_all,
            "srs_share": np.concatenate([srs_criteria, np.full(e + 1, np.nan)]),
            "srs_mean": srs_mean, "composition": (c_mat, v)}


def add_srs_variance(res: dict, answers: np.ndarray, weights: np.ndarray,
                     structure: Structure) -> dict:
    """Fill the SRS variance of every measure from the domain's rows (for ``deff``).

    R's ``deff = TRUE``: V_srs = (N̂ − n)/(n − 1) · Σ_i z_i²/w_i with z the linearised
    variable and N̂ = Σ w over the measure's respondents; composites use their own z.
    """
    answered = np.isfinite(answers)
    x = np.where(answered, answers, 0.0)
    k = answers.shape[1]
    a_total = np.array([weights @ answered[:, j] for j in range(k)])
    with np.errstate(divide="ignore", invalid="ignore"):
        p, m = res["share"][:k], res["mean"]
        scale = np.where(a_total > 0, 1.0 / a_total, 0.0)
        share_r = answered * ((x >= structure.satisfied_min) - np.nan_to_num(p)) * scale
        mean_r = answered * (x - np.nan_to_num(m)) * scale
    c_mat, v = res["composition"]
    composite = np.column_stack([share_r @ c_mat, share_r @ c_mat @ v])
    members = [answered @ (c_mat[:, e] > 0) > 0 for e in range(c_mat.shape[1])]
    members.append(answered.any(axis=1))
    population = np.concatenate([a_total, [weights @ mk for mk in members]])
    spread = np.concatenate([weights @ share_r ** 2, weights @ composite ** 2])
    with np.errstate(divide="ignore", invalid="ignore"):
        res["srs_share"] = srs_factor(population, res["n_share"]) * spread
        res["srs_mean"] = srs_factor(a_total, res["n_mean"]) * (weights @ mean_r ** 2)
    return res


def _cell_totals(cells: CellSums) -> dict:
    totals = {kind: getattr(cells, kind).sum(axis=0) for kind in ("n", "a", "s", "y", "q")}
    totals["n_element"] = cells.n_element.sum(axis=0)
    totals["n_any"] = cells.n_any.sum()
    return totals


def _cell_z(cells: CellSums, totals: dict):
    """Criterion z totals of the cells' PSUs, and the domain's p (shares) and m (means)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        p = totals["s"] / totals["a"]
        m = totals["y"] / totals["a"]
        z_share = (cells.s - p * cells.a) / totals["a"]
        z_mean = (cells.y - m * cells.a) / totals["a"]
    return p, m, z_share, z_mean


def _cell_measures(cells: CellSums, structure: Structure, layout: PsuLayout) -> dict:
    """Measures of one domain from its cells (distinct PSUs)."""
    totals = _cell_totals(cells)
    _, _, z_share, z_mean = _cell_z(cells, totals)
    return domain_measures(cells.psu, z_share, z_mean, totals, structure, layout)


def _calibrated_cell_measures(cells: CellSums, slot, calibrated, structure: Structure,
                              layout: PsuLayout) -> dict:
    """Measures of one domain of a calibrated design: cell z's minus the calibration part."""
    totals = _cell_totals(cells)
    p, m, z_share, z_mean = _cell_z(cells, totals)
    k = len(p)
    z = np.zeros((layout.n_psu, 2 * k))
    z[cells.psu] = np.nan_to_num(np.hstack([z_share, z_mean]))
    z -= calibrated.adjustment(slot, np.nan_to_num(p), np.nan_to_num(m), totals["a"])
    return domain_measures(np.arange(layout.n_psu), z[:, :k], z[:, k:], totals, structure,
                           layout)


def _se(variance: np.ndarray) -> np.ndarray:
    """Standard errors, with rounding noise (a variance below 1e-24) read as exactly 0."""
    variance = np.asarray(variance, dtype=float)
    return np.sqrt(np.where(np.abs(variance) < 1e-24, 0.0, variance))


def _stack(results: list[tuple[str, dict, float]], key: str) -> np.ndarray:
    return np.stack([np.asarray(res[key], dtype=float) for _, res, _ in results])


def _records(results: list[tuple[str, dict, float]], structure: Structure, ci: str,
             level: float) -> dict[str, np.ndarray]:
    """Records of every domain, domain after domain: criteria, elements, index (percent), then
    mean scores; computed for all domains at once (arrays domains × measures)."""
    k, codes = len(structure.criteria), [e.code for e in structure.elements]
    df = np.array([d for _, _, d in results], dtype=float)[:, None]
    est, se, n = _stack(results, "share"), _se(_stack(results, "var_share")), \
        _stack(results, "n_share")
    m, se_m, n_m = _stack(results, "mean"), _se(_stack(results, "var_mean")), \
        _stack(results, "n_mean")
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(se > 0, est * (1 - est) / se ** 2, n)
        low, high, used = intervals.share_interval(ci, est, se, n=n, df=df, level=level)
        n_eff_m = np.where(se_m > 0, _stack(results, "s2_mean") / se_m ** 2, n_m)
        low_m, high_m = intervals.wald(m, se_m, df, level)
        srs, srs_m = _stack(results, "srs_share"), _stack(results, "srs_mean")
        deff = np.where(srs > 0, se ** 2 / srs, np.nan)
        deff_m = np.where(srs_m > 0, se_m ** 2 / srs_m, np.nan)
    width = est.shape[1] + k
    columns = {
        "by": np.repeat([label for label, _, _ in results], width),
        "level": np.tile(["criterion"] * k + ["element"] * len(codes) + ["index"]
                         + ["mean"] * k, len(results)),
        "measure": np.tile(structure.criteria + codes + ["SIPAS"] + structure.criteria,
                           len(results)),
        "estimate": np.hstack([100 * est, m]), "se": np.hstack([100 * se, se_m]),
        "ci_low": np.hstack([100 * low, low_m]), "ci_high": np.hstack([100 * high, high_m]),
        "n": np.hstack([n, n_m]).astype(np.int64), "n_eff": np.hstack([n_eff, n_eff_m]),
        "deff": np.hstack([deff, deff_m]),
        "flag": np.hstack([flags(n, n_eff, se, 100 * (high - low), wide=20.0),
                           flags(n_m, n_eff_m, se_m, high_m - low_m, wide=None)]),
        "ci_method": np.hstack([np.broadcast_to(used, est.shape),
                                np.full(m.shape, "wald", dtype=object)]),
        "df": np.repeat(df, width, axis=1)}
    return {name: np.asarray(values).ravel() for name, values in columns.items()}


def _no_records() -> dict[str, np.ndarray]:
    return {name: np.array([], dtype=object) for name in FIELDS}


def records(results: list[tuple[str, dict, float]], structure, ci: str = "logit",
            level: float = 0.95) -> pd.DataFrame:
    """The SIPAS records (``FIELDS``) of (label, measures, df) results, as ``indices`` gives
    them (e.g. from ``analysis.slices.moments_results``)."""
    structure = load_structure(structure)
    if ci not in intervals.METHODS:
        raise DesignError(f"unknown interval method {ci!r}")
    import pandas as pd
    return pd.DataFrame(_records(results, structure, ci, level) if results else _no_records(),
                        columns=FIELDS)


def _cells_df(cells: CellSums, layout: PsuLayout) -> float:
    """R's ``degf`` of a domain: its PSUs − its strata."""
    return float(len(cells.psu) - len(np.unique(layout.psu_stratum[cells.psu])))


def _table(results: list[tuple[str, dict, float]], structure, layout, by, ci, level
           ) -> SipasTable:
    if ci not in intervals.METHODS:
        raise DesignError(f"unknown interval method {ci!r}; use one of "
                          f"{', '.join(intervals.METHODS)}")
    columns = _records(results, structure, ci, level) if results else _no_records()
    by = by if by is None or isinstance(by, str) else getattr(by, "name", None) or "domain"
    return SipasTable(columns, by, layout.lonely_strata, layout.df)


def indices_from_cells(cells: CellSums, layout: PsuLayout, labels: list, structure: Structure,
                       by: str | None = None, ci: str = "logit", level: float = 0.95
                       ) -> SipasTable:
    """SIPAS table from cell sums: ALL, then each domain in ``labels`` (when ``by``)."""
    results = [("ALL", _cell_measures(cells.by_psu(), structure, layout), float(layout.df))]
    if by is not None:
        for d, label in enumerate(labels):
            inside = cells.select(cells.domain == d)
            results.append((label, _cell_measures(inside, structure, layout),
                            _cells_df(inside, layout)))
    return _table(results, structure, layout, by, ci, level)


def indices_from_sums(sums: pd.DataFrame, structure, by: str | None = "domain",
                      ci: str = "logit", level: float = 0.95,
                      lonely_psu: str = "adjust") -> SipasTable:
    """SIPAS table from a sums DataFrame (``analysis.sql.sipas_sums`` or ``design_sums``).

    ``by`` only switches the per-domain rows on (the sums' ``domain`` column holds the values).
    """
    structure = load_structure(structure)
    layout, cells, labels = cells_from_frame(sums, structure, lonely_psu)
    return indices_from_cells(cells, layout, labels, structure,
                              by=by if labels else None, ci=ci, level=level)


def _design_cells(design: SurveyDesign, structure: Structure, by: str | None):
    answers = answer_columns(design.frame, structure)
    g, labels = domain_codes(design, by)
    cells = cells_from_arrays(answers, design.weights, design.psu_code, g, structure)
    return answers, g, labels, cells


def design_sums(design: SurveyDesign, structure, by: str | None = None) -> pd.DataFrame:
    """The sufficient-sums DataFrame of a design (same layout as ``analysis.sql.sipas_sums``)."""
    structure = load_structure(structure)
    _, _, labels, cells = _design_cells(design, structure, by)
    return cells_to_frame(cells, design.layout, labels, structure)


def domain_result(design: SurveyDesign, structure: Structure, by, label) -> dict:
    """Estimates, variances and PSU-level z's (``psu``, ``z``) of one domain of ``by`` (a
    column name or one label per row)."""
    columns, g, labels, cells = _design_cells(design, structure, by)
    if str(label) not in labels:
        name = by if isinstance(by, str) else "by"
        raise DesignError(f"column {name!r}: empty domain {label!r}", column=name)
    d = labels.index(str(label))
    inside = cells.select(cells.domain == d)
    if not design.calibration:
        return _cell_measures(inside, structure, design.layout)
    calibrated = CalibratedSums(design, columns, g, len(labels), structure.satisfied_min)
    return _calibrated_cell_measures(inside, d + 1, calibrated, structure, design.layout)


def indices(design: SurveyDesign, structure, by: str | None = None, ci: str = "logit",
            level: float = 0.95, overall: bool = True) -> SipasTable:
    """Criterion, element, SIPAS indices and mean scores: "ALL" rows, then per domain of ``by``.

    ``structure``: a Structure, a definition dict, a questionnaire code or a .json path.
    ``ci``: logit (default) | beta | wilson | wald for the share measures. ``by``: a column
    name or one label per row; ``overall`` False leaves the "ALL" rows out (R's ``svyby``).
    Uncalibrated designs take every domain in one pass (``domains``); calibrated ones go
    domain by domain through the calibration residuals.
    """
    structure = load_structure(structure)
    if not design.calibration:
        return _uncalibrated(design, structure, by, ci, level, overall or by is None)
    columns, g, labels, cells = _design_cells(design, structure, by)
    layout = design.layout
    calibrated = CalibratedSums(design, columns, g, len(labels), structure.satisfied_min)

    def measures(part, slot):
        return _calibrated_cell_measures(part, slot, calibrated, structure, layout)

    answers = np.column_stack(columns) if columns else np.zeros((design.n, 0))
    results = [("ALL", add_srs_variance(measures(cells.by_psu(), None), answers,
                                        design.weights, structure), float(design.df))]
    if by is not None:
        order = np.argsort(g, kind="stable")
        bounds = np.searchsorted(g[order], np.arange(len(labels) + 1))
        for d, label in enumerate(labels):
            rows = order[bounds[d]:bounds[d + 1]]
            inside = cells.select(cells.domain == d)
            res = add_srs_variance(measures(inside, d + 1), answers[rows],
                                   design.weights[rows], structure)
            results.append((label, res, _cells_df(inside, layout)))
    if not overall and by is not None:
        results = results[1:]
    return _table(results, structure, layout, by, ci, level)


def _uncalibrated(design: SurveyDesign, structure: Structure, by, ci: str, level: float,
                  overall: bool) -> SipasTable:
    """``indices`` of an uncalibrated design: every domain, and ALL, in one pass (``domains``)."""
    if by is None:
        g, labels = np.full(design.n, -1, dtype=np.int64), []
    else:
        g, labels = domain_codes(design, by)
    found = domain_results(design, structure, g, len(labels), overall=overall)
    results = [(label, res, df) for label, (res, df) in zip(labels, found)]
    if overall:
        results.insert(0, ("ALL", found[-1][0], float(design.df)))
    return _table(results, structure, design.layout, by, ci, level)
