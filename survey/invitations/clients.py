"""The API clients page (admins only): list, create (the key is shown once), revoke."""
from __future__ import annotations

import sqlalchemy as sa
from flask import flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..admin.agencies import agency_choices
from ..admin.forms import ConfirmForm
from ..auth.access import role_required
from ..extensions import db
from ..models import Agency, ApiClient
from . import bp
from .forms import ApiClientForm
from .keys import ClientError, create_client, revoke_client


@bp.get("/integrations/clients")
@role_required("admin")
def clients():
    """Every API client, newest first."""
    rows = db.session.scalars(sa.select(ApiClient).order_by(ApiClient.id.desc())).all()
    return render_template("invitations/clients.html", clients=rows)


@bp.route("/integrations/clients/new", methods=["GET", "POST"])
@role_required("admin")
def client_new():
    """Create a client and show its key, this once."""
    form = ApiClientForm()
    form.agency_id.choices = agency_choices(_("Whole province"))
    if form.validate_on_submit():
        agency = db.session.get(Agency, form.agency_id.data) if form.agency_id.data else None
        try:
            made = create_client(db.session, current_user, form.name.data, agency)
        except ClientError:
            form.name.errors.append(_("Please use only letters, digits and ordinary punctuation."))
        else:
            db.session.commit()
            response = make_response(render_template(
                "invitations/client_key.html", client=made.client, key=made.key))
            response.headers["Cache-Control"] = "no-store"
            return response
    return render_template("admin/simple_form.html", form=form, title=_("New API client"),
                           back=url_for("invitations.clients"))


@bp.route("/integrations/clients/<int:client_id>/revoke", methods=["GET", "POST"])
@role_required("admin")
def client_revoke(client_id: int):
    """Ask for confirmation, then revoke the client's key."""
    client = db.get_or_404(ApiClient, client_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        if revoke_client(db.session, current_user, client):
            db.session.commit()
            flash(_("The key of %(name)s is revoked.", name=client.name), "success")
        return redirect(url_for("invitations.clients"))
    return render_template("invitations/client_revoke.html", client=client, form=form)
