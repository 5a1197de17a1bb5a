"""A small in-process cache of computed report tables, keyed by request and data version.

The data version changes whenever a response is added or changes status, a population total or a
questionnaire is added or changed, an agency moves in the tree or a code changes, so a cached
table is never stale (barring changes that cancel out exactly in these sums). Each web worker keeps its
own cache; nothing is shared between processes.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from ..models import Agency, Counter, PopulationTotal, Questionnaire, Response, ServiceArea

MAX_ENTRIES = 64
_entries: OrderedDict[tuple, Any] = OrderedDict()
_lock = threading.Lock()


def data_version(session: Session) -> tuple:
    """A fingerprint of everything a report depends on."""
    def ids_with(status: str):
        return sa.func.sum(sa.case((Response.status == status, Response.id), else_=0))

    responses = session.execute(sa.select(sa.func.count(), sa.func.max(Response.id),
                                          ids_with("excluded"), ids_with("flagged"))).one()
    totals = session.execute(sa.select(sa.func.count(), sa.func.sum(PopulationTotal.dossiers),
                                       sa.func.sum(PopulationTotal.id * PopulationTotal.dossiers)
                                       )).one()
    agencies = session.execute(sa.select(sa.func.count(), sa.func.sum(
        sa.func.coalesce(Agency.parent_id, 0) * Agency.id))).one()
    questionnaires = session.scalar(sa.select(sa.func.max(Questionnaire.id)))
    codes = tuple(session.scalar(sa.select(sa.func.sum(sa.func.length(model.code) * model.id)))
                  for model in (Agency, Counter, ServiceArea))
    url = str(session.get_bind().url)
    return (url, *responses, *totals, *agencies, questionnaires, *codes)


def cached(key: tuple, compute: Callable[[], Any]) -> Any:
    """The value stored under ``key``, computed (and stored) when missing."""
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key]
    value = compute()
    with _lock:
        _entries[key] = value
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    """Forget every cached table."""
    with _lock:
        _entries.clear()
