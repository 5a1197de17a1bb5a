"""Views of the auth blueprint: sign in and sign out."""
from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..extensions import db
from ..main.security import safe_next
from ..models import User
from . import access, bp  # noqa: F401
from .forms import LoginForm
from .login import attempt

HOME = "/reports/"
OFFICER_HOME = "/officers/me"


def home_for(user: User | None) -> str:
    """Where a signed-in user lands: an officer account on its own results (it may open
    nothing else), everyone else on the reports."""
    return OFFICER_HOME if getattr(user, "role", None) == "officer" else HOME


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The sign-in form; a locked account is told so without confirming that it exists."""
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next(request.args.get("next"), home_for(current_user)))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        result = attempt(db.session, form.username.data.strip(), form.password.data)
        db.session.commit()
        if result.state == "ok":
            lang = session.get("lang")
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(result.user)
            return redirect(safe_next(form.next.data, home_for(result.user)))
        if result.state == "locked":
            flash(_("Too many failed sign-in attempts. Sign-in with this name is locked for "
                    "%(minutes)s minutes.", minutes=result.minutes), "error")
        else:
            flash(_("Wrong username or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out (POST with the form token only)."""
    username = current_user.username
    audit.record(db.session, current_user, "logout", "login", username, None,
                 {"username": username})
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("auth.login"))
