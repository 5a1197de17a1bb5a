"""Alerts are stored once per key: a check run twice, or two runs at once, add nothing twice."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Alert


@dataclass
class Found:
    """An alert as a check finds it, before it is stored."""

    key: str
    kind: str
    level: str
    unit_id: int
    agency_id: int | None
    starts: datetime
    ends: datetime | None = None
    size: float | None = None
    p_value: float | None = None
    q_value: float | None = None
    evidence: dict = field(default_factory=dict)


def record(session: Session, found: list[Found]) -> list[Alert]:
    """Store the alerts whose key is new; the alerts added (the caller commits)."""
    keys = [f.key for f in found]
    known = set()
    for start in range(0, len(keys), 500):
        known.update(session.scalars(sa.select(Alert.key).where(
            Alert.key.in_(keys[start:start + 500]))))
    added = []
    for item in found:
        if item.key in known:
            continue
        known.add(item.key)
        alert = Alert(key=item.key, kind=item.kind, level=item.level, unit_id=int(item.unit_id),
                      agency_id=item.agency_id, starts=_utc(item.starts), ends=_utc(item.ends),
                      size=item.size, p_value=item.p_value, q_value=item.q_value,
                      evidence=item.evidence)
        try:
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:   # another run stored it first
            continue
        added.append(alert)
    return added


def _utc(moment: datetime | None) -> datetime | None:
    """Times are stored in UTC (SQLite keeps no zone: a local time would read back wrong)."""
    return None if moment is None else moment.astimezone(UTC)
