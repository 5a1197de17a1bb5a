"""``/officers/import`` (admins): the CSV that attaches officers to responses by dossier code,
with every problem by line number in the reader's language, and a CSV template."""
from __future__ import annotations

from flask import Response, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.access import role_required
from ..extensions import db
from . import bp, importer
from .forms import OfficerImportForm
from .service import unsafe_text


def describe(problem: importer.Problem) -> str:
    """One problem of an import in the reader's language."""
    texts = {
        "not_utf8": lambda p: _("The file is not UTF-8 text."),
        "no_rows": lambda p: _("The file has no data rows."),
        "header": lambda p: _("the header must be “dossier_code,officer_code”"),
        "malformed": lambda p: _("malformed line: it needs exactly two values, "
                                 "dossier_code and officer_code"),
        "empty_dossier": lambda p: _("the dossier code is empty"),
        "empty_officer": lambda p: _("the officer code is empty"),
        "unsafe_dossier": lambda p: _("the dossier code contains control characters or is "
                                      "too long"),
        "unsafe_officer": lambda p: _("the officer code contains control characters or is "
                                      "too long"),
        "unknown_dossier": lambda p: _("no response has the dossier code “%(value)s”",
                                       value=p.value),
        "unknown_officer": lambda p: _("no officer has the code “%(value)s”",
                                       value=p.officer),
        "inactive_officer": lambda p: _("officer “%(value)s” is inactive", value=p.officer),
        "other_agency": lambda p: _("officer “%(officer)s” does not belong to the agency of "
                                    "the response to dossier “%(value)s”",
                                    officer=p.officer, value=p.value),
        "conflict": lambda p: _("dossier “%(value)s” is already on line %(other)s with "
                                "another officer", value=p.value, other=p.other),
    }
    text = texts[problem.kind](problem)
    if not problem.line:
        return text
    return _("Line %(line)s: %(problem)s", line=problem.line, problem=text)


def safe_filename(name: str | None) -> str:
    """The uploaded file's name as the audit log may keep it (no control characters)."""
    name = (name or "").strip()
    return "".join("?" if unsafe_text(ch) else ch for ch in name)[:200]


@bp.route("/import", methods=["GET", "POST"])
@role_required("admin")
def officer_import():
    """Check an uploaded CSV and attach its officers, or say what is wrong line by line."""
    form = OfficerImportForm()
    problems: list[str] = []
    report = None
    if form.validate_on_submit():
        upload = form.assignments.data
        text = importer.decode(upload.read())
        found = importer.import_officers(db.session, text,
                                         current_app.config["DOSSIER_HASH_KEY"], current_user,
                                         safe_filename(upload.filename))
        if found.ok:
            db.session.commit()
            report = found
        else:
            db.session.rollback()
            problems = [describe(p) for p in found.problems]
    status = 422 if problems or form.errors else 200
    return render_template("officers/import.html", form=form, problems=problems,
                           report=report), status


@bp.get("/import/template.csv")
@role_required("admin")
def officer_import_template():
    """A CSV template: the header and one example line."""
    body = "\ufeff" + ",".join(importer.COLUMNS) + "\r\n" + "000.00.00.H00-260101-0001,CB001\r\n"
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": "attachment; filename=officer-assignments-template.csv"})
