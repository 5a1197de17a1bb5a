"""WTForms of the API-client pages (every form carries its CSRF token)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..forms import Form


class ApiClientForm(Form):
    """Create an API client, optionally limited to one agency and the agencies below it."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    agency_id = SelectField(_l("Agency"), coerce=int)
    submit = SubmitField(_l("Create the key"))
