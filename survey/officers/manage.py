"""Managing officers: the list by agency (admins manage, analysts and agency viewers read), new,
edit, PIN, deactivate or reactivate, unlock after a PIN lock-out; every change is audited."""
from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import audit, duty
from ..admin.agencies import agency_choices, agency_tree
from ..admin.forms import ConfirmForm
from ..auth.access import role_required
from ..extensions import db
from ..models import Agency, Officer, utcnow
from . import bp, service
from .forms import OfficerForm, OfficerNewForm, PinForm

READERS = ("admin", "analyst", "agency_viewer")


def officer_groups(officers: list[Officer]) -> list[tuple[Agency, int, list[Officer]]]:
    """(agency, depth, its officers) in the agency tree's order, agencies without officers
    left out."""
    by_agency: dict[int, list[Officer]] = {}
    for officer in officers:
        by_agency.setdefault(officer.agency_id, []).append(officer)
    return [(agency, depth, by_agency[agency.id]) for agency, depth in agency_tree()
            if agency.id in by_agency]


@bp.get("/")
@role_required(*READERS)
def officers():
    """Every officer the user may see, grouped by agency; managing buttons for admins."""
    found = service.visible_officers(db.session, current_user)
    return render_template("officers/list.html", groups=officer_groups(found),
                           on_duty=service.open_shift_counters(db.session),
                           locked={o.id for o in found if service.is_locked(o)},
                           manage=current_user.role == "admin", confirm=ConfirmForm())


def _valid_agency(form: OfficerForm) -> Agency | None:
    agency = db.session.get(Agency, form.agency_id.data) if form.agency_id.data else None
    if agency is None:
        form.agency_id.errors.append(_("Choose an existing agency."))
    return agency


def _saved(form: OfficerForm, write: Callable[[], None]) -> bool:
    """Run ``write`` and commit; False (rolled back, the problem on the form) when another
    officer took the code in the meantime (the database's unique constraint decides)."""
    try:
        write()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.code.errors.append(_("Another officer already has this code."))
        return False
    return True


def _code_free(form: OfficerForm, own_id: int | None) -> bool:
    if service.code_taken(db.session, form.code.data, own_id):
        form.code.errors.append(_("Another officer already has this code."))
        return False
    return True


@bp.route("/new", methods=["GET", "POST"])
@role_required("admin")
def officer_new():
    """Create an officer of an agency (with a first PIN when one is given)."""
    form = OfficerNewForm()
    form.agency_id.choices = agency_choices()
    if form.validate_on_submit() and _code_free(form, None) and _valid_agency(form):
        officer = Officer(code=form.code.data, name=form.name.data,
                          agency_id=form.agency_id.data, active=True, failed_pins=0)
        if form.pin.data:
            officer.set_pin(form.pin.data)

        def write() -> None:
            db.session.add(officer)
            db.session.flush()
            audit.record(db.session, current_user, "create", "officer", officer.id, None,
                         service.officer_state(officer))

        if _saved(form, write):
            flash(_("Officer %(code)s created.", code=officer.code), "success")
            return redirect(url_for("officers.officers"))
    return render_template("admin/simple_form.html", form=form, title=_("New officer"),
                           back=url_for("officers.officers"))


@bp.route("/<int:officer_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def officer_edit(officer_id: int):
    """Change an officer's code, name or agency. A new agency ends the officer's shifts at
    the old agency's counters and moves the officer's user accounts with them."""
    officer = db.get_or_404(Officer, officer_id)
    form = OfficerForm(obj=officer)
    form.agency_id.choices = agency_choices()
    if form.validate_on_submit() and _code_free(form, officer.id) and _valid_agency(form) \
            and _saved(form, lambda: _update(officer, form)):
        flash(_("Officer %(code)s saved.", code=officer.code), "success")
        return redirect(url_for("officers.officers"))
    return render_template("admin/simple_form.html", form=form,
                           title=_("Edit officer %(code)s", code=officer.code),
                           back=url_for("officers.officers"))


def _update(officer: Officer, form: OfficerForm) -> None:
    """Write the form to ``officer`` with its audit event."""
    before = service.officer_state(officer)
    moved = form.agency_id.data != officer.agency_id
    officer.code, officer.name = form.code.data, form.name.data
    officer.agency_id = form.agency_id.data
    after = service.officer_state(officer)
    if moved:
        after["shifts_ended"] = duty.end_shifts(db.session, utcnow(), "agency_changed",
                                                officer_id=officer.id)
        after["users_moved"] = service.move_linked_users(db.session, officer)
    audit.record(db.session, current_user, "update", "officer", officer.id, before, after)


@bp.route("/<int:officer_id>/pin", methods=["GET", "POST"])
@role_required("admin")
def officer_pin(officer_id: int):
    """Set or reset an officer's PIN (stored hashed, never shown) and lift any lock-out."""
    officer = db.get_or_404(Officer, officer_id)
    form = PinForm()
    if form.validate_on_submit():
        before = service.officer_state(officer)
        officer.set_pin(form.pin.data)
        officer.failed_pins, officer.locked_until = 0, None
        audit.record(db.session, current_user, "set_pin", "officer", officer.id, before,
                     {**service.officer_state(officer), "pin": "changed"})
        db.session.commit()
        flash(_("New PIN set for %(code)s.", code=officer.code), "success")
        return redirect(url_for("officers.officers"))
    return render_template("admin/simple_form.html", form=form,
                           title=_("PIN of officer %(code)s", code=officer.code),
                           back=url_for("officers.officers"))


@bp.post("/<int:officer_id>/active")
@role_required("admin")
def officer_toggle(officer_id: int):
    """Deactivate an active officer (ending their shifts) or reactivate an inactive one."""
    officer = db.get_or_404(Officer, officer_id)
    if ConfirmForm().validate_on_submit():
        ended = service.set_active(db.session, current_user, officer, not officer.active)
        db.session.commit()
        if officer.active:
            flash(_("Officer %(code)s reactivated.", code=officer.code), "success")
        else:
            flash(_("Officer %(code)s deactivated; shifts ended: %(count)s.",
                    code=officer.code, count=ended), "success")
    return redirect(url_for("officers.officers"))


@bp.post("/<int:officer_id>/unlock")
@role_required("admin")
def officer_unlock(officer_id: int):
    """Lift a PIN lock-out: the count of wrong PINs starts again from zero."""
    officer = db.get_or_404(Officer, officer_id)
    if ConfirmForm().validate_on_submit():
        before = service.officer_state(officer)
        officer.failed_pins, officer.locked_until = 0, None
        audit.record(db.session, current_user, "unlock", "officer", officer.id, before,
                     service.officer_state(officer))
        db.session.commit()
        flash(_("Officer %(code)s unlocked.", code=officer.code), "success")
    return redirect(url_for("officers.officers"))
