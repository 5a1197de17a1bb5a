"""A demo province: agencies in three levels, counters, officers, totals and synthetic responses.

The responses vary realistically: agencies and counters differ, some criteria (modern
equipment, feedback handling) score lower, feedback items are often left unanswered. Kiosk
answers carry the officer on duty (two or three officers per agency take turns). Two things
are planted so that a new user sees the alerts work right after ``make run``: counter
``DROP_COUNTER`` answers 30 citizens a week whose satisfaction falls in the last two complete
weeks (an index drop), and counter ``FRAUD_COUNTER`` receives a burst of identical top ratings
within half an hour while one officer is on duty (a fraud signal).
"""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import periods
from . import questionnaires as qdefs
from .catalog import create_user, new_token
from .models import (
    Agency,
    Answer,
    Counter,
    Officer,
    OfficerShift,
    PopulationTotal,
    Procedure,
    Questionnaire,
    Response,
    ResponseFlag,
    ServiceArea,
)

SERVICE_AREAS = [
    ("DATDAI", "Đất đai", "Land"),
    ("HOTICH", "Hộ tịch", "Civil status"),
    ("XAYDUNG", "Xây dựng", "Construction"),
    ("KINHDOANH", "Đăng ký kinh doanh", "Business registration"),
    ("CHUNGTHUC", "Tư pháp – chứng thực", "Justice and certification"),
    ("LAODONG", "Lao động – việc làm", "Labour and employment"),
    ("GIAOTHONG", "Giao thông vận tải", "Transport"),
    ("MOITRUONG", "Tài nguyên – môi trường", "Natural resources and environment"),
    ("DAUTU", "Kế hoạch – đầu tư", "Planning and investment"),
    ("BAOTRO", "Bảo trợ xã hội", "Social protection"),
    ("KHAC", "Lĩnh vực khác", "Other"),
]
# "Other": offered by every counter that asks the citizen for a service area (those serving
# several); a citizen whose matter is none of them answers under it. No synthetic responses.
OTHER_AREA = "KHAC"
# code, name, level, parent, service areas, counters
AGENCIES = [
    ("UBND-T", "UBND tỉnh Demo", 1, None, [], 0),
    ("STP", "Sở Tư pháp", 1, "UBND-T", ["CHUNGTHUC", "HOTICH"], 2),
    ("STNMT", "Sở Tài nguyên và Môi trường", 1, "UBND-T", ["DATDAI", "MOITRUONG"], 2),
    ("SXD", "Sở Xây dựng", 1, "UBND-T", ["XAYDUNG"], 2),
    ("SKHDT", "Sở Kế hoạch và Đầu tư", 1, "UBND-T", ["KINHDOANH", "DAUTU"], 2),
    ("SGTVT", "Sở Giao thông vận tải", 1, "UBND-T", ["GIAOTHONG"], 1),
    ("SLDTBXH", "Sở Lao động – Thương binh và Xã hội", 1, "UBND-T", ["LAODONG", "BAOTRO"], 1),
    ("H-AN", "UBND huyện An Phú", 2, "UBND-T", ["DATDAI", "XAYDUNG", "KINHDOANH", "HOTICH"], 3),
    ("H-BINH", "UBND huyện Bình Sơn", 2, "UBND-T", ["DATDAI", "XAYDUNG", "CHUNGTHUC"], 2),
    ("H-CAO", "UBND huyện Cao Lãnh", 2, "UBND-T", ["DATDAI", "KINHDOANH", "LAODONG"], 2),
    ("X-AN1", "UBND xã An Hòa", 3, "H-AN", ["HOTICH", "CHUNGTHUC"], 1),
    ("X-AN2", "UBND xã An Thạnh", 3, "H-AN", ["HOTICH", "CHUNGTHUC", "BAOTRO"], 1),
    ("X-BINH1", "UBND xã Bình Minh", 3, "H-BINH", ["HOTICH", "CHUNGTHUC"], 1),
    ("X-BINH2", "UBND xã Bình Phước", 3, "H-BINH", ["HOTICH", "BAOTRO"], 1),
    ("X-CAO1", "UBND xã Cao Thắng", 3, "H-CAO", ["HOTICH", "CHUNGTHUC"], 1),
    ("X-CAO2", "UBND xã Cao Sơn", 3, "H-CAO", ["HOTICH", "DATDAI"], 1),
]
PROCEDURES = [
    ("1.000656", "Đăng ký khai sinh", "HOTICH"),
    ("1.000894", "Đăng ký kết hôn", "HOTICH"),
    ("1.001009", "Chứng thực bản sao từ bản chính", "CHUNGTHUC"),
    ("1.004227", "Đăng ký biến động quyền sử dụng đất", "DATDAI"),
    ("1.009974", "Cấp giấy phép xây dựng nhà ở riêng lẻ", "XAYDUNG"),
    ("2.001199", "Đăng ký thành lập hộ kinh doanh", "KINHDOANH"),
]
CRITERION_SHIFT = {"TC3": -0.45, "TC4": -0.2, "TT5": -0.35, "GY2": -0.3, "GY3": -0.4,
                   "GY4": -0.55, "CC1": 0.25, "CC6": 0.2, "KQ1": 0.15}
