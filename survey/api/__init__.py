"""api blueprint: the kiosks' JSON API, which keeps no cookie session.

Every API request is authenticated by its counter token, so opening and signing a session
cookie (Flask does so for every request) is wasted work on the busiest path: the blueprint
gives the app a session interface that hands API requests a null session.
"""
from flask import Blueprint, Flask, Request
from flask.sessions import SecureCookieSessionInterface

bp = Blueprint("api", __name__)
API_PREFIX = "/api/"


class NoSessionForAPI(SecureCookieSessionInterface):
    """Cookie sessions as usual, except none at all for the JSON API."""

    def open_session(self, app: Flask, request: Request):
        """A null session for ``/api/`` requests, else the signed cookie session."""
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


@bp.record_once
def _no_api_sessions(state) -> None:
    state.app.session_interface = NoSessionForAPI()


from . import duty, routes  # noqa: F401
