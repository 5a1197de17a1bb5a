"""Users (admins only): list, create, deactivate or reactivate, reset a password."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..auth.access import role_required
from ..catalog import CatalogError, create_user
from ..extensions import db
from ..models import Agency, User
from . import bp
from .agencies import agency_choices
from .forms import ConfirmForm, PasswordResetForm, UserForm

FIELDS = ("username", "role", "agency_id", "active")


@bp.get("/users")
@role_required("admin")
def users():
    """Every workspace user."""
    rows = db.session.scalars(sa.select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=rows, confirm=ConfirmForm())


def _create(form: UserForm) -> User | None:
    """Create the user of the form; None (with the problem on the form) when refused."""
    agency = db.session.get(Agency, form.agency_id.data) if form.agency_id.data else None
    if form.role.data == "agency_viewer" and agency is None:
        form.agency_id.errors.append(_("An agency viewer needs an agency."))
        return None
    if db.session.scalars(sa.select(User).where(User.username == form.username.data)).first():
        form.username.errors.append(_("This username is already taken."))
        return None
    try:
        user = create_user(db.session, form.username.data, form.password.data, form.role.data,
                           agency.code if agency and form.role.data == "agency_viewer" else None)
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
    """Create a user with a role (and an agency for agency viewers)."""
    form = UserForm()
    form.agency_id.choices = agency_choices(_("(none)"))
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
