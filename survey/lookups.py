"""Process caches for the write path: counters by token and questionnaires by code and version.

A submission needs its counter (agency, service areas, whether it is active) and its
questionnaire definition. Reading them per submission is most of a submission's database work,
so each process keeps them. The cache is a hint, never the authority:

- the statement that stores a response re-checks the counter's token, that it is active and that
  it serves the area, so a counter deactivated, rotated or changed by another process is refused
  by the database and the caller retries with a fresh lookup;
- a published questionnaire version never changes, so ``(code, version)`` entries live forever;
  "the latest version of a code" lives ``LOOKUP_CACHE_SECONDS``;
- any flush that touches a counter, a retired token, a service area or a questionnaire clears
  this process's cache at once.

Each Flask app has its own cache (``app.extensions``), so tests never see another app's entries.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session

from . import questionnaires as qdefs
from .models import Counter, Questionnaire, RetiredToken, ServiceArea, counter_service_areas
from .sums import VectorLayout

_KEY = "sipas_lookups"
_WATCHED = (Counter, RetiredToken, ServiceArea, Questionnaire)


@dataclass(frozen=True)
class CounterInfo:
    """What the write path needs of a counter; ``areas`` maps service-area code to id."""

    id: int
    token: str
    agency_id: int
    active: bool
    areas: dict[str, int]


@dataclass(frozen=True)
class QuestionnaireRef:
    """A published questionnaire version: its id, code, version and (immutable) definition,
    with what validation asks of it on every submission worked out once."""

    id: int
    code: str
    version: int
    definition: dict
    items: tuple[str, ...] = field(init=False)
    criteria: frozenset[str] = field(init=False)
    required: tuple[str, ...] = field(init=False)
    profile: dict[str, set[str]] = field(init=False)
    layout: VectorLayout = field(init=False)

    def __post_init__(self) -> None:
        definition = self.definition
        object.__setattr__(self, "items", tuple(qdefs.item_codes(definition)))
        object.__setattr__(self, "criteria", frozenset(qdefs.criterion_codes(definition)))
        object.__setattr__(self, "required", tuple(qdefs.required_codes(definition)))
        object.__setattr__(self, "profile", qdefs.profile_options(definition))
        object.__setattr__(self, "layout", VectorLayout.from_definition(definition))


class LookupCache:
    """Counters by token and questionnaires by (code, version), with a time limit on "latest"."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[float, CounterInfo]] = {}
        self._versions: dict[tuple[str, int], QuestionnaireRef] = {}
        self._latest: dict[str, tuple[float, QuestionnaireRef]] = {}

    def clear(self) -> None:
        """Forget every entry (something they were read from has changed)."""
        with self._lock:
            self._counters.clear()
            self._latest.clear()

    def forget(self, token: object, code: object) -> None:
        """Forget one counter and the latest version of one questionnaire code."""
        with self._lock:
            if isinstance(token, str):
                self._counters.pop(token, None)
            if isinstance(code, str):
                self._latest.pop(code, None)

    def counter(self, session: Session, token: str) -> CounterInfo | None:
        """The counter whose current token is ``token``, active or not; None when none is."""
        now = time.monotonic()
        hit = self._counters.get(token)
        if hit is not None and now - hit[0] < self.seconds:
            return hit[1]
        info = read_counter(session, token)
        if info is not None:
            with self._lock:
                self._counters[token] = (now, info)
        return info

    def questionnaire(self, session: Session, code: str,
                      version: int | None) -> QuestionnaireRef | None:
        """A published version of ``code``; the newest one when ``version`` is None."""
        if version is not None:
            ref = self._versions.get((code, version))
            if ref is None and (ref := read_questionnaire(session, code, version)) is not None:
                with self._lock:
                    self._versions[(code, version)] = ref
            return ref
        now = time.monotonic()
        hit = self._latest.get(code)
        if hit is not None and now - hit[0] < self.seconds:
            return hit[1]
        ref = read_questionnaire(session, code, None)
        if ref is not None:
            with self._lock:
                self._latest[code] = (now, ref)
                self._versions[(code, ref.version)] = ref
        return ref


def read_counter(session: Session, token: str) -> CounterInfo | None:
    """Read a counter and the codes of the areas it serves in one query."""
    rows = session.execute(
        sa.select(Counter.id, Counter.agency_id, Counter.active, ServiceArea.code,
                  ServiceArea.id.label("area_id"))
        .outerjoin(counter_service_areas, counter_service_areas.c.counter_id == Counter.id)
        .outerjoin(ServiceArea, ServiceArea.id == counter_service_areas.c.service_area_id)
        .where(Counter.token == token)).all()
    if not rows:
        return None
    first = rows[0]
    areas = {row.code: row.area_id for row in rows if row.code is not None}
    return CounterInfo(first.id, token, first.agency_id, bool(first.active), areas)


def read_questionnaire(session: Session, code: str, version: int | None) -> QuestionnaireRef | None:
    """Read one published version (the newest when ``version`` is None)."""
    query = sa.select(Questionnaire.id, Questionnaire.code, Questionnaire.version,
                      Questionnaire.definition).where(Questionnaire.code == code)
    if version is not None:
        query = query.where(Questionnaire.version == version)
    row = session.execute(query.order_by(Questionnaire.version.desc()).limit(1)).first()
    return None if row is None else QuestionnaireRef(row.id, row.code, row.version,
                                                     row.definition)


def cache(app: Flask | None = None) -> LookupCache:
    """This app's cache, made on first use."""
    app = app or current_app
    found = app.extensions.get(_KEY)
    if found is None:
        found = app.extensions[_KEY] = LookupCache(
            float(app.config.get("LOOKUP_CACHE_SECONDS", 30)))
    return found


@sa.event.listens_for(Session, "before_flush")
def _forget_on_change(session: Session, _context, _instances) -> None:
    """Clear the cache when a flush writes anything it was read from."""
    if not has_app_context() or _KEY not in current_app.extensions:
        return
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(isinstance(obj, _WATCHED) for obj in changed):
        current_app.extensions[_KEY].clear()
