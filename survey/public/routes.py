"""The QR form on the citizen's own phone: plain HTML, CSRF-protected, nicer with JavaScript."""
from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from sqlalchemy.exc import InterfaceError, OperationalError

from ..extensions import db, limiter
from ..queries import latest_questionnaire
from ..responses import CounterLookup, can_store, low_rating_max, store_submission
from . import bp
from .forms import (
    carried_fields,
    new_submission_id,
    reason_sections,
    survey_form_class,
    to_payload,
)
from .tokens import lookup, token_page

# Fields the citizen never sees (hidden or set by the server): an error in one means the page
# was altered or is stale, which the citizen can only fix by sending the form again.
HIDDEN_FIELDS = ("id", "started_at", "submitted_at", "version", "questionnaire", "channel",
                 "client_id", "locale")
# What the reasons page asks: an error in these alone shows that page again.
WHY_FIELDS = ("reasons", "comment", "complaint")


def _client_limit() -> str:
    return current_app.config.get("RATELIMIT_CLIENT", "60 per minute")


def _questionnaire():
    code = request.args.get("q") or current_app.config.get("CITIZEN_QUESTIONNAIRE", "sipas")
    return latest_questionnaire(db.session, code) or latest_questionnaire(db.session, "sipas")


def _show_errors(form, errors: dict[str, str]) -> None:
    for key, message in errors.items():
        name = key.removeprefix("answers.").replace("profile.", "profile_")
        if key in HIDDEN_FIELDS:
            continue
        if name in form:
            form[name].errors = [*form[name].errors, _translate(message)]
        else:
            form.form_errors.append(_translate(message))
    if any(key in HIDDEN_FIELDS for key in errors):
        _renew_hidden_fields(form)
        form.form_errors.append(_(
            "This form was changed or is out of date. Please check your answers and send it "
            "again."))


def _renew_hidden_fields(form) -> None:
    """Fresh id and start time, so that sending the page again can succeed."""
    form.submission_id.data = new_submission_id()
    form.started_at.data = datetime.now(UTC).isoformat()


def _translate(message: str) -> str:
    known = {
        "answer at least one criterion": _("Please answer at least one question."),
        "is required": _("Please answer this question."),
        "this dossier has already been evaluated": _(
            "This dossier has already been evaluated. Thank you."),
        "is required: this counter serves several areas": _("Please choose what you came for."),
        "must be text of at most 64 characters": _(
            "The dossier code can have at most 64 characters."),
        "must not contain control characters or invalid Unicode": _(
            "Please use only letters, digits and ordinary punctuation."),
        "must be text of at most 1000 characters": _("Please write at most 1000 characters."),
    }
    return known.get(message, _("Please check this answer."))


@bp.route("/q/<token>", methods=["GET", "POST"])
@limiter.limit(_client_limit, key_func=get_remote_address, methods=["POST"])
def questionnaire_form(token: str):
    """The survey form of a counter, reached by scanning its QR code."""
    found = lookup(token)
    if found.state != "ok":
        return token_page(found)
    return serve_form(found, token)


def serve_form(found: CounterLookup, token: str, *, questionnaire=None,
               bound_dossier: str | None = None, service_area=None, thanks_url: str | None = None):
    """Show, check and store the QR form of the counter ``found`` (reached by ``token``).

    An invitation binds the form to a dossier (``bound_dossier``, its hash: no dossier field is
    shown), a questionnaire and a service area; ``thanks_url`` is where a stored answer goes.
    """
    questionnaire = questionnaire or _questionnaire()
    lang = str(get_locale())
    areas = [service_area] if service_area is not None else found.counter.service_areas
    form = survey_form_class(questionnaire.definition, areas, lang)()
    if request.method == "GET":
        form.submission_id.data = new_submission_id()
        form.started_at.data = datetime.now(UTC).isoformat()
    status = 200
    if form.validate_on_submit():
        payload = to_payload(form, questionnaire, token)
        payload["submitted_at"] = datetime.now(UTC).isoformat()
        payload["locale"] = lang
        if service_area is not None:
            payload["service_area"] = service_area.code
        low = _low_items(form, payload)
        try:
            if low and not form.reasons_done() and can_store(db.session, payload, "qr",
                                                             bound_dossier):
                return _reasons_page(form, found, questionnaire, lang, low), 200
            status, body = store_submission(db.session, payload, "qr", get_remote_address(),
                                            bound_dossier)
        except (OperationalError, InterfaceError):
            db.session.rollback()
            return render_template("public/unavailable.html"), 503
        if status in (200, 201):
            return redirect(thanks_url or url_for("public.thanks", token=token))
        errors = body.get("errors") or {"form": body.get("error", "")}
        if low and form.reasons_done() and all(
                key.split(".")[0] in WHY_FIELDS for key in errors):
            _show_why_errors(form, errors)
            return _reasons_page(form, found, questionnaire, lang, low), 422
        _show_errors(form, errors)
        status = 409 if status == 409 else 422
    elif request.method == "POST":
        status = 422
    return render_template("public/form.html", form=form, counter=found.counter,
                           questionnaire=questionnaire, lang=lang, token=token,
                           dossier_bound=bound_dossier is not None), status


def _low_items(form, payload: dict) -> list[str]:
    """The items answered at most ``LOW_RATING_MAX`` (the form's answers are whole numbers)."""
    answers, low = payload.get("answers") or {}, low_rating_max()
    return [code for code in form.item_codes if code in answers and answers[code] <= low]


def _show_why_errors(form, errors: dict[str, str]) -> None:
    for key, message in errors.items():
        name = key.replace("reasons.", "reasons_")
        if name in form:
            form[name].errors = [*form[name].errors, _translate(message)]


def _reasons_page(form, found: CounterLookup, questionnaire, lang: str, low: list[str]) -> str:
    """The second step of a low rating: why, in the citizen's words, and whether they want an
    answer; everything the first step sent travels in hidden inputs, nothing is stored yet."""
    return render_template("public/reasons.html", form=form, counter=found.counter,
                           questionnaire=questionnaire, lang=lang,
                           carried=carried_fields(form),
                           sections=reason_sections(form, questionnaire, low, lang))


@bp.get("/q/<token>/thanks")
def thanks(token: str):
    """Shown after a stored QR response."""
    found = lookup(token)
    return render_template("public/thanks.html", counter=found.counter, token=token)
