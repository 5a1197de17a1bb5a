"""The demo's closing of the loop: reasons for low ratings, a few comments and complaints, and
the follow-ups they opened, older ones answered (most on time, some late), recent ones open.

So that a new user of ``make run`` finds the follow-up list, the reasons in the report and the
portal-style table filled, not empty. Rows are written directly (the demo's responses are
bulk-inserted too); the kiosk and the QR form write the same rows through ``storage``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.orm import Session

from .alerts.calendar import Calendar
from .models import FollowUp, ResponseComment, ResponseReason, User
from .questionnaires import item_codes
from .questionnaires.reasons import item_elements, reasons_for

COMMENTS = (
    "Chờ hơn một tiếng mà không có ai hướng dẫn.",
    "Cán bộ bảo về bổ sung giấy tờ nhưng không ghi rõ cần giấy gì.",
    "Trả kết quả trễ hẹn ba ngày, không được báo trước.",
    "Phòng chờ nóng, thiếu ghế cho người già.",
    "Đề nghị niêm yết rõ lệ phí.",
)
ANSWERS = (
    "Đã liên hệ công dân, xin lỗi và hướng dẫn bổ sung hồ sơ.",
    "Đã bố trí thêm ghế chờ và quạt tại bộ phận một cửa.",
    "Đã nhắc nhở công chức và trả kết quả cho công dân.",
)
REASON_SHARE = 0.3      # low ratings whose citizen gave a reason
COMMENT_SHARE = 0.25
COMPLAINT_SHARE = 0.3   # of those who wrote something
LATE_SHARE = 0.15       # answered follow-ups that missed their deadline


def add(session: Session, rng: np.random.Generator, rows: list[dict], definition: dict,
        questionnaire_code: str, calendar: Calendar, days: int, low_max: int,
        now: datetime) -> int:
    """Reasons, comments and follow-ups for the low-rated ``rows`` (stored response dicts with
    ``id``, ``item_values``, ``agency_id``, ``counter_id``, ``received_at``); returns the
    number of follow-ups made."""
    items = item_codes(definition)          # the order of ``item_values``
    elements = item_elements(definition)
    handler = session.scalar(sa.select(User.id).where(User.role == "analyst").order_by(User.id))
    reasons, comments, follow_ups = [], [], []
    for row in rows:
        values = row["item_values"] or ""
        low = [code for code, value in zip(items, values) if value.isdigit()
               and int(value) <= low_max]
        if not low or rng.random() >= REASON_SHARE:
            continue
        for code in low[:3]:
            choices = reasons_for(questionnaire_code, elements[code])
            for pick in rng.choice(len(choices), size=min(len(choices), 1 + int(rng.random() < 0.3)),
                                   replace=False):
                reasons.append({"response_id": row["id"], "item_code": code,
                                "reason_code": choices[int(pick)].code})
        complaint = False
        if rng.random() < COMMENT_SHARE:
            complaint = bool(rng.random() < COMPLAINT_SHARE)
            comments.append({"response_id": row["id"], "complaint": complaint,
                             "text": COMMENTS[int(rng.integers(len(COMMENTS)))],
                             "created_at": row["received_at"]})
        follow_ups.append(_follow_up(rng, row, complaint, calendar, days, now, handler))
    if reasons:
        session.execute(sa.insert(ResponseReason.__table__), reasons)
    if comments:
        session.execute(sa.insert(ResponseComment.__table__), comments)
    if follow_ups:
        session.execute(sa.insert(FollowUp.__table__), follow_ups)
    return len(follow_ups)


def _follow_up(rng, row: dict, complaint: bool, calendar: Calendar, days: int, now: datetime,
               handler: int | None) -> dict:
    opened = row["received_at"]
    due = calendar.add_working_days(opened, days)
    item = {"response_id": row["id"], "agency_id": row["agency_id"],
            "counter_id": row["counter_id"], "kind": "complaint" if complaint else "low_rating",
            "dossier_hash": row.get("dossier_hash"), "opened_at": opened, "due_at": due,
            "status": "open", "response_text": None, "handled_by": None, "handled_at": None}
    if due + timedelta(days=3) > now:       # recent: still being handled
        item["status"] = "in_progress" if rng.random() < 0.4 else "open"
        return item
    late = rng.random() < LATE_SHARE
    spent = (due - opened) * float(rng.uniform(0.2, 0.9))
    handled = due + timedelta(days=float(rng.uniform(1, 6))) if late else opened + spent
    item.update(status="done", response_text=ANSWERS[int(rng.integers(len(ANSWERS)))],
                handled_by=handler, handled_at=min(handled, now))
    return item
