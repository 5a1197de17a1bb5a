"""WTForms of the admin blueprint (every form carries its CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileAllowed, FileField, FileRequired, FileSize
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
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
    StopValidation,
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


#: Most elements, and criteria per element, a questionnaire editor form accepts.
MAX_ELEMENTS = 12
MAX_CRITERIA = 30
#: The buttons of the questionnaire editor: what to do with the draft.
EDITOR_ACTION = Regexp(
    r"^(preview-vi|preview-en|publish|add-element|(remove|up|down)-element-\d{1,3}"
    r"|add-criterion-\d{1,3}|(remove|up|down)-criterion-\d{1,3}-\d{1,3})$",
    message=_l("Unknown action."))


def clean_text(value: object) -> object:
    """A typed text without surrounding blanks, with a text area's CR LF line ends made LF."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").strip()


class EditorPart(Form):
    """A repeated part of the questionnaire editor; the CSRF token is the whole form's."""

    class Meta(Form.Meta):
        csrf = False


class CriterionEditForm(EditorPart):
    """One criterion of an element: its code, wording in both languages, required or not.

    The fields carry no validators: the questionnaire validator checks the whole draft and
    names each problem with its place, as it does for an uploaded file.
    """

    code = StringField(_l("Code"), filters=[clean_text])
    label_vi = StringField(_l("Short label (Vietnamese)"), filters=[clean_text])
    label_en = StringField(_l("Short label (English)"), filters=[clean_text])
    question_vi = TextAreaField(_l("Question (Vietnamese)"), filters=[clean_text])
    question_en = TextAreaField(_l("Question (English)"), filters=[clean_text])
    required = BooleanField(_l("An answer is required"))


class ElementEditForm(EditorPart):
    """One element (nhóm tiêu chí): code, weight, label, its criteria, an optional overall."""

    code = StringField(_l("Code"), filters=[clean_text])
    weight = StringField(_l("Weight (a positive number)"), filters=[clean_text])
    label_vi = StringField(_l("Name (Vietnamese)"), filters=[clean_text])
    label_en = StringField(_l("Name (English)"), filters=[clean_text])
    criteria = FieldList(FormField(CriterionEditForm), max_entries=MAX_CRITERIA)
    overall_code = StringField(_l("Code of the element's overall question"),
                               filters=[clean_text])
    overall_vi = TextAreaField(_l("Element's overall question (Vietnamese)"),
                               filters=[clean_text])
    overall_en = TextAreaField(_l("Element's overall question (English)"), filters=[clean_text])


class QuestionnaireEditForm(Form):
    """A new version of a questionnaire, started from a published one and kept in the form.

    ``action`` is the button pressed (its value names the element or criterion), so adding,
    removing and moving work as plain form posts, without JavaScript.
    """

    title_vi = StringField(_l("Title (Vietnamese)"), filters=[clean_text])
    title_en = StringField(_l("Title (English)"), filters=[clean_text])
    intro_vi = TextAreaField(_l("Introduction (Vietnamese)"), filters=[clean_text])
    intro_en = TextAreaField(_l("Introduction (English)"), filters=[clean_text])
    elements = FieldList(FormField(ElementEditForm), max_entries=MAX_ELEMENTS)
    overall_code = StringField(_l("Code of the overall question"), filters=[clean_text])
    overall_vi = TextAreaField(_l("Overall question (Vietnamese)"), filters=[clean_text])
    overall_en = TextAreaField(_l("Overall question (English)"), filters=[clean_text])
    action = StringField(validators=[InputRequired(), EDITOR_ACTION])


class TotalsUploadForm(Form):
    """A CSV file of population totals to import."""

    totals = FileField(_l("CSV file"), validators=[
        FileRequired(), FileAllowed(["csv", "txt"], _l("Upload a .csv file.")),
        FileSize(MAX_UPLOAD_BYTES, message=_l("The file is too large (at most 5 MB)."))])
    submit = SubmitField(_l("Check and import"))


def email_address(_form, field) -> None:
    """A plain e-mail address (``catalog.valid_email``); empty is allowed."""
    from ..catalog import valid_email

    if field.data and not valid_email(field.data):
        raise StopValidation(_l("Enter an e-mail address such as ten@example.gov.vn."))


class UserForm(Form):
    """Create a workspace user."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64), CODE])
    role = SelectField(_l("Role"), choices=options([
        ("admin", _l("Administrator")), ("analyst", _l("Analyst")),
        ("agency_viewer", _l("Agency viewer")), ("officer", _l("Officer (own results only)"))]))
    agency_id = SelectField(_l("Agency (for agency viewers)"), coerce=int)
    officer_id = SelectField(_l("Officer (for officer accounts; their agency is used)"),
                             coerce=int, default=0)
    email = StringField(_l("E-mail address (optional, for the daily alert digest)"),
                        filters=[clean_text], validators=[Length(max=254), email_address])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=256)])
    confirm = PasswordField(_l("Repeat the password"), validators=[
        EqualTo("password", _l("The passwords differ."))])
    submit = SubmitField(_l("Create user"))


class EmailForm(Form):
    """Change a user's e-mail address (empty removes it)."""

    email = StringField(_l("E-mail address (optional, for the daily alert digest)"),
                        filters=[clean_text], validators=[Length(max=254), email_address])
    submit = SubmitField(_l("Save"))


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