QUARTERS_BACK = 5
DROP_COUNTER, DROP_WEEKS, DROP_PER_WEEK, DROP_HISTORY_WEEKS = "H-AN-Q1", 2, 30, 19
FRAUD_COUNTER, FRAUD_RATINGS, FRAUD_DAYS_AGO = "STP-Q1", 14, 9
OFFICER_NAMES = ["Nguyễn Thị Lan", "Trần Văn Minh", "Lê Thị Hoa", "Phạm Quốc Hùng",
                 "Hoàng Thị Mai", "Võ Văn Nam", "Đặng Thu Hà", "Bùi Đức Long", "Đỗ Thị Ngọc",
                 "Huỳnh Văn Phúc", "Ngô Thị Thảo", "Dương Minh Tuấn"]
#: PIN of every demo officer at the tablets (demo only; printed by ``flask sipas welcome``).
DEMO_OFFICER_PIN = "2468"
# Demo-only accounts, created solely by ``flask sipas demo`` on an empty database.
DEMO_USERS = [
    ("admin", "sipas-demo-admin", "admin", None),
    ("analyst", "sipas-demo-analyst", "analyst", None),
    ("viewer", "sipas-demo-viewer", "agency_viewer", "H-AN"),
]
#: The demo officer's own account: (username, password, officer code).
DEMO_OFFICER_USER = ("officer", "sipas-demo-officer", "H-AN-CB1")


def is_loaded(session: Session) -> bool:
    """Whether the database already holds agencies (then the demo is never loaded again)."""
    return session.scalar(sa.select(sa.func.count()).select_from(Agency)) > 0


def load(session: Session, responses: int = 6000, seed: int = 2026,
         today: date | None = None) -> dict[str, int]:
    """Create the demo province in an empty database; return counts of what was made."""
    if is_loaded(session):
        return {}
    rng = np.random.default_rng(seed)
    today = today or date.today()
    areas = _service_areas(session)
    agencies, counters = _agencies_and_counters(session, areas)
    for code, name, area in PROCEDURES:
        session.add(Procedure(code=code, name=name, service_area=areas[area]))
    questionnaire = session.scalars(sa.select(Questionnaire).where(
        Questionnaire.code == "sipas").order_by(Questionnaire.version.desc())).first()
    if questionnaire is None:
        raise RuntimeError("load the questionnaires first (flask sipas init)")
    session.flush()
    officers = _officers(session, agencies)
    made = _responses(session, rng, questionnaire, counters, responses, today, officers)
    if responses > 0:
        made += _planted(session, rng, questionnaire, counters, officers, today)
    totals = _totals(session, rng, made, today)
    for username, password, role, agency in DEMO_USERS:
        create_user(session, username, password, role, agency)
    username, password, officer_code = DEMO_OFFICER_USER
    create_user(session, username, password, "officer", officer_code=officer_code)
    session.flush()
    follow_ups = _closing_the_loop(session, rng, questionnaire, made, today)
    return {"users": len(DEMO_USERS) + 1, "agencies": len(agencies), "service_areas": len(areas),
            "counters": len(counters), "officers": sum(map(len, officers.values())),
            "responses": len(made), "population_totals": totals, "follow_ups": follow_ups}


