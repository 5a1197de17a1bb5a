"""The upload form of the field-survey page (carries its CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectField, SubmitField

from ..admin.forms import options
from ..forms import Form


class FieldImportForm(Form):
    """A CSV or XLSX of paper or telephone interviews, with the mode and questionnaire of the
    whole file when the file has no such column."""

    upload = FileField(_l("CSV or XLSX file"), validators=[
        FileRequired(), FileAllowed(["csv", "txt", "xlsx"], _l("Upload a .csv or .xlsx file."))])
    mode = SelectField(_l("How the interviews were done"), choices=options([
        ("", _l("As the file's mode column says")), ("paper", _l("Paper questionnaire")),
        ("phone", _l("Telephone interview"))]), default="")
    questionnaire = SelectField(_l("Questionnaire"), default="")
    submit = SubmitField(_l("Check and import"))
