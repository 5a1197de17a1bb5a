"""Set-aside kiosk sheets: a file a kiosk exported (sheets it could not send) is stored here.

Each sheet goes through ``store_submission``, the same function as ``POST /api/v1/responses``:
a sheet whose id is already stored is never stored twice, so loading a file again (or a sheet
that reached the server after all) is harmless.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from flask import render_template, request
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy.exc import InterfaceError, OperationalError
from wtforms import SubmitField

from .. import audit
from ..auth.access import role_required
from ..extensions import db
from ..forms import Form
from ..responses import store_submission
from . import bp

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_SHEETS = 5000
MAX_SHOWN_ERRORS = 5


class SetAsideUploadForm(Form):
    """Upload the JSON file a kiosk exported."""

    sheets = FileField(_l("File exported by a kiosk (JSON)"),
                       validators=[FileRequired(_l("Choose the file exported by the kiosk."))])
    submit = SubmitField(_l("Store the sheets"))


@dataclass
class Refused:
    """One sheet that was not stored, and why."""

    index: int
    sheet_id: str
    status: int
    reason: str


@dataclass
class IngestReport:
    """What loading a file did."""

    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    stopped: bool = False  # the database stopped answering: the remaining sheets were not tried

    @property
    def total(self) -> int:
        return len(self.created) + len(self.existing) + len(self.refused)


def _reason(status: int, body: dict) -> str:
    """Why ``store_submission`` refused a sheet, in the reader's language."""
    error = body.get("error") if isinstance(body, dict) else None
    labels = {
        "malformed": _("not an answer sheet (a JSON object is expected)"),
        "unknown_counter": _("no counter has this code"),
        "retired_counter": _("the counter's code has been replaced"),
        "inactive_counter": _("the counter is deactivated"),
        "dossier_already_evaluated": _("this dossier has already been evaluated"),
        "invalid": _("invalid answers"),
    }
    text = labels.get(error, _("refused (HTTP %(status)s)", status=status))
    errors = body.get("errors") if isinstance(body, dict) else None
    if error == "invalid" and isinstance(errors, dict) and errors:
        shown = sorted(errors.items())[:MAX_SHOWN_ERRORS]
        details = "; ".join(f"{name}: {message}" for name, message in shown)
        if len(errors) > MAX_SHOWN_ERRORS:
            details += "; …"
        text = f"{text} ({details})"
    return text


def _sheet_id(payload: object) -> str:
    value = payload.get("id") if isinstance(payload, dict) else None
    return value[:64] if isinstance(value, str) else ""


def read_sheets(upload) -> tuple[list | None, str | None]:
    """The list of sheets in an uploaded file, or a message saying what is wrong with it."""
    try:
        raw = upload.read(MAX_FILE_BYTES + 1)
    finally:
        upload.close()  # a large upload sits in a temporary file: release it at once
    if len(raw) > MAX_FILE_BYTES:
        return None, _("The file is too big: at most %(size)s MB.",
                       size=format_decimal(round(MAX_FILE_BYTES / (1024 * 1024), 2)))
    try:
        sheets = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return None, _("The file is not UTF-8 text.")
    except (ValueError, RecursionError):
        return None, _("The file is not JSON. Use the file the kiosk exported, unchanged.")
    if not isinstance(sheets, list):
        return None, _("The file must contain a list of answer sheets, as the kiosk exports it.")
    if not sheets:
        return None, _("The file contains no answer sheets.")
    if len(sheets) > MAX_SHEETS:
        return None, _("The file has %(count)s sheets: at most %(max)s can be loaded at once.",
                       count=len(sheets), max=MAX_SHEETS)
    return sheets, None


def ingest(sheets: list) -> IngestReport:
    """Store every sheet once, as the kiosk API would; each stored sheet is committed at once."""
    report = IngestReport()
    for index, payload in enumerate(sheets, start=1):
        channel = payload.get("channel", "kiosk") if isinstance(payload, dict) else "kiosk"
        try:
            status, body = store_submission(db.session, payload, channel, request.remote_addr)
        except (OperationalError, InterfaceError):
            db.session.rollback()
            report.stopped = True
            break
        sheet_id = _sheet_id(payload)
        if status == 201:
            report.created.append(sheet_id)
        elif status == 200:
            report.existing.append(sheet_id)
        else:
            report.refused.append(Refused(index, sheet_id, status, _reason(status, body)))
    return report


def _record(report: IngestReport, filename: str) -> None:
    audit.record(db.session, current_user, "import", "response", None, None, {
        "file": filename, "set_aside": True, "created": report.created,
        "already_stored": len(report.existing),
        "refused": [{"index": r.index, "id": r.sheet_id, "status": r.status}
                    for r in report.refused]})
    db.session.commit()


@bp.route("/set-aside", methods=["GET", "POST"])
@role_required("admin", "analyst")
def set_aside():
    """Upload a kiosk's set-aside sheets; report created, already stored and refused sheets."""
    form = SetAsideUploadForm()
    report: IngestReport | None = None
    problem: str | None = None
    status = 200
    if form.validate_on_submit():
        sheets, problem = read_sheets(form.sheets.data)
        if sheets is not None:
            report = ingest(sheets)
            try:
                _record(report, (form.sheets.data.filename or "")[:200])
            except (OperationalError, InterfaceError):
                db.session.rollback()
                report.stopped = True
            if report.stopped:
                status = 503
        else:
            status = 422
    elif form.errors:
        status = 422
    return render_template("admin/setaside.html", form=form, report=report,
                           problem=problem), status