def _closing_the_loop(session, rng, questionnaire, rows, today: date) -> int:
    """Reasons, comments and follow-ups of the low ratings (``survey.demo_followups``)."""
    from flask import current_app

    from . import demo_followups
    from .alerts.calendar import Calendar

    config = current_app.config
    now = (datetime.now(UTC) if today >= date.today()
           else datetime.combine(today, time(23, 59), UTC))
    return demo_followups.add(session, rng, rows, questionnaire.definition, questionnaire.code,
                              Calendar.from_config(config), int(config["FOLLOW_UP_WORKING_DAYS"]),
                              int(config["LOW_RATING_MAX"]), now)


def _service_areas(session: Session) -> dict[str, ServiceArea]:
    areas = {}
    for code, vi, en in SERVICE_AREAS:
        areas[code] = ServiceArea(code=code, name_vi=vi, name_en=en)
        session.add(areas[code])
    return areas


def _agencies_and_counters(session, areas):
    agencies: dict[str, Agency] = {}
    counters: list[Counter] = []
    for code, name, level, parent, area_codes, n_counters in AGENCIES:
        agency = Agency(code=code, name=name, level=level,
                        parent=agencies.get(parent) if parent else None)
        agencies[code] = agency
        session.add(agency)
        for k in range(n_counters):
            served = area_codes if n_counters == 1 else area_codes[k % len(area_codes):][:2] or area_codes
            served = [*served, OTHER_AREA] if len(served) > 1 else served
            counter = Counter(code=f"{code}-Q{k + 1}", name=f"Quầy số {k + 1}", agency=agency,
                              token=new_token(), service_areas=[areas[a] for a in served])
            counters.append(counter)
            session.add(counter)
    return agencies, counters


def _officers(session: Session, agencies: dict[str, Agency]) -> dict[int, list[Officer]]:
    """Two or three officers for every agency with counters, each with the demo PIN, and the
    first one on duty now at each of its counters."""
    from werkzeug.security import generate_password_hash

    by_agency: dict[int, list[Officer]] = {}
    names = iter(OFFICER_NAMES * 10)
    pin_hash = generate_password_hash(DEMO_OFFICER_PIN)   # one hash: every demo PIN is alike
    for code, _name, _level, _parent, _areas, n_counters in AGENCIES:
        if not n_counters:
            continue
        agency = agencies[code]
        team = []
        for k in range(2 + (n_counters > 1)):
            officer = Officer(code=f"{code}-CB{k + 1}", name=next(names), agency=agency,
                              pin_hash=pin_hash)
            session.add(officer)
            team.append(officer)
        by_agency[agency.id] = team
    session.flush()
    for agency in agencies.values():
        for counter in agency.counters:
            session.add(OfficerShift(counter=counter, officer_id=by_agency[agency.id][0].id))
    return by_agency


def _on_duty(officers: dict[int, list[Officer]], agency_id: int, counter_id: int,
             day: date, minute: int) -> int:
    """The demo's rota: officers of an agency take turns by half-day."""
    team = officers[agency_id]
    return team[(day.toordinal() * 2 + (minute >= 240) + counter_id) % len(team)].id


