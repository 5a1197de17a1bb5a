"""Questionnaires: versions per code, publish from an uploaded file, preview as citizens see it."""
from __future__ import annotations

from itertools import groupby

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from .. import questionnaires as qdefs
from ..auth.access import role_required
from ..catalog import CatalogError, publish_questionnaire
from ..extensions import db
from ..models import Questionnaire, Response
from . import bp
from .forms import QuestionnaireUploadForm


def _versions() -> list[tuple[str, list[dict]]]:
    """Published versions grouped by code, newest first, each with its response count."""
    counts = dict(db.session.execute(sa.select(Response.questionnaire_id, sa.func.count())
                                     .group_by(Response.questionnaire_id)).all())
    rows = db.session.scalars(sa.select(Questionnaire).order_by(
        Questionnaire.code, Questionnaire.version.desc())).all()
    return [(code, [{"q": q, "responses": counts.get(q.id, 0)} for q in group])
            for code, group in groupby(rows, key=lambda q: q.code)]


def _read_upload(form: QuestionnaireUploadForm) -> str | None:
    """The uploaded file as text, or None (with the problem on the form) when it is not UTF-8."""
    try:
        return form.definition.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.definition.errors.append(_("The file is not UTF-8 text."))
        return None


def _publish(form: QuestionnaireUploadForm) -> tuple[list[str], bool]:
    """Validate and publish the uploaded definition; return its problems and success."""
    text = _read_upload(form)
    if text is None:
        return [], False
    source = form.definition.data.filename or "definition"
    try:
        definition = qdefs.parse(text, source)
        questionnaire, is_new = publish_questionnaire(db.session, definition)
    except qdefs.QuestionnaireError as exc:
        db.session.rollback()
        return exc.problems, False
    except CatalogError as exc:
        db.session.rollback()
        flash(_("Refused: %(code)s version %(version)s is already published with other content. "
                "Publish the change as a new version.", code=definition["code"],
                version=definition["version"]), "error")
        return [str(exc)], False
    if not is_new:
        flash(_("This version is already published with the same content: nothing changed."),
              "success")
        return [], True
    audit.record(db.session, current_user, "publish", "questionnaire", questionnaire.id, None,
                 {"code": questionnaire.code, "version": questionnaire.version,
                  "checksum": questionnaire.checksum, "file": source})
    db.session.commit()
    flash(_("Published %(code)s version %(version)s.", code=questionnaire.code,
            version=questionnaire.version), "success")
    return [], True


@bp.route("/questionnaires", methods=["GET", "POST"])
@role_required("admin", "analyst")
def questionnaires():
    """Published versions per code, and the form that publishes a new one."""
    form = QuestionnaireUploadForm()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        problems, ok = _publish(form)
        if ok:
            return redirect(url_for("admin.questionnaires"))
        status = 422
    elif form.errors:
        status = 422
    return render_template("admin/questionnaires.html", form=form, problems=problems,
                           versions=_versions()), status


@bp.get("/questionnaires/<int:questionnaire_id>")
@role_required("admin", "analyst")
def questionnaire_preview(questionnaire_id: int):
    """A read-only rendering of a version as a citizen sees it, in Vietnamese or English."""
    questionnaire = db.session.get(Questionnaire, questionnaire_id)
    if questionnaire is None:
        abort(404)
    text = request.args.get("text") or str(get_locale())
    text = text if text in ("vi", "en") else "vi"
    definition = questionnaire.definition
    scale = definition["scale"]
    values = list(range(scale["min"], scale["max"] + 1))
    return render_template("admin/questionnaire_preview.html", questionnaire=questionnaire,
                           d=definition, t=text, values=values)
