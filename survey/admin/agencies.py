"""Agencies: the province tree, create, edit (no cycles), deactivate and reactivate."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..auth.access import role_required
from ..extensions import db
from ..models import Agency
from . import bp
from .forms import AgencyForm, ConfirmForm, option

FIELDS = ("code", "name", "level", "parent_id", "active")


def agency_tree() -> list[tuple[Agency, int]]:
    """Every agency with its depth, parents before their children, siblings by code."""
    agencies = db.session.scalars(sa.select(Agency).order_by(Agency.code)).all()
    children: dict[int | None, list[Agency]] = {}
    for agency in agencies:
        children.setdefault(agency.parent_id, []).append(agency)
    ordered: list[tuple[Agency, int]] = []
    todo = [(a, 0) for a in reversed(children.get(None, []))]
    while todo:
        agency, depth = todo.pop()
        ordered.append((agency, depth))
        todo.extend((c, depth + 1) for c in reversed(children.get(agency.id, [])))
    return ordered


def agency_choices(blank: str | None = None, exclude: set[int] | None = None) -> list:
    """(id, indented name) choices of the tree, optionally with a blank first choice."""
    choices = [option(0, blank)] if blank else []
    for agency, depth in agency_tree():
        if not exclude or agency.id not in exclude:
            choices.append(option(agency.id, f"{'— ' * depth}{agency.code} · {agency.name}"))
    return choices


def _code_taken(code: str, own_id: int | None) -> bool:
    other = db.session.scalars(sa.select(Agency).where(Agency.code == code)).first()
    return other is not None and other.id != own_id


@bp.get("/agencies")
@role_required("admin", "analyst")
def agencies():
    """The agency tree as an indented list."""
    return render_template("admin/agencies.html", tree=agency_tree(), confirm=ConfirmForm())


def _save(form: AgencyForm, agency: Agency | None) -> bool:
    """Validate the form against the tree and write it; False when refused."""
    own_id = agency.id if agency else None
    if _code_taken(form.code.data, own_id):
        form.code.errors.append(_("Another agency already has this code."))
        return False
    parent_id = form.parent_id.data or None
    if agency is not None and parent_id in agency.subtree_ids():
        form.parent_id.errors.append(
            _("An agency cannot be placed under itself or one of its own units."))
        return False
    before = audit.snapshot(agency, FIELDS) if agency else None
    if agency is None:
        agency = Agency(active=True)
        db.session.add(agency)
    agency.code, agency.name = form.code.data.strip(), form.name.data.strip()
    agency.level, agency.parent_id = form.level.data, parent_id
    db.session.flush()
    audit.record(db.session, current_user, "update" if before else "create", "agency",
                 agency.id, before, audit.snapshot(agency, FIELDS))
    db.session.commit()
    return True


@bp.route("/agencies/new", methods=["GET", "POST"])
@role_required("admin", "analyst")
def agency_new():
    """Create an agency."""
    form = AgencyForm()
    form.parent_id.choices = agency_choices(_("(none: top of the tree)"))
    if form.validate_on_submit() and _save(form, None):
        flash(_("Agency saved."), "success")
        return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=None)


@bp.route("/agencies/<int:agency_id>/edit", methods=["GET", "POST"])
@role_required("admin", "analyst")
def agency_edit(agency_id: int):
    """Edit an agency; its parent may not be itself or one of its descendants."""
    agency = db.get_or_404(Agency, agency_id)
    form = AgencyForm(obj=agency)
    form.parent_id.choices = agency_choices(_("(none: top of the tree)"))
    if form.parent_id.data is None:
        form.parent_id.data = 0
    if form.validate_on_submit() and _save(form, agency):
        flash(_("Agency saved."), "success")
        return redirect(url_for("admin.agencies"))
    return render_template("admin/agency_form.html", form=form, agency=agency)


@bp.post("/agencies/<int:agency_id>/active")
@role_required("admin", "analyst")
def agency_toggle(agency_id: int):
    """Deactivate an active agency, or reactivate an inactive one."""
    agency = db.get_or_404(Agency, agency_id)
    if ConfirmForm().validate_on_submit():
        audit.toggle_active(db.session, current_user, agency, "agency",
                            lambda a: audit.snapshot(a, FIELDS))
        db.session.commit()
        flash(_("Agency activated.") if agency.active else _("Agency deactivated."), "success")
    return redirect(url_for("admin.agencies"))