def _first_day(today: date) -> date:
    first = periods.parse(periods.quarter_of(today)).start
    for _ in range(QUARTERS_BACK - 1):
        first = periods.parse(periods.quarter_of(first - timedelta(days=1))).start
    return first


def _answer_matrix(rng, items: list[str], codes: list[str], base: np.ndarray) -> np.ndarray:
    """Answers 1..5 per (response, item), 0 where the item was left unanswered."""
    shift = np.array([CRITERION_SHIFT.get(code, 0.0) for code in items])
    latent = base[:, None] + shift[None, :] + rng.normal(0, 0.55, (len(base), len(items)))
    values = np.clip(np.rint(latent), 1, 5).astype(np.int64)
    skip_rate = np.array([0.35 if code.startswith("GY") else 0.04 for code in items])
    values[rng.random(values.shape) < skip_rate[None, :]] = 0
    scored = np.isin(items, codes)
    nothing = (values[:, scored] == 0).all(axis=1)
    values[nothing, items.index(codes[0])] = 4
    return values


def _straightlining(values: np.ndarray) -> list[str | None]:
    """The quality rule's straight-lining reason (or None) for each row of criterion answers."""
    from .quality import straightlining

    return [straightlining([int(v) for v in row if v]) for row in values]


def _responses(session, rng, questionnaire, counters, total, today, officers):
    """Insert ``total`` synthetic responses (vectorised: the demo also feeds benchmarks).

    ``total`` 0 inserts nothing: an empty bulk insert would be one row of defaults."""
    if total <= 0:
        return []
    definition = questionnaire.definition
    codes = qdefs.criterion_codes(definition)
    items = qdefs.item_codes(definition)
    agency_ids = np.array([c.agency_id for c in counters])
    counter_ids = np.array([c.id for c in counters])
    agency_effect = {a: rng.normal(0, 0.35) for a in np.unique(agency_ids)}
    counter_effect = rng.normal(0, 0.25, len(counters))
    first_day = _first_day(today)
    days = (today - first_day).days + 1
    popularity = rng.gamma(2.0, 1.0, len(counters))
    picks = rng.choice(len(counters), size=total, p=popularity / popularity.sum())
    served = [[a.id for a in c.service_areas if a.code != OTHER_AREA] for c in counters]
    area_pick = (rng.random(total) * np.array([len(served[i]) for i in picks])).astype(int)
    area_ids = [served[i][k] for i, k in zip(picks, area_pick)]
    offsets = rng.integers(0, days, total)
    weekday = (first_day.weekday() + offsets) % 7
    offsets = np.maximum(0, offsets - np.maximum(0, weekday - 4))   # weekends → the Friday
    minutes = rng.integers(0, 570, total)
    minutes = np.where(minutes < 240, minutes, 360 + (minutes - 240) * 210 // 330)  # no lunch
    durations = rng.integers(40, 240, total)
    base = (4.3 + np.array([agency_effect[a] for a in agency_ids[picks]])
            + counter_effect[picks] + 0.15 * offsets / max(days, 1) + rng.normal(0, 0.6, total))
    values = _answer_matrix(rng, items, codes, base)
    scored = np.isin(items, codes)
    delighted = (rng.random(total) < 0.12) & (base > 4.2)   # "rất hài lòng" to everything
    values[np.ix_(delighted, scored)] = np.where(values[np.ix_(delighted, scored)] > 0, 5, 0)
    flags = _straightlining(values[:, scored])
    uuids = rng.integers(0, 2**63, (total, 2))
    channels = np.where(rng.random(total) < 0.75, "kiosk", "qr")
    genders = rng.choice(np.array(["male", "female", ""]), total, p=[0.45, 0.45, 0.10])
    ages = rng.choice(np.array(["under25", "25-39", "40-59", "60plus", ""]), total)
    start = datetime.combine(first_day, time(0, 30), UTC)  # 07:30 in Việt Nam
    latest = (datetime.now(UTC) if today >= date.today()
              else datetime.combine(today, time(23, 59), UTC))
    chars = np.where(values == 0, ord("-"), values + ord("0")).astype(np.uint8)
    item_values = [bytes(row).decode("ascii") for row in chars]
    rows = []
    for r in range(total):
        received = min(start + timedelta(days=int(offsets[r]), minutes=int(minutes[r])), latest)
        rows.append({
            "uuid": uuid.UUID(int=int(uuids[r, 0]) << 64 | int(uuids[r, 1]), version=4),
            "questionnaire_id": questionnaire.id, "questionnaire_code": questionnaire.code,
            "counter_id": int(counter_ids[picks[r]]), "agency_id": int(agency_ids[picks[r]]),
            "service_area_id": area_ids[r], "channel": str(channels[r]), "received_at": received,
            "survey_date": first_day + timedelta(days=int(offsets[r])),
            "officer_id": (_on_duty(officers, int(agency_ids[picks[r]]),
                                    int(counter_ids[picks[r]]),
                                    first_day + timedelta(days=int(offsets[r])),
                                    int(minutes[r])) if channels[r] == "kiosk" else None),
            "started_at": received - timedelta(seconds=int(durations[r])), "submitted_at": received,
            "duration_seconds": float(durations[r]), "locale": "vi",
            "status": "flagged" if flags[r] else "valid",
            "status_reason": "straightlining" if flags[r] else None,
            "status_reason_detail": flags[r],
            "item_values": item_values[r],
            "gender": str(genders[r]) or None, "age_band": str(ages[r]) or None})
    return _store(session, rows, values, items)


def _store(session, rows: list[dict], values: np.ndarray, items: list[str]) -> list[dict]:
    """Bulk-insert responses (``rows``), their answers (``values``: rows × items, 0 =
    unanswered) and straight-lining flags, then rebuild the slices of their months."""
    total = len(rows)
    first_id = (session.scalar(sa.select(sa.func.max(Response.id))) or 0) + 1
    ids = np.arange(first_id, first_id + total)
    details = [row.pop("status_reason_detail", None) for row in rows]
    for row, rid in zip(rows, ids):
        row["id"] = int(rid)
    session.execute(sa.insert(Response.__table__), rows)
    _advance_sequence(session)
    flagged = [{"response_id": int(ids[r]), "kind": "straightlining", "detail": details[r]}
               for r in range(total) if details[r]]
    if flagged:
        session.execute(sa.insert(ResponseFlag.__table__), flagged)
    rr, cc = np.nonzero(values)
    session.execute(sa.insert(Answer.__table__), [
        {"response_id": int(i), "item_code": items[c], "value": int(v)}
        for i, c, v in zip(ids[rr], cc, values[rr, cc])])
    from . import slices, sums
    slices.rebuild(session.connection(), sorted({sums.month_of(r["survey_date"]) for r in rows}))
    return rows


def _row(questionnaire, counter: Counter, area_id: int, received: datetime, values,
         officer_id: int | None, rng, flag: str | None) -> dict:
    """One synthetic kiosk response answered at ``received`` (UTC)."""
    chars = np.where(values == 0, ord("-"), values + ord("0")).astype(np.uint8)
    duration = int(rng.integers(60, 200))
    return {"uuid": uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63)),
                              version=4),
            "questionnaire_id": questionnaire.id, "questionnaire_code": questionnaire.code,
            "counter_id": counter.id, "agency_id": counter.agency_id, "service_area_id": area_id,
            "channel": "kiosk", "received_at": received,
            "survey_date": (received + timedelta(hours=7)).date(), "officer_id": officer_id,
            "started_at": received - timedelta(seconds=duration), "submitted_at": received,
            "duration_seconds": float(duration), "locale": "vi",
            "status": "flagged" if flag else "valid",
            "status_reason": "straightlining" if flag else None, "status_reason_detail": flag,
            "item_values": bytes(chars).decode("ascii"), "gender": None, "age_band": None}


