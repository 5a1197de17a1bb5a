"""``/fieldwork/`` (admins and analysts): upload a file of paper or telephone interviews, see
what was stored or every problem, the past imports, and the templates to fill in."""
from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..admin.forms import options
from ..auth.access import role_required
from ..extensions import db
from ..models import FieldImport, Questionnaire, User
from ..officers.uploads import safe_filename
from . import bp
from .columns import Defaults, template_columns
from .describe import describe
from .forms import FieldImportForm
from .problems import Problem
from .service import import_field_file

SHOWN = 200  # problems listed on the page; the rest are counted


def _questionnaire_choices() -> list:
    rows = db.session.execute(sa.select(Questionnaire.code, Questionnaire.version,
                                        Questionnaire.title)
                              .order_by(Questionnaire.code, Questionnaire.version.desc())).all()
    return options([("", _("As the file's questionnaire column says"))] + [
        (f"{code}:{version}", f"{code} v{version} — {title}") for code, version, title in rows])


def _defaults(form: FieldImportForm) -> Defaults:
    code, version = None, None
    if form.questionnaire.data:
        code, _sep, number = form.questionnaire.data.partition(":")
        version = int(number)
    return Defaults(form.mode.data or None, code, version)


def _past_imports() -> list[dict]:
    rows = db.session.execute(
        sa.select(FieldImport, User.username).outerjoin(User, User.id == FieldImport.user_id)
        .order_by(FieldImport.imported_at.desc(), FieldImport.id.desc()).limit(100)).all()
    return [{"record": record, "user": username} for record, username in rows]


def _page(form: FieldImportForm, problems: list[str], stored: int | None, filename: str,
          status: int):
    return render_template("fieldwork/index.html", form=form, problems=problems[:SHOWN],
                           more=max(0, len(problems) - SHOWN), total=len(problems),
                           stored=stored, filename=filename, imports=_past_imports()), status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    """A file over ``MAX_CONTENT_LENGTH``: the page again with a clear message."""
    if not current_user.is_authenticated or current_user.role not in ("admin", "analyst"):
        return render_template("errors/error.html", code=413,
                               title=_("Something went wrong.")), 413
    form = FieldImportForm(formdata=None)
    form.questionnaire.choices = _questionnaire_choices()
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    return _page(form, [describe(Problem("too_large", limit=limit))], None, "", 413)


@bp.route("/", methods=["GET", "POST"])
@role_required("admin", "analyst")
def index():
    """The upload form, the outcome of an upload and the list of past imports."""
    form = FieldImportForm()
    form.questionnaire.choices = _questionnaire_choices()
    problems: list[str] = []
    stored, filename = None, ""
    if form.validate_on_submit():
        upload = form.upload.data
        filename = safe_filename(upload.filename)
        outcome = import_field_file(db.session, upload.read(), filename, _defaults(form),
                                    current_user)
        if outcome.ok:
            stored = outcome.stored
        else:
            problems = [describe(p) for p in outcome.problems]
    status = 422 if problems or (request.method == "POST" and form.errors) else 200
    return _page(form, problems, stored, filename, status)


def _template_definition() -> tuple[str, list[str]]:
    code = request.args.get("questionnaire") or current_app.config["CITIZEN_QUESTIONNAIRE"]
    found = db.session.scalars(sa.select(Questionnaire).where(Questionnaire.code == code)
                               .order_by(Questionnaire.version.desc()).limit(1)).first()
    if found is None:
        found = db.session.scalars(sa.select(Questionnaire).order_by(
            Questionnaire.code, Questionnaire.version.desc()).limit(1)).first()
    if found is None:
        return "field-survey", template_columns({"elements": []})
    return f"field-survey-{found.code}-v{found.version}", template_columns(found.definition)


@bp.get("/template.csv")
@role_required("admin", "analyst")
def template_csv():
    """An empty CSV with the columns of the current questionnaire."""
    name, columns = _template_definition()
    return Response("\ufeff" + ",".join(columns) + "\r\n", mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})


@bp.get("/template.xlsx")
@role_required("admin", "analyst")
def template_xlsx():
    """An empty XLSX with the columns of the current questionnaire."""
    from openpyxl import Workbook

    name, columns = _template_definition()
    book = Workbook()
    sheet = book.active
    sheet.title = "responses"
    sheet.append(columns)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return Response(buffer.getvalue(), mimetype="application/vnd.openxmlformats-"
                    "officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f"attachment; filename={name}.xlsx"})
