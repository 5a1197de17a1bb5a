"""Views of the officers blueprint, one module per concern: managing officers, their results,
the CSV import that attaches them to responses. (A query value with a control character is
refused for the whole app by ``survey.public.guards``.)"""
from . import bp, manage, pages, uploads  # noqa: F401
