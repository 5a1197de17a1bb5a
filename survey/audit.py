"""The workspace audit log: who changed what, when, with the values before and after."""
from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from .models import AuditEvent, User


def plain(value: Any) -> Any:
    """A JSON-safe copy of ``value`` (dates as ISO text, sets as sorted lists, numpy numbers
    as Python ones, NaN as None: JSON has no NaN)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return None if math.isnan(value) else float(value)
    return str(value)


def record(session: Session, user: User | None, action: str, entity: str,
           entity_id: Any, before: dict | None, after: dict | None) -> AuditEvent:
    """Add one audit event to ``session`` (written with the change it describes)."""
    user_id = getattr(user, "id", None) if user is not None and not getattr(
        user, "is_anonymous", False) else None
    event = AuditEvent(user_id=user_id, action=action, entity=entity,
                       entity_id=None if entity_id is None else str(entity_id)[:64],
                       before=plain(before), after=plain(after))
    session.add(event)
    return event


def snapshot(obj: Any, fields: tuple[str, ...]) -> dict:
    """The named attributes of ``obj`` as a plain dict, for before/after values."""
    return {name: plain(getattr(obj, name)) for name in fields}


def toggle_active(session: Session, user: User, obj: Any, entity: str,
                  state: Callable[[Any], dict]) -> bool:
    """Deactivate an active ``obj`` or reactivate an inactive one, recording the change."""
    before = state(obj)
    obj.active = not obj.active
    record(session, user, "activate" if obj.active else "deactivate", entity, obj.id, before,
           state(obj))
    return obj.active
