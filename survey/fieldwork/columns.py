"""The columns of a field-survey file: the responses export's layout plus what says where,
when and how the interview was done, and what the database knows of their codes.

A file names each column once. ``id``, ``survey_date`` and ``counter`` are required; ``mode``,
``questionnaire`` (+ ``version``) unless one is chosen for the whole file; every item of the
questionnaire version (criteria and overall questions) has a column, empty cells meaning "not
answered"; ``service_area``, ``dossier`` and the profile columns are optional. The export's
computed columns (period, agency, channel, weight, stratum, fpc) may stay: they are ignored.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import questionnaires as qdefs
from ..lookups import QuestionnaireRef
from ..models import Counter, Questionnaire, ServiceArea, counter_service_areas
from ..responses import PROFILE_FIELDS
from .problems import Problem

REQUIRED = ("id", "survey_date", "counter")
OPTIONAL = ("service_area", "mode", "questionnaire", "version", "dossier")
ALIASES = {"response_id": "id"}  # the export calls the id so
IGNORED = ("period", "agency", "channel", "weight", "stratum", "fpc")


@dataclass(frozen=True)
class Defaults:
    """What the person chose for the whole file (each used where a row leaves it empty)."""

    mode: str | None = None
    questionnaire: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class CounterRef:
    """A counter by code: its ids and the areas it serves (code → id)."""

    id: int
    code: str
    agency_id: int
    areas: dict[str, int]


@dataclass
class Catalogue:
    """Counters, service areas and published questionnaire versions, read once per file."""

    counters: dict[str, CounterRef] = field(default_factory=dict)
    areas: dict[str, int] = field(default_factory=dict)
    versions: dict[tuple[str, int], QuestionnaireRef] = field(default_factory=dict)

    def questionnaire(self, code: str, version: int | None) -> QuestionnaireRef | None:
        """A published version of ``code``; the newest one when ``version`` is None."""
        if version is not None:
            return self.versions.get((code, version))
        found = [ref for (c, _v), ref in self.versions.items() if c == code]
        return max(found, key=lambda ref: ref.version) if found else None

    def item_codes(self) -> set[str]:
        """Every item code of every published version."""
        return {code for ref in self.versions.values() for code in ref.items}


def load_catalogue(session: Session) -> Catalogue:
    """Read every counter (with its areas), service area and questionnaire version."""
    catalogue = Catalogue(areas=dict(session.execute(sa.select(ServiceArea.code,
                                                               ServiceArea.id)).all()))
    served: dict[int, dict[str, int]] = {}
    for counter_id, code, area_id in session.execute(
            sa.select(counter_service_areas.c.counter_id, ServiceArea.code, ServiceArea.id)
            .join(ServiceArea, ServiceArea.id == counter_service_areas.c.service_area_id)):
        served.setdefault(counter_id, {})[code] = area_id
    for counter_id, code, agency_id in session.execute(
            sa.select(Counter.id, Counter.code, Counter.agency_id)):
        catalogue.counters[code] = CounterRef(counter_id, code, agency_id,
                                              served.get(counter_id, {}))
    for row in session.execute(sa.select(Questionnaire.id, Questionnaire.code,
                                          Questionnaire.version, Questionnaire.definition)):
        catalogue.versions[(row.code, row.version)] = QuestionnaireRef(
            row.id, row.code, row.version, row.definition)
    return catalogue


def canonical(name: str, items: set[str]) -> str | None:
    """The column a header name stands for (None: not a column of this format)."""
    if name.upper() in items:
        return name.upper()
    lower = name.lower()
    lower = ALIASES.get(lower, lower)
    if lower in REQUIRED + OPTIONAL + IGNORED + PROFILE_FIELDS:
        return lower
    return None


def header_columns(header: list[str], defaults: Defaults, catalogue: Catalogue
                   ) -> tuple[dict[str, int], list[Problem]]:
    """Column name → position, or the problems of the header (one per kind, naming every
    column concerned)."""
    items = catalogue.item_codes()
    positions: dict[str, int] = {}
    unknown, twice = [], []
    for position, name in enumerate(header):
        column = canonical(name, items)
        if column is None:
            unknown.append(name or f"#{position + 1}")
        elif column in positions:
            twice.append(name)
        else:
            positions[column] = position
    needed = list(REQUIRED)
    if defaults.mode is None:
        needed.append("mode")
    if defaults.questionnaire is None:
        needed.append("questionnaire")
    else:
        ref = catalogue.questionnaire(defaults.questionnaire, defaults.version)
        needed += list(ref.items) if ref is not None else []
    missing = [name for name in needed if name not in positions]
    problems = []
    if defaults.questionnaire is not None and catalogue.questionnaire(
            defaults.questionnaire, defaults.version) is None:
        shown = defaults.questionnaire + (f" v{defaults.version}" if defaults.version else "")
        problems.append(Problem("unknown_questionnaire", value=shown))
    for kind, names in (("missing_columns", missing), ("unknown_columns", unknown),
                        ("duplicate_columns", twice)):
        if names:
            problems.append(Problem(kind, value=", ".join(names)))
    return positions, problems


def template_columns(definition: dict) -> list[str]:
    """The header of an empty file for a questionnaire version (the template download)."""
    profile = [f["code"] for f in definition.get("profile", []) if f["code"] in PROFILE_FIELDS]
    return [*REQUIRED, "service_area", "mode", "questionnaire", "version", "dossier",
            *qdefs.item_codes(definition), *profile]