def _office_moment(rng, day: date) -> datetime:
    """A random moment of opening hours (07:30–11:30, 13:30–17:00 local) on ``day``, in UTC."""
    minute = int(rng.integers(0, 450))
    minute += 450 if minute < 240 else 540
    return datetime.combine(day, time(0), UTC) + timedelta(minutes=minute - 420)


def _planted(session, rng, questionnaire, counters, officers, today) -> list[dict]:
    """The planted drop at ``DROP_COUNTER`` and the planted burst at ``FRAUD_COUNTER``."""
    definition = questionnaire.definition
    codes = qdefs.criterion_codes(definition)
    items = qdefs.item_codes(definition)
    scored = np.isin(items, codes)
    by_code = {c.code: c for c in counters}
    rows, blocks = [], []
    drop = by_code[DROP_COUNTER]
    area = next(a.id for a in drop.service_areas if a.code != OTHER_AREA)
    this_monday = today - timedelta(days=today.weekday())
    weeks = DROP_HISTORY_WEEKS + DROP_WEEKS
    for w in range(weeks + 1):                      # the current week goes on at the new level
        monday = this_monday - timedelta(weeks=weeks - w)
        level = 4.3 if w < DROP_HISTORY_WEEKS else 3.55
        base = level + rng.normal(0, 0.6, DROP_PER_WEEK)
        values = _answer_matrix(rng, items, codes, base)
        blocks.append(values)
        flags = _straightlining(values[:, scored])
        days = min(5, (today - monday).days + 1)
        for r in range(DROP_PER_WEEK):
            day = monday + timedelta(days=int(rng.integers(0, days)))
            moment = _office_moment(rng, day)
            local = moment + timedelta(hours=7)
            rows.append(_row(questionnaire, drop, area, moment, values[r], _on_duty(
                officers, drop.agency_id, drop.id, day, local.hour * 60 + local.minute - 450),
                rng, flags[r]))
    fraud = by_code[FRAUD_COUNTER]
    area = next(a.id for a in fraud.service_areas if a.code != OTHER_AREA)
    day = today - timedelta(days=FRAUD_DAYS_AGO)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    officer = officers[fraud.agency_id][1].id
    values = np.where(np.array([[1] * len(items)]) > 0, 5, 0).repeat(FRAUD_RATINGS, axis=0)
    values = values.astype(np.int64)
    blocks.append(values)
    start = datetime.combine(day, time(7, 5), UTC)           # 14:05 in Việt Nam
    for r in range(FRAUD_RATINGS):
        moment = start + timedelta(seconds=int(150 * r + rng.integers(0, 20)))
        rows.append(_row(questionnaire, fraud, area, moment, values[r], officer, rng,
                         _straightlining(values[r:r + 1, scored])[0]))
    past = np.array([r["received_at"] <= datetime.now(UTC) for r in rows])
    return _store(session, [r for r, keep in zip(rows, past) if keep], np.vstack(blocks)[past],
                  items)


def _advance_sequence(session: Session) -> None:
    """After inserting explicit ids, move PostgreSQL's id sequence past them."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT setval(pg_get_serial_sequence('responses', 'id'), "
                                "(SELECT max(id) FROM responses))"))


def _totals(session, rng, rows, today):
    cells: dict[tuple[str, int, int], int] = {}
    for row in rows:
        key = (periods.quarter_of(row["survey_date"]), row["agency_id"], row["service_area_id"])
        cells[key] = cells.get(key, 0) + 1
    current = periods.quarter_of(today)
    made = 0
    for (quarter, agency_id, area_id), n in sorted(cells.items()):
        if quarter == current:
            continue
        session.add(PopulationTotal(period=quarter, agency_id=agency_id, service_area_id=area_id,
                                    dossiers=int(n * rng.uniform(8, 60))))
        made += 1
    session.flush()
    return made
