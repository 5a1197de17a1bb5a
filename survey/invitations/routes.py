"""The links citizens open: ``/i/<token>`` shows the QR form with the dossier bound, and the
QR code of the link for the one-stop system to print or send (the token is the secret)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app, make_response, render_template, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from ..extensions import db, limiter
from ..models import Invitation, RetiredToken, utcnow
from ..public.routes import serve_form
from ..public.tokens import lookup, token_page
from ..queries import latest_questionnaire
from ..responses import CounterLookup
from . import bp
from .issue import evaluated
from .links import aware, nonce_of, public_url, qr_png, qr_svg


def _client_limit() -> str:
    return current_app.config.get("RATELIMIT_CLIENT", "60 per minute")


def _page(state: str, title: str, hint: str, status: int):
    return render_template("invitations/state.html", state=state, title=title,
                           hint=hint), status


def _not_found():
    return _page("unknown", _("We could not find this survey."),
                 _("Please check the address or scan the code on your receipt again."), 404)


def _find(token: str) -> Invitation | None:
    nonce = nonce_of(token)
    if nonce is None:
        return None
    return db.session.scalars(sa.select(Invitation).where(Invitation.nonce == nonce)).first()


def mark_used(invitation: Invitation) -> bool:
    """Record on ``invitation`` the response that evaluated its dossier; True when there is one."""
    response = evaluated(db.session, invitation.questionnaire_code, invitation.dossier_hash)
    if response is None:
        return False
    if invitation.response_id is None:
        invitation.used_at, invitation.response_id = utcnow(), response.id
        db.session.commit()
    return True


def _counter_state(invitation: Invitation) -> CounterLookup:
    """The counter as the form sees it; a token rotated since the link was issued is retired."""
    found = lookup(invitation.counter.token)
    if found.state == "ok" and db.session.scalar(sa.select(sa.func.count()).select_from(
            RetiredToken).where(RetiredToken.counter_id == invitation.counter_id,
                                RetiredToken.retired_at >= invitation.created_at)):
        return CounterLookup("retired", invitation.counter)
    return found


def _refusal(invitation: Invitation | None, found: CounterLookup | None):
    """The friendly page for a link that cannot show its form now; None when it can."""
    if invitation is None:
        return _not_found()
    if mark_used(invitation):
        return _page("evaluated", _("This dossier has already been evaluated. Thank you."),
                     _("Each dossier can be evaluated once."), 200)
    if not invitation.client.active:
        return _page("withdrawn", _("This survey link is no longer valid."),
                     _("Please ask the staff at the counter for a new one."), 410)
    if aware(invitation.expires_at) <= utcnow():
        return _page("expired", _("This survey link has expired."),
                     _("Please ask the staff at the counter for a new one."), 410)
    if found.state != "ok":
        return token_page(found)
    return None


@bp.route("/i/<token>", methods=["GET", "POST"])
@limiter.limit(_client_limit, key_func=get_remote_address, methods=["POST"])
def invitation_form(token: str):
    """The QR form bound to the invitation's dossier, area and questionnaire."""
    invitation = _find(token)
    found = _counter_state(invitation) if invitation is not None else None
    refusal = _refusal(invitation, found)
    if refusal is not None:
        return refusal
    questionnaire = latest_questionnaire(db.session, invitation.questionnaire_code)
    if questionnaire is None:
        return _not_found()
    result = serve_form(found, invitation.counter.token, questionnaire=questionnaire,
                        bound_dossier=invitation.dossier_hash,
                        service_area=invitation.service_area,
                        thanks_url=url_for("invitations.thanks", token=token))
    mark_used(invitation)
    return result


@bp.get("/i/<token>/thanks")
def thanks(token: str):
    """Shown after the invitation's answers were stored."""
    invitation = _find(token)
    if invitation is None or not mark_used(invitation):
        return _not_found()
    return render_template("public/thanks.html", counter=invitation.counter, token=token)


def _qr(token: str, render, mimetype: str):
    invitation = _find(token)
    if invitation is None:
        return _not_found()
    response = make_response(render(public_url(token)))
    response.mimetype = mimetype
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/i/<token>/qr.svg")
def qr_code_svg(token: str):
    """The link's QR code as SVG (for printing on the receipt)."""
    return _qr(token, qr_svg, "image/svg+xml")


@bp.get("/i/<token>/qr.png")
def qr_code_png(token: str):
    """The link's QR code as PNG (for SMS and chat apps)."""
    return _qr(token, qr_png, "image/png")
