"""The report's numbers: rows and totals from the database, the design and every table from
``analysis``. The page, ``flask sipas report`` and every export call ``build_report``.

slices (``survey.slices``: stored sums, the rows only where they are stale or a custom range
cuts a month) + totals → ``analysis.cells.counter_design`` (cells quarter × agency × service area,
w = N/n, stratum = cell, fpc = N) → ``analysis.breakdowns`` (every table, coverage, flagged
sensitivity, model-based small units, rankings, change between periods in one design).

Computed tables are kept in a small in-process cache keyed by the request and a fingerprint of
the data (``data_version``), so a cached table is never stale; each web worker has its own.
"""
from __future__ import annotations

import contextvars
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from analysis import breakdowns, cells, sipas, weighting

from .. import periods, queries, slices
from ..models import Agency, Counter, PopulationTotal, Questionnaire, ServiceArea
from .filters import ReportFilters, agency_ids, trend_quarters

BREAKDOWNS = ("service_area", "agency", "counter", "channel")
CI_METHOD, LEVEL = "logit", 0.95
WHOLE = breakdowns.WHOLE
EXPORT_DESIGN = ["weight", "stratum", "fpc"]


@dataclass
class PeriodTables:
    """The tables of one period: ``overall`` (by ALL), one per breakdown, rankings, notes."""

    overall: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    weighting: dict = field(default_factory=dict)
    sensitivity: dict = field(default_factory=dict)
    rankings: dict[str, pd.DataFrame] = field(default_factory=dict)
    cells: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def sipas(self) -> dict | None:
        """The SIPAS index record of the whole domain."""
        rows = self.overall[self.overall["level"] == "index"] if len(self.overall) else []
        return rows.iloc[0].to_dict() if len(rows) else None


@dataclass
class Report:
    """Everything a report shows, in numbers (presentation lives elsewhere)."""

    filters: ReportFilters
    current: PeriodTables
    previous_period: str | None
    change: pd.DataFrame
    ranking: pd.DataFrame
    trend: pd.DataFrame | None = None
    previous_weighting: dict = field(default_factory=dict)

    @property
    def sipas(self) -> dict | None:
        """The headline SIPAS index record."""
        return self.current.sipas


