"""Counters: list with silent tablets highlighted, create, edit, (de)activate, rotate token."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..auth.access import role_required
from ..auth.login import aware
from ..catalog import new_token, rotate_token
from ..extensions import db
from ..models import Counter, Response, ServiceArea, utcnow
from . import bp
from .agencies import agency_choices
from .forms import ConfirmForm, CounterEditForm, CounterForm, option

DEFAULT_SILENT_DAYS = 7


def token_hint(token: str) -> str:
    """The first characters of a token: enough to tell tokens apart in the audit log."""
    return f"{token[:6]}…"


def counter_state(counter: Counter) -> dict:
    """What the audit log keeps of a counter (tokens only as a hint)."""
    return {"code": counter.code, "name": counter.name, "agency_id": counter.agency_id,
            "active": counter.active, "token": token_hint(counter.token),
            "service_areas": sorted(a.code for a in counter.service_areas)}


def counter_urls(counter: Counter) -> dict[str, str]:
    """The citizen-facing addresses of a counter."""
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {"kiosk": f"{base}/kiosk/{counter.token}", "qr": f"{base}/q/{counter.token}",
            "poster": f"/kiosk/poster/{counter.token}",
            "poster_svg": f"/kiosk/poster/{counter.token}.svg"}


def _silent_days() -> int:
    default = int(current_app.config.get("COUNTER_SILENT_DAYS", DEFAULT_SILENT_DAYS))
    days = request.args.get("days", default, type=int)
    return days if days and days > 0 else default


def _area_choices() -> list[tuple[int, str]]:
    return [option(a.id, f"{a.code} · {a.name_vi}") for a in db.session.scalars(
        sa.select(ServiceArea).order_by(ServiceArea.code))]


def _areas(ids: list[int]) -> list[ServiceArea]:
    return list(db.session.scalars(sa.select(ServiceArea).where(ServiceArea.id.in_(ids))))


def last_response_at() -> sa.ScalarSelect:
    """The time of each counter's newest response (an index lookup per counter)."""
    return (sa.select(sa.func.max(Response.received_at))
            .where(Response.counter_id == Counter.id).scalar_subquery())


@bp.get("/counters")
@role_required("admin", "analyst")
def counters():
    """Every counter; an active one silent for more than N days is highlighted."""
    days = _silent_days()
    cutoff = utcnow() - timedelta(days=days)
    rows = []
    for counter, last in db.session.execute(sa.select(Counter, last_response_at())
                                            .order_by(Counter.code)):
        last = aware(last)
        silent = counter.active and (last or aware(counter.created_at)) < cutoff
        rows.append({"counter": counter, "last": last, "silent": silent,
                     "urls": counter_urls(counter)})
    return render_template("admin/counters.html", rows=rows, days=days, confirm=ConfirmForm())


@bp.route("/counters/new", methods=["GET", "POST"])
@role_required("admin", "analyst")
def counter_new():
    """Create a counter with a fresh token."""
    form = CounterForm()
    form.agency_id.choices = agency_choices()
    form.service_area_ids.choices = _area_choices()
    if form.validate_on_submit():
        code = form.code.data.strip()
        if db.session.scalars(sa.select(Counter).where(Counter.code == code)).first():
            form.code.errors.append(_("Another counter already has this code."))
        else:
            counter = Counter(code=code, name=form.name.data.strip(), token=new_token(),
                              agency_id=form.agency_id.data,
                              service_areas=_areas(form.service_area_ids.data))
            db.session.add(counter)
            db.session.flush()
            audit.record(db.session, current_user, "create", "counter", counter.id, None,
                         counter_state(counter))
            db.session.commit()
            flash(_("Counter created."), "success")
            return redirect(url_for("admin.counters"))
    return render_template("admin/simple_form.html", form=form, title=_("New counter"),
                           back=url_for("admin.counters"))


@bp.route("/counters/<int:counter_id>/edit", methods=["GET", "POST"])
@role_required("admin", "analyst")
def counter_edit(counter_id: int):
    """Rename a counter and choose the service areas it serves."""
    counter = db.get_or_404(Counter, counter_id)
    form = CounterEditForm(obj=counter)
    form.service_area_ids.choices = _area_choices()
    if request.method == "GET":
        form.service_area_ids.data = [a.id for a in counter.service_areas]
    if form.validate_on_submit():
        before = counter_state(counter)
        counter.name = form.name.data.strip()
        counter.service_areas = _areas(form.service_area_ids.data)
        audit.record(db.session, current_user, "update", "counter", counter.id, before,
                     counter_state(counter))
        db.session.commit()
        flash(_("Counter saved."), "success")
        return redirect(url_for("admin.counters"))
    return render_template("admin/simple_form.html", form=form,
                           title=_("Edit counter %(code)s", code=counter.code),
                           back=url_for("admin.counters"))


@bp.post("/counters/<int:counter_id>/active")
@role_required("admin", "analyst")
def counter_toggle(counter_id: int):
    """Deactivate an active counter, or reactivate an inactive one."""
    counter = db.get_or_404(Counter, counter_id)
    if ConfirmForm().validate_on_submit():
        audit.toggle_active(db.session, current_user, counter, "counter", counter_state)
        db.session.commit()
        flash(_("Counter activated.") if counter.active else _("Counter deactivated."),
              "success")
    return redirect(url_for("admin.counters"))


@bp.route("/counters/<int:counter_id>/rotate", methods=["GET", "POST"])
@role_required("admin", "analyst")
def counter_rotate(counter_id: int):
    """Ask for confirmation, then give the counter a new token (old URLs stop working)."""
    counter = db.get_or_404(Counter, counter_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        before = counter_state(counter)
        rotate_token(db.session, counter)
        audit.record(db.session, current_user, "rotate_token", "counter", counter.id, before,
                     counter_state(counter))
        db.session.commit()
        flash(_("New token issued for %(code)s: print the new poster and reload the tablet.",
                code=counter.code), "success")
        return redirect(url_for("admin.counters"))
    return render_template("admin/counter_rotate.html", counter=counter, form=form)
