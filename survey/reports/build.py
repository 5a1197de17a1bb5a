"""The report: one function computes every table; the page, the CLI and the exports all use it.

frame = queries.responses_frame(...) → design = SurveyDesign(...) → tables = analysis calls.
Service area and channel are *domains* of the full design: every response and every counter stays
in the design (z = 0 outside the domain), so the intervals are not too narrow.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy.orm import Session

from .. import periods, queries
from . import cache, engine
from .filters import ReportFilters, agency_ids, trend_quarters

BREAKDOWNS = ("service_area", "agency", "counter", "channel")
WHOLE = "ALL"
INSIDE = "__inside__"


@dataclass
class PeriodTables:
    """The tables of one period: ``overall`` (by ALL) and one per breakdown."""

    overall: pd.DataFrame
    breakdowns: dict[str, pd.DataFrame] = field(default_factory=dict)
    weighting: dict = field(default_factory=dict)

    @property
    def sipas(self) -> dict | None:
        """The SIPAS index record of the whole domain."""
        rows = self.overall[self.overall["level"] == "index"]
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


def domain_mask(frame: pd.DataFrame, filters: ReportFilters) -> pd.Series:
    """Responses inside the report's domain (service area and channel)."""
    mask = pd.Series(True, index=frame.index)
    if filters.service_area:
        mask &= frame["service_area"] == filters.service_area
    if filters.channel != "all":
        mask &= frame["channel"] == filters.channel
    return mask


def with_domains(frame: pd.DataFrame, filters: ReportFilters) -> pd.DataFrame:
    """Add one domain column per breakdown: the unit inside the domain, OUTSIDE elsewhere."""
    frame = frame.copy()
    mask = domain_mask(frame, filters)
    frame[engine.DOMAIN] = mask.map({True: INSIDE, False: engine.OUTSIDE})
    for column in BREAKDOWNS:
        frame[f"_by_{column}"] = frame[column].where(mask, engine.OUTSIDE).astype(str)
    return frame