def _period_rows(session: Session, questionnaire: str, period: str | None,
                 agencies: list[int] | None, with_ids: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The counted responses of one period and the dossier totals of their cells (cached)."""
    def load():
        frame = queries.responses_frame(session, questionnaire, period, agencies,
                                        with_ids=with_ids)
        totals = queries.cell_totals(session, period, frame["quarter"].unique()) \
            if len(frame) else pd.DataFrame()
        return frame, totals

    key = (questionnaire, period, tuple(agencies or ()), agencies is None, with_ids,
           data_version(session))
    return cached(key, load, _rows, MAX_ROW_ENTRIES)


def _period_slices(session: Session, questionnaire: str, period: str | None,
                   agencies: list[int] | None):
    """The slices of one period and the dossier totals of their cells (cached); None when
    the stored versions cannot be read as slices (``slices.report_slices``)."""
    def load():
        found = slices.report_slices(session, questionnaire, period, agencies,
                                     _fingerprint(session))
        if found is None:
            return None
        totals = queries.cell_totals(session, period, found.sums.keys["quarter"].unique()) \
            if len(found.sums) else pd.DataFrame()
        return found, totals

    key = ("slices", questionnaire, period, tuple(agencies or ()), agencies is None,
           data_version(session))
    return cached(key, load, _rows, MAX_ROW_ENTRIES)


def _from_slices(session: Session, questionnaire: str, chosen: list[str | None],
                 agencies: list[int] | None) -> cells.CellPlan | None | bool:
    """The plan over slices; False when they cannot be used (read the rows). Each period's
    plan is cached; periods without a quarter in common are their plans concatenated."""
    if len(chosen) > 1:
        plans = [_from_slices(session, questionnaire, [period], agencies) for period in chosen]
        if any(plan is False for plan in plans):
            return False
        plans = [plan for plan in plans if plan is not None]
        if not plans:
            return None
        joined = cells.concat_plans(plans)
        if joined is not None:
            joined.notes.update(_slice_notes(plans[0].notes["province_of"],
                                             [p.notes for p in plans]))
            return joined
    key = ("plan", questionnaire, tuple(chosen), tuple(agencies or ()), agencies is None,
           current_app.config["REPORT_MIN_CELL_RESPONSES"], data_version(session))
    return cached(key, lambda: _plan_of_slices(session, questionnaire, chosen, agencies),
                  _plans, MAX_ROW_ENTRIES)


def _plan_of_slices(session: Session, questionnaire: str, chosen: list[str | None],
                    agencies: list[int] | None) -> cells.CellPlan | None | bool:
    parts = [_period_slices(session, questionnaire, period, agencies) for period in chosen]
    if any(part is None for part in parts):
        return False
    parts = [(found, totals) for found, totals in parts if len(found.sums)]
    if not parts:
        return None
    from analysis.slices import SliceSums
    sums = SliceSums.concat([found.sums for found, _ in parts])
    plan = cells.counter_design(sums.keys, pd.concat([t for _, t in parts], ignore_index=True),
                                min_responses=current_app.config["REPORT_MIN_CELL_RESPONSES"],
                                count="rows", sums=sums)
    _with_provinces(session, plan)
    plan.notes.update(_slice_notes(plan.notes["province_of"], [
        {"stale_months": found.stale_months, "months_from_rows": found.months_from_rows}
        for found, _ in parts]))
    return plan


def _slice_notes(province_of: dict, parts: list[dict]) -> dict:
    """A plan's notes over slices: its provinces and the months of its parts not read from
    the sums (stale) or read from the rows."""
    return {"source": "sums", "province_of": province_of,
            "stale_months": sorted({m for part in parts for m in part["stale_months"]}),
            "months_from_rows": sorted({m for part in parts for m in part["months_from_rows"]})}


def design_plan(session: Session, questionnaire: str, chosen: list[str | None],
                agencies: list[int] | None, with_ids: bool = False,
                source: str | None = None) -> cells.CellPlan | None:
    """The counted responses of the periods ``chosen`` with their cells, weights, strata, fpc:
    over slices (``source`` "sums", the configured default) or respondent rows ("rows",
    always with ``with_ids``)."""
    source = "rows" if with_ids else source or current_app.config["REPORT_SOURCE"]
    if source == "sums":
        plan = _from_slices(session, questionnaire, chosen, agencies)
        if plan is not False:
            return plan
    parts = [_period_rows(session, questionnaire, period, agencies, with_ids)
             for period in chosen]
    parts = [(frame, totals) for frame, totals in parts if len(frame)]
    if not parts:
        return None
    plan = cells.counter_design(pd.concat([f for f, _ in parts], ignore_index=True),
                                pd.concat([t for _, t in parts], ignore_index=True),
                                min_responses=current_app.config["REPORT_MIN_CELL_RESPONSES"])
    plan.notes["source"] = "rows"
    _with_provinces(session, plan)
    return plan


def province_of(session: Session) -> dict[str, str]:
    """Each agency's province: its top ancestor (an agency without a parent). A national
    deployment holds one such root per province; a province's own database has one."""
    rows = session.execute(sa.select(Agency.id, Agency.code, Agency.parent_id)).all()
    parent = {row.id: row.parent_id for row in rows}
    code = {row.id: row.code for row in rows}
    out = {}
    for agency_id, agency_code in code.items():
        top, seen = agency_id, set()
        while parent.get(top) is not None and top not in seen:
            seen.add(top)
            top = parent[top]
        out[agency_code] = code[top]
    return out


def _with_provinces(session: Session, plan: cells.CellPlan) -> None:
    """Add each row's ``province`` (a domain: cells lie inside a province)."""
    provinces = province_of(session)
    plan.frame["province"] = plan.frame["agency"].map(provinces).astype(object)
    plan.notes["province_of"] = provinces


def export_frame(session: Session, questionnaire: str = "sipas",
                 period: str | None = None) -> pd.DataFrame:
    """The export read by ``python -m analysis sipas --weight weight --strata stratum --fpc fpc``:
    keys, the design columns of the report and one column per criterion."""
    plan = design_plan(session, questionnaire, [period], None, with_ids=True)
    definition = queries.latest_questionnaire(session, questionnaire).definition
    codes = sipas.Structure.from_definition(definition).criteria
    columns = queries.FRAME_KEYS + EXPORT_DESIGN + codes
    if plan is None:
        return pd.DataFrame(columns=columns)
    return plan.frame[columns]


def load_frame(session: Session, filters: ReportFilters, period: str | None,
               with_ids: bool = False) -> pd.DataFrame:
    """The counted responses of ``period`` in the agency subtree, with the report's weights."""
    plan = design_plan(session, filters.questionnaire, [period], agency_ids(session, filters),
                       with_ids=with_ids, source="rows")
    if plan is not None:
        return plan.frame
    columns = queries.FRAME_KEYS + EXPORT_DESIGN + ["survey_date", "status"]
    return pd.DataFrame(columns=columns)


def domain_mask(frame: pd.DataFrame, filters: ReportFilters) -> np.ndarray:
    """Rows of ``frame`` inside the report's domain (all rows when it has none)."""
    inside = _inside(frame, filters)
    return np.ones(len(frame), dtype=bool) if inside is None else inside


def _design(plan: cells.CellPlan, filters: ReportFilters):
    if filters.variance == "counters":
        return plan.counters_as_sample(filters.weighted)
    return plan.design(filters.weighted)


def _inside(frame: pd.DataFrame, filters: ReportFilters) -> np.ndarray | None:
    """Rows inside the report's domain (service area and channel), None for all rows."""
    if not filters.has_domain:
        return None
    mask = np.ones(len(frame), dtype=bool)
    if filters.service_area:
        mask &= (frame["service_area"] == filters.service_area).to_numpy()
    if filters.channel != "all":
        mask &= (frame["channel"] == filters.channel).to_numpy()
    return mask


def _structure(session: Session, code: str) -> sipas.Structure:
    return sipas.Structure.from_definition(queries.latest_questionnaire(session, code).definition)


def _units(session: Session, agencies: list[int] | None) -> dict[str, list[str]]:
    """Agencies with counters and active counters in scope: units to list even without data."""
    query = sa.select(Agency.code, Counter.code).join(Counter, Counter.agency_id == Agency.id)
    query = query.where(Counter.active.is_(True))
    if agencies is not None:
        query = query.where(Agency.id.in_(agencies))
    rows = session.execute(query).all()
    return {"agency": sorted({a for a, _ in rows}), "counter": sorted({c for _, c in rows})}


def _with_empty_units(table: pd.DataFrame, units: list[str]) -> pd.DataFrame:
    """Index rows with n = 0 for units in scope that have no response (never dropped)."""
    missing = sorted(set(units) - set(table["by"].astype(str)))
    if not missing:
        return table
    empty = pd.DataFrame({"by": missing, "level": "index", "measure": "SIPAS", "n": 0,
                          "flag": "suppressed", "cell_notes": "no_responses"})
    return pd.concat([table, empty], ignore_index=True)


def _source(filters: ReportFilters) -> str | None:
    """Counters as a sample need the rows (their PSUs are counters); else the default."""
    return "rows" if filters.variance == "counters" else None


def _unit_table(design, structure, plan, column, inside, low) -> pd.DataFrame:
    table = breakdowns.breakdown_table(design, structure, column, inside, CI_METHOD, LEVEL)
    table = breakdowns.with_coverage(table, plan.frame, column, inside, low, plan.count)
    notes = breakdowns.cell_notes(plan.frame, column, inside)
    table["cell_notes"] = notes.reindex(table["by"].astype(str)).fillna("").to_numpy()
    return table


def _weighting(plan: cells.CellPlan, filters: ReportFilters, period: str | None,
               inside: np.ndarray | None, design) -> dict:
    frame = plan.frame if inside is None else plan.frame[inside]
    counts = plan.counts(frame)
    summary = plan.summary()
    versions = sorted(int(v) for v in frame["questionnaire_id"].unique())
    return {**summary, "period": period, "variance": filters.variance,
            "kish": weighting.kish_deff(frame["weight"].to_numpy(), counts) if len(frame)
            else float("nan"),
            "flagged": int(counts[(frame["status"] == "flagged").to_numpy()].sum()),
            "counted": int(counts.sum()), "questionnaire_ids": versions,
            "source": plan.notes.get("source"),
            "stale_months": plan.notes.get("stale_months", []),
            "months_from_rows": plan.notes.get("months_from_rows", []),
            "design_df": int(design.df), "design_strata": int(design.layout.n_strata),
            "min_cell_responses": plan.min_responses}


def compute_period(session: Session, filters: ReportFilters, period: str | None,
                   full: bool = True) -> PeriodTables:
    """Tables of one period for the filters' domain (only the overall table unless ``full``)."""
    scope = agency_ids(session, filters)
    plan = design_plan(session, filters.questionnaire, [period], scope,
                       source=_source(filters))
    if plan is None:
        return PeriodTables(pd.DataFrame(columns=sipas.FIELDS),
                            {b: pd.DataFrame(columns=sipas.FIELDS) for b in BREAKDOWNS}
                            if full else {}, {"responses": 0, "period": period})
    structure = _structure(session, filters.questionnaire)
    design = _design(plan, filters)
    inside = _inside(plan.frame, filters)
    low = float(current_app.config["REPORT_LOW_COVERAGE"])
    overall = breakdowns.overall_table(design, structure, inside, CI_METHOD, LEVEL)
    overall = breakdowns.with_coverage(overall, plan.frame, None, inside, low, plan.count)
    info = _weighting(plan, filters, period, inside, design)
    info["questionnaire_versions"] = questionnaire_versions(session, info["questionnaire_ids"])
    info["low_coverage"] = low
    if not full:
        return PeriodTables(overall, {}, info)
    tables = {b: _unit_table(design, structure, plan, b, inside, low) for b in BREAKDOWNS}
    units = _units(session, scope)
    provinces = sorted({plan.notes["province_of"][a] for a in units["agency"]})
    if len(provinces) > 1:   # a national deployment: provinces are a breakdown and a ranking
        tables["province"] = breakdowns.add_model_estimates(
            _unit_table(design, structure, plan, "province", inside, low), None, overall, LEVEL)
        tables["province"] = _with_empty_units(tables["province"], provinces)
    tables["agency"] = breakdowns.add_model_estimates(tables["agency"], None, overall, LEVEL)
    parents = dict(zip(plan.frame["counter"].astype(str), plan.frame["agency"].astype(str)))
    tables["counter"] = breakdowns.add_model_estimates(tables["counter"], parents,
                                                       tables["agency"], LEVEL)
    for name in ("agency", "counter"):
        tables[name] = _with_empty_units(tables[name], units[name])
    rankings = {"agency": breakdowns.ranking(tables["agency"], model="small"),
                "counter": breakdowns.ranking(tables["counter"], model="all")}
    if "province" in tables:
        rankings["province"] = breakdowns.ranking(tables["province"], model="small")
    sensitivity = breakdowns.sensitivity(design, structure, "status", "valid", inside,
                                         CI_METHOD, LEVEL)
    return PeriodTables(overall, tables, info, sensitivity, rankings, plan.cell_table())


def period_weighting(session: Session, filters: ReportFilters, period: str) -> dict:
    """The weighting summary of a period (cells, totals, merges) without computing estimates."""
    plan = design_plan(session, filters.questionnaire, [period], agency_ids(session, filters),
                       source=_source(filters))
    if plan is None:
        return {"responses": 0, "period": period}
    return _weighting(plan, filters, period, _inside(plan.frame, filters), _design(plan, filters))


def warnings(info: dict) -> list[dict]:
    """What an analyst must know about the period's cells, as data: ``kind`` and ``detail``
    (no_totals | partial_totals, over_covered, lonely, merged, sums_stale,
    questionnaire_versions)."""
    cells, known = int(info.get("cells") or 0), int(info.get("cells_with_total") or 0)
    found = []
    if cells and known < cells:
        found.append({"kind": "no_totals" if not known else "partial_totals",
                      "detail": f"{cells - known} of {cells} cells without a dossier total"})
    for kind, key in (("over_covered", "over_covered"), ("lonely", "lonely_strata")):
        if info.get(key):
            found.append({"kind": kind, "detail": ", ".join(info[key])})
    if info.get("merged_cells"):
        found.append({"kind": "merged", "detail": f"{info['merged_cells']} cells merged "
                      f"({info.get('merged_into_agency', 0)} into the agency's quarter)"})
    if info.get("stale_months"):
        found.append({"kind": "sums_stale", "detail": ", ".join(info["stale_months"])})
    if len(info.get("questionnaire_versions") or []) > 1:
        found.append({"kind": "questionnaire_versions",
                      "detail": ", ".join(str(v) for v in info["questionnaire_versions"])})
    return found


def change_table(session: Session, filters: ReportFilters, previous: str) -> pd.DataFrame:
    """SIPAS and element indices now and in ``previous``: the two periods are domains of one
    design (``analysis.breakdowns.period_change``)."""
    plan = design_plan(session, filters.questionnaire, [filters.period, previous],
                       agency_ids(session, filters), source=_source(filters))
    if plan is None:
        return pd.DataFrame()
    structure = _structure(session, filters.questionnaire)
    design = _design(plan, filters)
    inside = _inside(plan.frame, filters)
    change = breakdowns.period_change(design, structure, "period", filters.period, previous,
                                      inside, LEVEL)
    if change.empty:
        return change
    both = breakdowns.breakdown_table(design, structure, "period", inside, CI_METHOD, LEVEL)
    counts = {label: rows.set_index(["level", "measure"]) for label, rows in both.groupby("by")}
    change = change[change["level"].isin(["index", "element"])].reset_index(drop=True)
    now, before = counts[filters.period], counts[previous]
    key = list(zip(change["level"], change["measure"]))
    return pd.DataFrame({
        "level": change["level"], "measure": change["measure"],
        "current": change["estimate_a"], "previous": change["estimate_b"],
        "difference": change["difference"], "se": change["se"], "ci_low": change["ci_low"],
        "ci_high": change["ci_high"], "p_value": change["p_value"],
        "significant": change["significant"],
        "n": now.loc[key, "n"].to_numpy(), "n_previous": before.loc[key, "n"].to_numpy(),
        "flag": now.loc[key, "flag"].to_numpy(),
        "flag_previous": before.loc[key, "flag"].to_numpy()})


def _cached(session: Session, filters: ReportFilters, what: str, compute, *key) -> object:
    version = data_version(session)
    scope = tuple(agency_ids(session, filters) or ())
    return cached((what, filters.key(), scope, key, version), compute)


def trend_table(session: Session, filters: ReportFilters) -> pd.DataFrame:
    """The SIPAS index in each of the last six quarters, with its interval."""
    rows = []
    for quarter in trend_quarters(filters.period):
        tables = _cached(session, filters, "overall",
                         lambda q=quarter: compute_period(session, filters, q, full=False),
                         quarter)
        record = tables.sipas or {"estimate": None, "ci_low": None, "ci_high": None, "n": 0,
                                  "flag": "suppressed", "se": None}
        rows.append({"period": quarter, **{k: record.get(k) for k in
                                           ("estimate", "se", "ci_low", "ci_high", "n", "flag")}})
    return pd.DataFrame(rows)


def build_report(session: Session, filters: ReportFilters, trend: bool = True) -> Report:
    """Compute every table of the report for ``filters`` (the trend only when asked); the data
    version is read once for the whole report."""
    version, found = _measure(session)
    token = _request.set((session, version, found))
    try:
        return _build_report(session, filters, trend)
    finally:
        _request.reset(token)


def _build_report(session: Session, filters: ReportFilters, trend: bool) -> Report:
    current = _cached(session, filters, "period",
                      lambda: compute_period(session, filters, filters.period))
    previous = periods.parse(filters.period).previous().label if filters.period else None
    change, previous_weighting = pd.DataFrame(), {}
    if previous:
        change = _cached(session, filters, "change",
                         lambda: change_table(session, filters, previous))
        previous_weighting = _cached(session, filters, "weighting",
                                     lambda: period_weighting(session, filters, previous),
                                     previous)
    return Report(filters, current, previous, change,
                  current.rankings.get("agency", pd.DataFrame()),
                  trend_table(session, filters) if trend else None, previous_weighting)


def questionnaire_versions(session: Session, ids: list[int]) -> list[int]:
    """Version numbers of the questionnaire rows ``ids`` (a period may mix versions)."""
    if not ids:
        return []
    return sorted(session.scalars(sa.select(Questionnaire.version)
                                  .where(Questionnaire.id.in_(ids))).all())


MAX_ENTRIES = 64        # computed tables (small)
MAX_ROW_ENTRIES = 4     # response frames (large): enough for one report's two periods
_entries: OrderedDict[tuple, Any] = OrderedDict()
_rows: OrderedDict[tuple, Any] = OrderedDict()
_plans: OrderedDict[tuple, Any] = OrderedDict()   # plans over slices, as many as frames
_lock = threading.Lock()


_request: contextvars.ContextVar[tuple | None] = contextvars.ContextVar("report_data",
                                                                       default=None)


def _measure(session: Session) -> tuple[tuple, slices.Fingerprint]:
    """The data version and the slices' fingerprint, read from the database."""
    found = slices.fingerprint(session)
    totals = session.execute(sa.select(sa.func.count(), sa.func.sum(PopulationTotal.dossiers),
                                       sa.func.sum(PopulationTotal.id * PopulationTotal.dossiers)
                                       )).one()
    agencies = session.execute(sa.select(sa.func.count(), sa.func.sum(
        sa.func.coalesce(Agency.parent_id, 0) * Agency.id))).one()
    questionnaires = session.scalar(sa.select(sa.func.max(Questionnaire.id)))
    codes = tuple(session.scalar(sa.select(sa.func.sum(sa.func.length(model.code) * model.id)))
                  for model in (Agency, Counter, ServiceArea))
    url = str(session.get_bind().url)
    return (url, found.key(), *totals, *agencies, questionnaires, *codes), found


def _current(session: Session) -> tuple[tuple, slices.Fingerprint]:
    held = _request.get()
    if held is not None and held[0] is session:
        return held[1], held[2]
    return _measure(session)


def data_version(session: Session) -> tuple:
    """A fingerprint of everything a report depends on (responses by code, day and status,
    the stored slices, totals, agencies, questionnaires, codes); read once per report."""
    return _current(session)[0]


def _fingerprint(session: Session) -> slices.Fingerprint:
    return _current(session)[1]


def cached(key: tuple, compute: Callable[[], Any], store: OrderedDict | None = None,
           limit: int = MAX_ENTRIES) -> Any:
    """The value stored under ``key``, computed (and stored, least recently used dropped)
    when missing."""
    store = _entries if store is None else store
    with _lock:
        if key in store:
            store.move_to_end(key)
            return store[key]
    value = compute()
    with _lock:
        store[key] = value
        while len(store) > limit:
            store.popitem(last=False)
    return value


def clear_cache() -> None:
    """Forget every cached table and response frame."""
    with _lock:
        _entries.clear()
        _rows.clear()
        _plans.clear()
