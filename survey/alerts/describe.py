"""Words for alerts: what kind, which unit, how big — shared by the page and the digest."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from ..models import Agency, Alert, Counter, Officer

KIND_LABELS = {
    "drop": _l("Index drop"),
    "silent": _l("Tablet silent"),
    "top_burst": _l("Burst of top ratings"),
    "off_hours": _l("Ratings outside opening hours"),
    "identical": _l("Identical answers in a row"),
}
LEVEL_LABELS = {"counter": _l("Counter"), "agency": _l("Agency"), "officer": _l("Officer")}
LEVEL_MODELS = {"counter": Counter, "agency": Agency, "officer": Officer}


def kind_label(kind: str) -> str:
    """The translated name of an alert kind."""
    return str(KIND_LABELS.get(kind, kind))


def unit_names(session: Session, alerts: list[Alert]) -> dict[tuple[str, int], str]:
    """(level, unit id) → "code – name" for every unit the alerts name."""
    names = {}
    for level, model in LEVEL_MODELS.items():
        ids = {a.unit_id for a in alerts if a.level == level}
        for unit in (session.get(model, i) for i in ids):
            if unit is not None:
                names[(level, unit.id)] = f"{unit.code} – {unit.name}"
    return names


def size_text(alert: Alert) -> str:
    """How big the alert is, in its own unit: points of drop, hours silent, ratings."""
    from ..reports.numbers import fmt

    if alert.size is None:
        return ""
    if alert.kind == "drop":
        return str(_l("%(points)s points", points=fmt(alert.size, 1)))
    if alert.kind == "silent":
        return str(_l("%(hours)s opening hours", hours=fmt(alert.size, 1)))
    return str(_l("%(count)s ratings", count=fmt(alert.size, 0)))
