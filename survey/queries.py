"""Reads: the one place that turns stored rows into DataFrames for ``analysis``.

numpy and pandas are imported by the functions that build frames: the citizen pages, the API
and the kiosk import this module for ``latest_questionnaire`` only, and the app starts without
them.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import periods
from . import questionnaires as qdefs
from .models import (
    Agency,
    Answer,
    Counter,
    PopulationTotal,
    Questionnaire,
    Response,
    ServiceArea,
    encode_item_values,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

FRAME_KEYS = ["response_id", "period", "agency", "counter", "service_area", "channel"]


def latest_questionnaire(session: Session, code: object,
                         version: object = None) -> Questionnaire | None:
    """The newest published version of questionnaire ``code`` (or the given ``version``)."""
    if not isinstance(code, str) or not code:
        return None
    query = sa.select(Questionnaire).where(Questionnaire.code == code)
    if version is not None:
        if not isinstance(version, int) or isinstance(version, bool):
            return None
        query = query.where(Questionnaire.version == version)
    return session.scalars(query.order_by(Questionnaire.version.desc()).limit(1)).first()


def recorded_totals(session: Session) -> list[tuple[periods.Period, int, int, int]]:
    """Every recorded dossier total as (period, agency id, service area id, dossiers); rows
    whose period is not a valid period string are left out (they total no period)."""
    out = []
    for label, agency_id, area_id, dossiers in session.execute(sa.select(
            PopulationTotal.period, PopulationTotal.agency_id, PopulationTotal.service_area_id,
            PopulationTotal.dossiers)):
        if periods.is_valid(label):
            out.append((periods.parse(label), agency_id, area_id, dossiers))
    return out


def totals_for(period: periods.Period, recorded: list[tuple[periods.Period, int, int, int]]
               ) -> dict[tuple[int, int], int]:
    """Dossiers per (agency id, service area id) in ``period``.

    A total recorded for the period itself wins; otherwise the totals of the periods it
    contains (the quarters of a year, the months of a quarter) are added up. ``recorded``:
    ``recorded_totals``, read once for all the periods a report asks about.
    """
    exact: dict[tuple[int, int], int] = {}
    summed: dict[tuple[int, int], int] = defaultdict(int)
    for found, agency_id, area_id, dossiers in recorded:
        key = (agency_id, area_id)
        if found.label == period.label:
            exact[key] = dossiers
        elif period.contains(found):
            summed[key] += dossiers
    return {**summed, **exact}


COUNTED = ("valid", "flagged")


def responses_frame(
    session: Session,
    questionnaire_code: str = "sipas",
    period: str | None = None,
    agency_ids: list[int] | None = None,
    statuses: tuple[str, ...] = COUNTED,
    with_ids: bool = False,
) -> pd.DataFrame:
    """One row per counted response: keys, quarter, status and one column per criterion.

    Counted are valid and automatically or manually flagged responses (flags are advice);
    only an analyst's exclusion removes a response. Unanswered criteria are NaN; ``quarter``
    is the weighting cell's quarter (ESTIMATION.md). ``response_id`` is filled only
    ``with_ids`` (exports need it, estimates do not). Weights come from
    ``analysis.cells.counter_design`` with ``cell_totals``.
    """
    import pandas as pd

    questionnaire = latest_questionnaire(session, questionnaire_code)
    if questionnaire is None:
        raise LookupError(f"questionnaire {questionnaire_code!r} is not loaded")
    codes = qdefs.criterion_codes(questionnaire.definition)
    query = (
        sa.select(Response.id, Response.uuid if with_ids else sa.null(), Response.survey_date,
                  Response.counter_id, Response.channel, Response.agency_id,
                  Response.service_area_id, Response.questionnaire_id, Response.status,
                  Response.item_values)
        .where(Response.questionnaire_code == questionnaire_code,
               Response.status.in_(statuses))
        .order_by(Response.id)
    )
    chosen = periods.parse(period) if period else None
    if chosen:
        query = query.where(Response.survey_date >= chosen.start,
                            Response.survey_date < chosen.end)
    if agency_ids is not None:
        query = query.where(Response.agency_id.in_(agency_ids))
    rows = [tuple(row) for row in session.connection().execute(query)]
    frame = pd.DataFrame(rows, columns=[
        "id", "response_id", "survey_date", "counter_id", "channel", "agency_id",
        "service_area_id", "questionnaire_id", "status", "item_values"])
    if with_ids:
        frame["response_id"] = frame["response_id"].astype(str)
    for column, model in (("agency", Agency), ("counter", Counter),
                          ("service_area", ServiceArea)):
        codes_by_id = dict(session.execute(sa.select(model.id, model.code)).all())
        frame[column] = frame[f"{column}_id"].map(codes_by_id)
    answers = criterion_matrix(session, frame, codes)
    frame = pd.concat([frame, pd.DataFrame(answers, columns=codes, index=frame.index)], axis=1)
    dates = pd.to_datetime(frame["survey_date"])
    frame["quarter"] = dates.dt.year.astype(str) + "-Q" + dates.dt.quarter.astype(str)
    frame["period"] = chosen.label if chosen else frame["quarter"]
    return frame[FRAME_KEYS + ["quarter", "status", "survey_date", "agency_id",
                               "service_area_id", "questionnaire_id"] + codes]


def cell_totals(session: Session, period: str | None, quarters) -> pd.DataFrame:
    """Dossiers per (quarter, agency, service area) cell for the part of each quarter in
    ``period`` (the whole quarter when ``period`` is None or contains it).

    A part of a quarter (a month, a custom range) takes the totals recorded for it or for the
    periods it contains; a cell without those takes its quarter's total in proportion to the
    days (``prorated`` True).
    """
    import pandas as pd

    chosen = periods.parse(period) if period else None
    agencies = dict(session.execute(sa.select(Agency.id, Agency.code)).all())
    areas = dict(session.execute(sa.select(ServiceArea.id, ServiceArea.code)).all())
    recorded = recorded_totals(session)
    rows = []
    for label in sorted(set(quarters)):
        quarter = periods.parse(label)
        part = _part(quarter, chosen)
        whole = totals_for(quarter, recorded)
        exact = whole if part is quarter else totals_for(part, recorded)
        share = (part.end - part.start).days / (quarter.end - quarter.start).days
        for (agency, area), dossiers in whole.items():
            prorated = (agency, area) not in exact
            value = dossiers * share if prorated else exact[(agency, area)]
            rows.append((label, agencies.get(agency), areas.get(area), value, prorated))
    return pd.DataFrame(rows, columns=["quarter", "agency", "service_area", "dossiers",
                                       "prorated"])


def _part(quarter: periods.Period, chosen: periods.Period | None) -> periods.Period:
    """The part of ``quarter`` inside ``chosen`` (the quarter itself when it is inside)."""
    if chosen is None or chosen.contains(quarter):
        return quarter
    start, end = max(quarter.start, chosen.start), min(quarter.end, chosen.end)
    if chosen.kind == "month" and (start, end) == (chosen.start, chosen.end):
        return chosen
    return periods.parse(f"{start.isoformat()}..{(end - timedelta(days=1)).isoformat()}")


def criterion_matrix(session: Session, frame: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """Answers to ``codes`` (NaN = unanswered) decoded from each response's ``item_values``
    (``frame``: ``id``, ``questionnaire_id``, ``item_values``; a missing one is rebuilt from
    the Answer rows and written back into ``frame``)."""
    import numpy as np

    out = np.full((len(frame), len(codes)), np.nan)
    missing = frame["item_values"].isna().to_numpy()
    if missing.any():
        frame.loc[missing, "item_values"] = _item_values_from_answers(
            session, frame.loc[missing, ["id", "questionnaire_id"]])
    for questionnaire_id, rows in frame.groupby("questionnaire_id").indices.items():
        definition = session.get(Questionnaire, int(questionnaire_id)).definition
        out[rows] = decode_item_values(frame["item_values"].iloc[rows],
                                       qdefs.item_codes(definition), codes)
    return out


def decode_item_values(values: pd.Series, items: list[str], codes: list[str]) -> np.ndarray:
    """Answers to ``codes`` (rows × codes, NaN = unanswered or not asked) from ``item_values``
    strings of one questionnaire version whose items are ``items``."""
    import numpy as np

    out = np.full((len(values), len(codes)), np.nan)
    if not len(values):
        return out
    text = "".join(values.to_numpy()).encode("ascii")
    chars = np.frombuffer(text, dtype=np.uint8).reshape(len(values), len(items))
    decoded = np.where(chars == ord("-"), np.nan, chars.astype(float) - ord("0"))
    for j, code in enumerate(codes):
        if code in items:
            out[:, j] = decoded[:, items.index(code)]
    return out


def item_values_filled(session: Session, frame: pd.DataFrame) -> list[str]:
    """``item_values`` of every row of ``frame`` (``id``, ``questionnaire_id``,
    ``item_values``), rebuilt from the Answer rows where it is missing."""
    values = frame["item_values"].tolist()
    missing = frame["item_values"].isna().to_numpy()
    if missing.any():
        filled = iter(_item_values_from_answers(session, frame.loc[missing, ["id",
                                                                             "questionnaire_id"]]))
        values = [next(filled) if gap else value for value, gap in zip(values, missing)]
    return values


def _item_values_from_answers(session: Session, rows: pd.DataFrame) -> list[str]:
    """``item_values`` rebuilt from the Answer rows, for responses stored without it."""
    given: dict[int, dict[str, int]] = defaultdict(dict)
    ids = [int(i) for i in rows["id"]]
    for start in range(0, len(ids), 1000):
        for rid, code, value in session.execute(sa.select(
                Answer.response_id, Answer.item_code, Answer.value).where(
                Answer.response_id.in_(ids[start:start + 1000]))):
            given[rid][code] = value
    items = {qid: qdefs.item_codes(session.get(Questionnaire, int(qid)).definition)
             for qid in rows["questionnaire_id"].unique()}
    return [encode_item_values(items[qid], given[rid])
            for rid, qid in zip(ids, rows["questionnaire_id"])]
