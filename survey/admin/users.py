"""Users (admins only): list, create, deactivate or reactivate, reset a password, change the
e-mail address. An officer account is tied to an officer and has the officer's agency."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..auth.access import role_required
from ..catalog import CatalogError, create_user
from ..extensions import db
from ..models import Agency, Officer, User
from . import bp
from .agencies import agency_choices
from .forms import ConfirmForm, EmailForm, PasswordResetForm, UserForm, option

FIELDS = ("username", "role", "agency_id", "officer_id", "email", "active")


@bp.get("/users")
@role_required("admin")
def users():
    """Every workspace user."""
    rows = db.session.scalars(sa.select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=rows, confirm=ConfirmForm())


def officer_choices(blank: str) -> list:
    """(id, "code · name (agency)") of the active officers, a blank choice first."""
    rows = db.session.execute(sa.select(Officer.id, Officer.code, Officer.name, Agency.code)
                              .join(Agency, Agency.id == Officer.agency_id)
                              .where(Officer.active.is_(True))
                              .order_by(Agency.code, Officer.code))
    return [option(0, blank)] + [option(i, f"{code} · {name} ({agency})")
                                 for i, code, name, agency in rows]


def _account_officer(form: UserForm) -> tuple[bool, Officer | None]:
    """The officer of an officer account (None for other roles); False when refused."""
    if form.role.data != "officer":
        return True, None
    officer = db.session.get(Officer, form.officer_id.data) if form.officer_id.data else None
    if officer is None or not officer.active:
        form.officer_id.errors.append(_("An officer account needs an active officer."))
        return False, None
    taken = db.session.scalar(sa.select(User.username).where(
        User.officer_id == officer.id, User.active.is_(True)).limit(1))
    if taken:
        form.officer_id.errors.append(
            _("This officer already has the account %(name)s.", name=taken))
        return False, None
    return True, officer


def _create(form: UserForm) -> User | None:
    """Create the user of the form; None (with the problem on the form) when refused."""
    agency = db.session.get(Agency, form.agency_id.data) if form.agency_id.data else None
    if form.role.data == "agency_viewer" and agency is None:
        form.agency_id.errors.append(_("An agency viewer needs an agency."))
        return None
    allowed, officer = _account_officer(form)
    if not allowed:
        return None
    if db.session.scalars(sa.select(User).where(User.username == form.username.data)).first():
        form.username.errors.append(_("This username is already taken."))
        return None
    try:
        user = create_user(db.session, form.username.data, form.password.data, form.role.data,
                           agency.code if agency and form.role.data == "agency_viewer" else None,
                           officer_code=officer.code if officer else None,
                           email=form.email.data or None)
    except CatalogError as exc:
        db.session.rollback()
        form.username.errors.append(str(exc))
        return None
    audit.record(db.session, current_user, "create", "user", user.id, None,
                 audit.snapshot(user, FIELDS))
    db.session.commit()
    return user


@bp.route("/users/new", methods=["GET", "POST"])
@role_required("admin")
def user_new():
    """Create a user with a role (an agency for agency viewers, an officer for officer
    accounts) and an optional e-mail address."""
    form = UserForm()
    form.agency_id.choices = agency_choices(_("(none)"))
    form.officer_id.choices = officer_choices(_("(none)"))
    if form.validate_on_submit() and _create(form):
        flash(_("User created."), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/simple_form.html", form=form, title=_("New user"),
                           back=url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
@role_required("admin")
def user_toggle(user_id: int):
    """Deactivate an active user or reactivate an inactive one; never oneself."""
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("admin.users"))
    if ConfirmForm().validate_on_submit():
        audit.toggle_active(db.session, current_user, user, "user",
                            lambda u: audit.snapshot(u, FIELDS))
        db.session.commit()
        flash(_("User activated.") if user.active else _("User deactivated."), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/password", methods=["GET", "POST"])
@role_required("admin")
def user_password(user_id: int):
    """Set a new password for a user and lift any lock-out."""
    user = db.get_or_404(User, user_id)
    form = PasswordResetForm()
    if form.validate_on_submit():
        before = {"failed_logins": user.failed_logins, "locked": user.locked_until is not None}
        user.set_password(form.password.data)
        user.failed_logins, user.locked_until = 0, None
        audit.record(db.session, current_user, "reset_password", "user", user.id, before,
                     {"failed_logins": 0, "locked": False, "password": "changed"})
        db.session.commit()
        flash(_("Password changed for %(name)s.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/simple_form.html", form=form,
                           title=_("New password for %(name)s", name=user.username),
                           back=url_for("admin.users"))


@bp.route("/users/<int:user_id>/email", methods=["GET", "POST"])
@role_required("admin")
def user_email(user_id: int):
    """Set, change or remove a user's e-mail address (used for the daily alert digest)."""
    user = db.get_or_404(User, user_id)
    form = EmailForm(obj=user)
    if form.validate_on_submit():
        before = audit.snapshot(user, FIELDS)
        user.email = form.email.data or None
        audit.record(db.session, current_user, "update", "user", user.id, before,
                     audit.snapshot(user, FIELDS))
        db.session.commit()
        flash(_("E-mail address saved for %(name)s.", name=user.username), "success")
        return redirect(url_for("admin.users"))
    return render_template("admin/simple_form.html", form=form,
                           title=_("E-mail address of %(name)s", name=user.username),
                           back=url_for("admin.users"))
