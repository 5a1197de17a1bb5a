"""Forms of the auth blueprint."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Length

from ..forms import Form


class LoginForm(Form):
    """Username and password of a workspace user."""

    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    next = HiddenField()
    submit = SubmitField(_l("Sign in"))
