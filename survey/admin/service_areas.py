"""Service areas (lĩnh vực) and administrative procedures: list, create, edit."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..auth.access import role_required
from ..extensions import db
from ..models import Procedure, ServiceArea
from . import bp
from .forms import ProcedureForm, ServiceAreaForm, option

AREA_FIELDS = ("code", "name_vi", "name_en")
PROCEDURE_FIELDS = ("code", "name", "service_area_id")


def _code_taken(model, code: str, own_id: int | None) -> bool:
    other = db.session.scalars(sa.select(model).where(model.code == code)).first()
    return other is not None and other.id != own_id


def _save(model, obj, form, fields: tuple[str, ...], entity: str) -> bool:
    """Copy ``fields`` from ``form`` into ``obj`` (new when None), audit and commit."""
    if _code_taken(model, form.code.data.strip(), obj.id if obj else None):
        form.code.errors.append(_("This code is already used."))
        return False
    before = audit.snapshot(obj, fields) if obj else None
    if obj is None:
        obj = model()
        db.session.add(obj)
    for name in fields:
        value = getattr(form, name).data
        setattr(obj, name, value.strip() if isinstance(value, str) else value)
    db.session.flush()
    audit.record(db.session, current_user, "update" if before else "create", entity, obj.id,
                 before, audit.snapshot(obj, fields))
    db.session.commit()
    flash(_("Saved."), "success")
    return True


@bp.get("/service-areas")
@role_required("admin", "analyst")
def service_areas():
    """Every service area."""
    areas = db.session.scalars(sa.select(ServiceArea).order_by(ServiceArea.code)).all()
    return render_template("admin/service_areas.html", areas=areas)


@bp.route("/service-areas/new", methods=["GET", "POST"])
@bp.route("/service-areas/<int:area_id>/edit", methods=["GET", "POST"])
@role_required("admin", "analyst")
def service_area_form(area_id: int | None = None):
    """Create or edit a service area."""
    area = db.session.get(ServiceArea, area_id) if area_id else None
    if area_id and area is None:
        abort(404)
    form = ServiceAreaForm(obj=area)
    if form.validate_on_submit() and _save(ServiceArea, area, form, AREA_FIELDS,
                                           "service_area"):
        return redirect(url_for("admin.service_areas"))
    return render_template("admin/simple_form.html", form=form,
                           title=_("Edit service area") if area else _("New service area"),
                           back=url_for("admin.service_areas"))


@bp.get("/procedures")
@role_required("admin", "analyst")
def procedures():
    """Every administrative procedure with its service area."""
    rows = db.session.scalars(sa.select(Procedure).order_by(Procedure.code)).all()
    return render_template("admin/procedures.html", procedures=rows)


@bp.route("/procedures/new", methods=["GET", "POST"])
@bp.route("/procedures/<int:procedure_id>/edit", methods=["GET", "POST"])
@role_required("admin", "analyst")
def procedure_form(procedure_id: int | None = None):
    """Create or edit a procedure."""
    procedure = db.session.get(Procedure, procedure_id) if procedure_id else None
    if procedure_id and procedure is None:
        abort(404)
    form = ProcedureForm(obj=procedure)
    form.service_area_id.choices = [
        option(a.id, f"{a.code} · {a.name_vi}")
        for a in db.session.scalars(sa.select(ServiceArea).order_by(ServiceArea.code))]
    if form.validate_on_submit() and _save(Procedure, procedure, form, PROCEDURE_FIELDS,
                                           "procedure"):
        return redirect(url_for("admin.procedures"))
    return render_template("admin/simple_form.html", form=form,
                           title=_("Edit procedure") if procedure else _("New procedure"),
                           back=url_for("admin.procedures"))
