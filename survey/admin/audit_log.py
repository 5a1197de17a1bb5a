"""The audit log (admins only): every change, newest first, filterable by entity and user."""
from __future__ import annotations

import json

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import gettext as _

from ..auth.access import role_required
from ..extensions import db
from ..models import AuditEvent, User
from . import bp

PER_PAGE = 50


@bp.get("/audit")
@role_required("admin")
def audit_log():
    """Paginated audit events, optionally of one entity type and/or one user."""
    entity = request.args.get("entity", "")
    user_id = request.args.get("user", 0, type=int)
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if user_id:
        query = query.where(AuditEvent.user_id == user_id)
    page = db.paginate(query, page=request.args.get("page", 1, type=int), per_page=PER_PAGE,
                       error_out=False)
    entities = db.session.scalars(sa.select(AuditEvent.entity).distinct()
                                  .order_by(AuditEvent.entity)).all()
    users = db.session.scalars(sa.select(User).order_by(User.username)).all()
    args = {k: v for k, v in {"entity": entity, "user": user_id}.items() if v}
    return render_template("admin/audit.html", page=page, entities=entities, users=users,
                           entity=entity, user_id=user_id, args=args)


@bp.app_template_filter("audit_json")
def audit_json(value: dict | None) -> str:
    """Before/after values as readable JSON (Vietnamese kept as is); a dash when absent."""
    if value is None:
        return "—"
    return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


def _labels() -> dict[str, str]:
    return {
        "create": _("created"), "update": _("changed"), "activate": _("reactivated"),
        "deactivate": _("deactivated"), "rotate_token": _("new token"),
        "publish": _("published"), "import": _("imported"),
        "reset_password": _("password reset"), "flag": _("flagged by hand"),
        "exclude": _("excluded"), "restore": _("restored to valid"), "login": _("signed in"),
        "login_failed": _("failed sign-in"), "logout": _("signed out"),
        "agency": _("agency"), "service_area": _("service area"), "procedure": _("procedure"),
        "counter": _("counter"), "questionnaire": _("questionnaire"),
        "population_total": _("population totals"), "user": _("user"),
        "response": _("response"),
    }


@bp.app_template_filter("audit_label")
def audit_label(code: str) -> str:
    """An audit action or entity code in the reader's language (the code when unknown)."""
    return _labels().get(code, code)