def _split(table: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The whole design's "ALL" records and the domain records (OUTSIDE dropped, INSIDE → ALL)."""
    whole = (table["by"] == WHOLE).to_numpy()
    first = int(whole.argmin()) if not whole.all() else len(table)
    domains = table.iloc[first:]
    domains = domains[domains["by"] != engine.OUTSIDE].reset_index(drop=True)
    domains.loc[domains["by"] == INSIDE, "by"] = WHOLE
    return table.iloc[:first].reset_index(drop=True), domains


def load_frame(session: Session, filters: ReportFilters, period: str | None,
               with_ids: bool = False) -> pd.DataFrame:
    """The responses of ``period`` in the agency subtree, with the export's weights."""
    return queries.responses_frame(session, filters.questionnaire, period,
                                   agency_ids(session, filters), with_ids=with_ids)


def _has_total(session: Session, frame: pd.DataFrame) -> pd.Series:
    """Whether each response's (period, agency, service area) cell has a known total."""
    known = [(label, a, s) for label in frame["period"].unique()
             for a, s in queries.totals_for(session, periods.parse(label))]
    cells = pd.MultiIndex.from_frame(frame[["period", "agency_id", "service_area_id"]])
    return pd.Series(cells.isin(known), index=frame.index)


def weighting_summary(session: Session, frame: pd.DataFrame, period: str | None) -> dict:
    """Which totals the weights come from, the design's size and the Kish effect."""
    has_total = _has_total(session, frame)
    cells = ["period", "agency", "service_area"]
    psus = frame.groupby("agency")["counter"].nunique()
    return {
        "responses": len(frame),
        "cells": int(frame.groupby(cells).ngroups),
        "cells_with_total": int(frame[has_total].groupby(cells).ngroups),
        "responses_without_total": int((~has_total).sum()),
        "dossiers": float(frame.loc[has_total, "weight"].sum()),
        "kish": engine.kish_effect(frame),
        "strata": len(psus),
        "psus": int(psus.sum()),
        "lonely_strata": sorted(psus[psus == 1].index.astype(str)),
        "lonely_psu": engine.LONELY_PSU,
        "period": period,
    }


def compute_period(session: Session, filters: ReportFilters, period: str | None,
                   breakdowns: tuple[str, ...] = BREAKDOWNS) -> PeriodTables:
    """Tables of one period: overall and the asked breakdowns, for the filters' domain."""
    frame = load_frame(session, filters, period)
    if frame.empty:
        return PeriodTables(pd.DataFrame(columns=engine.RECORD_FIELDS),
                            {b: pd.DataFrame(columns=engine.RECORD_FIELDS) for b in breakdowns},
                            {"responses": 0, "period": period})
    questionnaire = queries.latest_questionnaire(session, filters.questionnaire)
    measures = engine.structure(questionnaire.definition)
    frame = with_domains(frame, filters)
    made = engine.design(frame, filters.weighted, filters.variance == "calibrated")
    tables, overall = {}, None
    for breakdown in breakdowns:
        whole, tables[breakdown] = _split(engine.indices(made, measures, f"_by_{breakdown}"))
        overall = whole if overall is None else overall
    if filters.has_domain or overall is None:
        by = engine.DOMAIN if filters.has_domain else None
        overall = _split(engine.indices(made, measures, by))[1 if by else 0]
    return PeriodTables(overall, tables, weighting_summary(session, frame, period))


def _cached_period(session: Session, filters: ReportFilters, period: str | None,
                   breakdowns: tuple[str, ...], version: tuple) -> PeriodTables:
    key = ("period", filters.with_period(period).key(),
           tuple(agency_ids(session, filters) or ()), breakdowns, version)
    return cache.cached(key, lambda: compute_period(session, filters, period, breakdowns))


def change_table(current: PeriodTables, previous: PeriodTables) -> pd.DataFrame:
    """SIPAS and element indices now and in the previous period, with the difference."""
    if current.overall.empty or previous.overall.empty:
        return pd.DataFrame()
    keep = ["index", "element"]
    now = current.overall[current.overall["level"].isin(keep)]
    before = previous.overall[previous.overall["level"].isin(keep)]
    return engine.difference(now, before)


def ranking_table(tables: PeriodTables) -> pd.DataFrame:
    """Agencies ranked on the SIPAS index; the others (n < 10, no usable interval) unranked."""
    agencies = tables.breakdowns.get("agency")
    if agencies is None or agencies.empty:
        return pd.DataFrame()
    index = agencies[agencies["level"] == "index"]
    if index.empty:
        return pd.DataFrame()
    return engine.ranking(index.reset_index(drop=True),
                          tables.weighting.get("lonely_strata") or ())


def trend_table(session: Session, filters: ReportFilters, version: tuple) -> pd.DataFrame:
    """The SIPAS index in each of the last six quarters, with its interval."""
    rows = []
    for quarter in trend_quarters(filters.period):
        tables = _cached_period(session, filters, quarter, (), version)
        record = tables.sipas or {"estimate": None, "ci_low": None, "ci_high": None, "n": 0,
                                  "flag": "suppressed", "se": None}
        rows.append({"period": quarter, **{k: record.get(k) for k in
                                           ("estimate", "se", "ci_low", "ci_high", "n", "flag")}})
    return pd.DataFrame(rows)


def build_report(session: Session, filters: ReportFilters, trend: bool = True) -> Report:
    """Compute every table of the report for ``filters`` (the trend only when asked)."""
    version = cache.data_version(session)
    current = _cached_period(session, filters, filters.period, BREAKDOWNS, version)
    previous_label = periods.parse(filters.period).previous().label if filters.period else None
    change, previous_weighting = pd.DataFrame(), {}
    if previous_label:
        previous = _cached_period(session, filters, previous_label, (), version)
        change = change_table(current, previous)
        previous_weighting = previous.weighting
    return Report(filters, current, previous_label, change, ranking_table(current),
                  trend_table(session, filters, version) if trend else None,
                  previous_weighting)
