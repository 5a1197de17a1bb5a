"""The form of a follow-up's handling (with its CSRF token)."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError

from ..admin.forms import clean_text, options
from ..forms import Form

RESPONSE_MAX_LEN = 4000
# Control characters but line ends and tabs, and lone surrogates: no database stores them.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
HANDLING_STATUSES = {"in_progress": _l("in progress"), "done": _l("done: answered")}


def safe_text(_form, field) -> None:
    """Refuse control characters (a NUL byte…) and invalid Unicode, before other checks."""
    if isinstance(field.data, str) and _UNSAFE.search(field.data):
        raise StopValidation(_l("Must not contain control characters (such as a NUL byte) or "
                                "invalid Unicode."))


class HandleForm(Form):
    """Set a follow-up in progress or done, with the agency's answer to the citizen."""

    status = SelectField(_l("Status"), choices=options(HANDLING_STATUSES.items()),
                         validators=[DataRequired()])
    response_text = TextAreaField(_l("Answer given to the citizen"), filters=[clean_text],
                                  validators=[safe_text, Length(max=RESPONSE_MAX_LEN)])

    def validate_response_text(self, field) -> None:
        """A follow-up is done only with the answer that was given."""
        if self.status.data == "done" and not field.data:
            raise ValidationError(_l("Write the answer given to the citizen before marking "
                                     "the follow-up done."))
