"""Friendly pages for counter tokens that cannot take a survey (replaced, closed, unknown)."""
from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _

from ..extensions import db
from ..responses import CounterLookup, find_counter

STATUS = {"retired": 410, "inactive": 410, "unknown": 404}


def lookup(token: str) -> CounterLookup:
    """Resolve ``token`` in the request's database session."""
    return find_counter(db.session, token)


def token_page(found: CounterLookup):
    """The friendly page (and HTTP status) for a token that is not usable."""
    messages = {
        "retired": (_("This code has been replaced."),
                    _("Please ask the staff at the counter for the new code.")),
        "inactive": (_("This counter is not taking part in the survey at the moment."),
                     _("Please ask the staff at the counter.")),
        "unknown": (_("We could not find this survey."),
                    _("Please check the address or scan the code at the counter again.")),
    }
    title, hint = messages[found.state]
    return render_template("public/token_state.html", title=title, hint=hint,
                           state=found.state), STATUS[found.state]
