"""WTForms of the admin blueprint (every form carries its CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
)
from wtforms.widgets import CheckboxInput, ListWidget

from ..forms import Form

try:
    from wtforms.fields.choices import SelectChoice
except ImportError:  # WTForms before 3.3 takes plain (value, label) tuples
    SelectChoice = None

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
CODE = Regexp(r"^[A-Za-z0-9_.-]+$", message=_l("Use letters, digits, '-', '_' or '.' only."))


def option(value: object, label: object):
    """One choice of a select field, in the form this WTForms version expects."""
    return SelectChoice(value, label) if SelectChoice else (value, label)


def options(pairs) -> list:
    """Choices from (value, label) pairs."""
    return [option(value, label) for value, label in pairs]


class CheckboxList(SelectMultipleField):
    """A multiple choice shown as a list of check boxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AgencyForm(Form):
    """Create or edit an agency of the province tree."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    level = SelectField(_l("Level"), coerce=int, choices=options([
        (1, _l("1 — province department")), (2, _l("2 — district")), (3, _l("3 — commune"))]))
    parent_id = SelectField(_l("Parent agency"), coerce=int)
    submit = SubmitField(_l("Save"))


class ServiceAreaForm(Form):
    """Create or edit a service area (lĩnh vực)."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32), CODE])
    name_vi = StringField(_l("Name in Vietnamese"), validators=[DataRequired(), Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Save"))


class ProcedureForm(Form):
    """Create or edit an administrative procedure."""

    code = StringField(_l("National code"), validators=[DataRequired(), Length(max=64), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=300)])
    service_area_id = SelectField(_l("Service area"), coerce=int)
    submit = SubmitField(_l("Save"))


class CounterForm(Form):
    """Create a counter of an agency."""

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=64), CODE])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    agency_id = SelectField(_l("Agency"), coerce=int)
    service_area_ids = CheckboxList(_l("Service areas"), coerce=int,
                                    validators=[DataRequired(_l("Choose at least one."))])
    submit = SubmitField(_l("Save"))


class CounterEditForm(Form):
    """Rename a counter and choose its service areas."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    service_area_ids = CheckboxList(_l("Service areas"), coerce=int,
                                    validators=[DataRequired(_l("Choose at least one."))])
    submit = SubmitField(_l("Save"))


class ConfirmForm(Form):
    """A bare confirmation (the CSRF token is the point)."""

    submit = SubmitField(_l("Confirm"))


class QuestionnaireUploadForm(Form):
    """A questionnaire definition file to publish."""

    definition = FileField(_l("Definition file (JSON)"), validators=[
        FileRequired(), FileAllowed(["json"], _l("Upload a .json file.")),
        FileSize(MAX_UPLOAD_BYTES, message=_l("The file is too large (at most 5 MB)."))])
    submit = SubmitField(_l("Check and publish"))


class TotalsUploadForm(Form):
    """A CSV file of population totals to import."""

    totals = FileField(_l("CSV file"), validators=[
        FileRequired(), FileAllowed(["csv", "txt"], _l("Upload a .csv file.")),
        FileSize(MAX_UPLOAD_BYTES, message=_l("The file is too large (at most 5 MB)."))])
    submit = SubmitField(_l("Check and import"))


class UserForm(Form):
    """Create a workspace user."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64), CODE])
    role = SelectField(_l("Role"), choices=options([
        ("admin", _l("Administrator")), ("analyst", _l("Analyst")),
        ("agency_viewer", _l("Agency viewer"))]))
    agency_id = SelectField(_l("Agency (for agency viewers)"), coerce=int)
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=256)])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        EqualTo("password", _l("The passwords differ."))])
    submit = SubmitField(_l("Create user"))


class PasswordResetForm(Form):
    """Set a new password for a user."""

    password = PasswordField(_l("New password"), validators=[
        DataRequired(), Length(min=10, max=256)])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        EqualTo("password", _l("The passwords differ."))])
    submit = SubmitField(_l("Set password"))


class ReasonForm(Form):
    """A data-quality action on a response, with its required reason."""

    reason = TextAreaField(_l("Reason"), validators=[InputRequired(), Length(min=3, max=1000)])
    submit = SubmitField(_l("Save"))


class QualityFilterForm(Form):
    """Filters of the data-quality list (a GET form, so no CSRF token)."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), choices=options([
        ("flagged", _l("Flagged")), ("excluded", _l("Excluded")), ("valid", _l("Valid")),
        ("all", _l("All"))]), default="flagged")
    agency = SelectField(_l("Agency"), coerce=int, validators=[Optional()])
    counter = SelectField(_l("Counter"), coerce=int, validators=[Optional()])
    kind = SelectField(_l("Flag"), validators=[Optional()])
    period = StringField(_l("Period"), validators=[Optional(), Length(max=32)])
    days = IntegerField(_l("Days"), validators=[Optional(), NumberRange(min=1, max=366)])
