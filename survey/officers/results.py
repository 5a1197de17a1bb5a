"""Officers' numbers: each officer a domain of the report's default design of their agency's
responses (with its subordinate units), the model-based index shrunk toward that agency.

Rows come from ``queries`` as on the report's row path, cells, weights and fpc from
``analysis.cells.counter_design``, the estimates from ``analysis.officers``. An officer's
numbers depend only on their agency's responses of the period, so they are the same on every
page and for every reader. Tables are cached per agency with the report's data version and a
fingerprint of which officer each response carries (the import changes that alone).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from analysis import cells, officers, sipas

from .. import periods, queries
from ..models import Agency, Officer, Response
from ..reports.compute import CI_METHOD, LEVEL, cached, data_version
from ..reports.filters import ReportFilters


@dataclass(frozen=True)
class OfficerFigures:
    """One officer's records (every measure) in a period, and whether they may be shown."""

    officer_id: int
    records: pd.DataFrame
    minimum: int

    @property
    def index(self) -> dict | None:
        """The SIPAS index record (with the model-based estimate), None without answers."""
        rows = self.records[self.records["level"] == "index"]
        return rows.iloc[0].to_dict() if len(rows) else None

    @property
    def n(self) -> int:
        """Respondents who answered at least one criterion."""
        record = self.index
        return int(record["n"]) if record else 0

    @property
    def shown(self) -> bool:
        """Whether the officer has enough answers for numbers to be shown."""
        return self.index is not None and self.n >= self.minimum

    def visible(self) -> pd.DataFrame:
        """The records with a ``shown`` column (each measure on its own n)."""
        table = self.records.copy()
        table["shown"] = officers.shown(table, self.minimum).to_numpy() if len(table) else []
        return table


def officer_filters(filters: ReportFilters) -> ReportFilters:
    """The report filters an officer's numbers use: period, questionnaire and weights of the
    request, the default design, no service-area or channel domain (the agency is the
    officer's own)."""
    return ReportFilters(period=filters.period, questionnaire=filters.questionnaire,
                         weights=filters.weights)


def minimum_responses() -> int:
    """``OFFICER_MIN_RESPONSES``: answers an officer needs before numbers are shown."""
    return int(current_app.config.get("OFFICER_MIN_RESPONSES", 30))


def assignments_version(session: Session) -> tuple:
    """A fingerprint of which officer each response carries."""
    return tuple(session.execute(sa.select(
        sa.func.count(Response.officer_id),
        sa.func.sum(sa.cast(Response.officer_id, sa.BigInteger) * Response.id))).one())


def _officer_of_responses(session: Session, filters: ReportFilters,
                          agency_ids: list[int]) -> dict[str, str]:
    """Response uuid (as in ``queries.responses_frame``) → officer id, as text."""
    query = sa.select(Response.uuid, Response.officer_id).where(
        Response.questionnaire_code == filters.questionnaire,
        Response.officer_id.is_not(None), Response.agency_id.in_(agency_ids))
    if filters.period:
        chosen = periods.parse(filters.period)
        query = query.where(Response.survey_date >= chosen.start,
                            Response.survey_date < chosen.end)
    return {str(uid): str(officer) for uid, officer in session.execute(query)}


def agency_table(session: Session, agency: Agency, filters: ReportFilters,
                 version: tuple | None = None) -> pd.DataFrame:
    """Records of every officer with responses in ``agency``'s subtree (``by`` = officer id
    as text), from the default design of those responses; empty without responses."""
    filters = officer_filters(filters)
    version = version or (data_version(session), assignments_version(session))

    def compute() -> pd.DataFrame:
        scope = agency.subtree_ids()
        frame = queries.responses_frame(session, filters.questionnaire, filters.period, scope,
                                        with_ids=True)
        if frame.empty:
            return pd.DataFrame(columns=sipas.FIELDS)
        totals = queries.cell_totals(session, filters.period, frame["quarter"].unique())
        plan = cells.counter_design(
            frame, totals, min_responses=current_app.config["REPORT_MIN_CELL_RESPONSES"])
        labels = plan.frame["response_id"].map(_officer_of_responses(session, filters, scope))
        structure = sipas.Structure.from_definition(
            queries.latest_questionnaire(session, filters.questionnaire).definition)
        return officers.officer_estimates(plan.design(filters.weighted), structure, labels,
                                          CI_METHOD, LEVEL)

    return cached(("officers", agency.id, filters.key(), version), compute)


def figures(session: Session, people: list[Officer], filters: ReportFilters
            ) -> dict[int, OfficerFigures]:
    """Each officer's figures in the period of ``filters`` (one table per agency)."""
    version = (data_version(session), assignments_version(session))
    minimum = minimum_responses()
    tables: dict[int, pd.DataFrame] = {}
    out = {}
    for officer in people:
        if officer.agency_id not in tables:
            tables[officer.agency_id] = agency_table(session, officer.agency, filters, version)
        table = tables[officer.agency_id]
        mine = table[table["by"] == str(officer.id)] if len(table) else table
        out[officer.id] = OfficerFigures(officer.id, mine.reset_index(drop=True), minimum)
    return out
