"""A demo province: agencies in three levels, counters, totals and synthetic responses.

The responses vary realistically: agencies and counters differ, some criteria (modern
equipment, feedback handling) score lower, feedback items are often left unanswered.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import periods
from . import questionnaires as qdefs
from .catalog import create_user, new_token
from .models import (Agency, Answer, Counter, PopulationTotal, Procedure, Questionnaire,
                     Response, ServiceArea, counter_service_areas)

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
]
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
# Demo-only accounts, created solely by ``flask sipas demo`` on an empty database.
DEMO_USERS = [
    ("admin", "sipas-demo-admin", "admin", None),
    ("analyst", "sipas-demo-analyst", "analyst", None),
    ("viewer", "sipas-demo-viewer", "agency_viewer", "H-AN"),
]


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
    made = _responses(session, rng, questionnaire, counters, responses, today)
    totals = _totals(session, rng, made, today)
    for username, password, role, agency in DEMO_USERS:
        create_user(session, username, password, role, agency)
    return {"users": len(DEMO_USERS), "agencies": len(agencies), "service_areas": len(areas), "counters": len(counters),
            "responses": len(made), "population_totals": totals}


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
            counter = Counter(code=f"{code}-Q{k + 1}", name=f"Quầy số {k + 1}", agency=agency,
                              token=new_token(), service_areas=[areas[a] for a in served])
            counters.append(counter)
            session.add(counter)
    return agencies, counters


def _responses(session, rng, questionnaire, counters, total, today):
    definition = questionnaire.definition
    codes = qdefs.criterion_codes(definition)
    items = qdefs.item_codes(definition)
    agency_effect = {c.agency_id: rng.normal(0, 0.35) for c in counters}
    counter_effect = {c.id: rng.normal(0, 0.25) for c in counters}
    first_day = periods.parse(periods.quarter_of(today)).start
    for _ in range(QUARTERS_BACK - 1):
        first_day = periods.parse(periods.quarter_of(first_day - timedelta(days=1))).start
    days = (today - first_day).days + 1
    popularity = rng.gamma(2.0, 1.0, len(counters))
    picks = rng.choice(len(counters), size=total, p=popularity / popularity.sum())
    rows, answers = [], []
    for idx in picks:
        counter = counters[idx]
        area = counter.service_areas[rng.integers(len(counter.service_areas))]
        day = first_day + timedelta(days=int(rng.integers(days)))
        trend = 0.15 * (day - first_day).days / max(days, 1)
        person = rng.normal(0, 0.6)
        base = 3.9 + agency_effect[counter.agency_id] + counter_effect[counter.id] + trend + person
        received = datetime.combine(day, time(8, 0), timezone.utc) + timedelta(
            minutes=int(rng.integers(0, 540)))
        values = {}
        for code in items:
            if code.startswith("GY") and rng.random() < 0.35:
                continue
            if rng.random() < 0.04:
                continue
            latent = base + CRITERION_SHIFT.get(code, 0.0) + rng.normal(0, 0.55)
            values[code] = int(np.clip(np.rint(latent), 1, 5))
        if not any(c in values for c in codes):
            values[codes[0]] = 4
        rows.append(dict(
            uuid=uuid.UUID(int=int(rng.integers(0, 2**63)) << 64 | int(rng.integers(0, 2**63)), version=4),
            questionnaire_id=questionnaire.id, questionnaire_code=questionnaire.code,
            counter_id=counter.id, agency_id=counter.agency_id, service_area_id=area.id,
            channel="kiosk" if rng.random() < 0.75 else "qr", received_at=received,
            survey_date=day, started_at=received - timedelta(seconds=int(rng.integers(40, 240))),
            submitted_at=received, duration_seconds=float(rng.integers(40, 240)),
            status="valid", locale="vi",
            gender=rng.choice(["male", "female", None], p=[0.45, 0.45, 0.10]),
            age_band=rng.choice(["under25", "25-39", "40-59", "60plus", None]),
        ))
        answers.append(values)
    ids = session.scalars(sa.insert(Response).returning(Response.id, sort_by_parameter_order=True),
                          rows).all()
    answer_rows = [dict(response_id=rid, item_code=code, value=value)
                   for rid, values in zip(ids, answers) for code, value in values.items()]
    session.execute(sa.insert(Answer), answer_rows)
    last = {}
    for row in rows:
        last[row["counter_id"]] = max(last.get(row["counter_id"], row["received_at"]), row["received_at"])
    for counter in counters:
        counter.last_response_at = last.get(counter.id)
    return rows


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
