"""WTForms of the officers pages (every form carries its CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import PasswordField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, Regexp, StopValidation

from ..admin.forms import CODE, MAX_UPLOAD_BYTES, clean_text
from ..forms import Form
from .service import CODE_MAX_LEN, NAME_MAX_LEN, unsafe_text

# ``\Z``, not ``$``: "1234\n" is not a PIN.
PIN = Regexp(r"^[0-9]{4,8}\Z", message=_l("The PIN must be 4 to 8 digits (0–9)."))


def no_control_characters(_form, field) -> None:
    """Refuse text with control characters (a NUL byte, a line break…) before any other
    check, with one clear message."""
    if unsafe_text(field.data):
        raise StopValidation(_l("Must not contain control characters (such as a line break "
                                "or a NUL byte)."))


class OfficerForm(Form):
    """Edit an officer: code, name, agency."""

    code = StringField(_l("Officer code"), filters=[clean_text], validators=[
        no_control_characters, DataRequired(), Length(max=CODE_MAX_LEN), CODE])
    name = StringField(_l("Full name"), filters=[clean_text], validators=[
        no_control_characters, DataRequired(), Length(max=NAME_MAX_LEN)])
    agency_id = SelectField(_l("Agency"), coerce=int)
    submit = SubmitField(_l("Save"))


class OfficerNewForm(OfficerForm):
    """Create an officer, optionally with a first PIN."""

    pin = PasswordField(_l("PIN for the counter tablet (optional, 4 to 8 digits)"),
                        validators=[Optional(), PIN])
    confirm = PasswordField(_l("Repeat the PIN"), validators=[
        EqualTo("pin", _l("The PINs differ."))])


class PinForm(Form):
    """Set or reset an officer's PIN (shown never again)."""

    pin = PasswordField(_l("New PIN (4 to 8 digits)"), validators=[DataRequired(), PIN])
    confirm = PasswordField(_l("Repeat the PIN"), validators=[
        EqualTo("pin", _l("The PINs differ."))])
    submit = SubmitField(_l("Set PIN"))


class OfficerImportForm(Form):
    """A CSV file attaching officers to responses by dossier code."""

    assignments = FileField(_l("CSV file"), validators=[
        FileRequired(), FileAllowed(["csv", "txt"], _l("Upload a .csv file.")),
        FileSize(MAX_UPLOAD_BYTES, message=_l("The file is too large (at most 5 MB)."))])
    submit = SubmitField(_l("Check and import"))
