"""The follow-up list, one follow-up with its handling form, reopening, and the summary by
agency. Admins and analysts see every follow-up; agency viewers those of their agency subtree
(any other is "not found", so ids do not leak); officer accounts none."""
from __future__ import annotations

from datetime import date, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from .. import audit, periods
from ..alerts.calendar import Calendar
from ..auth.access import role_required, visible_agency_ids
from ..extensions import db
from ..models import Agency, FollowUp, User, utcnow
from ..reports.filters import allowed_agencies, period_choices
from ..reports.numbers import fmt
from . import bp, queries
from .forms import HANDLING_STATUSES, HandleForm

VIEWERS = ("admin", "analyst", "agency_viewer")
REOPENERS = ("admin", "analyst")
STATUS_LABELS = {"open": _l("open"), **HANDLING_STATUSES}
KIND_LABELS = {"low_rating": _l("low rating with a reason"), "complaint": _l("complaint")}
FIELDS = ("status", "response_text", "handled_by", "handled_at")


def _lang() -> str:
    return "en" if str(get_locale()).startswith("en") else "vi"


def _list_filters(agencies: list[Agency]) -> tuple[queries.ListFilters, dict, str | None]:
    """The list's filters from the query string, the values to show, and an error text."""
    args = {k: request.args.get(k, "").strip() for k in ("status", "agency", "period")}
    args["overdue"] = request.args.get("overdue", "") == "1"
    status = args["status"] if args["status"] not in ("", "all") else None
    if status is not None and status not in queries.STATUSES:
        return queries.ListFilters(), args, _("unknown status “%(value)s”", value=status)
    agency_ids = None
    if args["agency"]:
        chosen = next((a for a in agencies if a.code == args["agency"]), None)
        if chosen is None:
            return queries.ListFilters(), args, _("unknown agency “%(value)s”",
                                                  value=args["agency"])
        agency_ids = chosen.subtree_ids()
    start = end = None
    if args["period"]:
        try:
            period = periods.parse(args["period"])
        except periods.PeriodError:
            return queries.ListFilters(), args, _("unknown period “%(value)s”",
                                                  value=args["period"])
        start, end = period.start, period.end - timedelta(days=1)
    return queries.ListFilters(status, args["overdue"], agency_ids, start, end), args, None


@bp.get("/")
@role_required(*VIEWERS)
def items():
    """Follow-ups in scope, overdue ones first and marked, with the counts of the filters."""
    now = utcnow()
    agencies = allowed_agencies()
    filters, args, error = _list_filters(agencies)
    visible = visible_agency_ids(current_user)
    rows = [] if error else queries.listing(db.session, filters, visible, now)
    tally = None if error else queries.counts(db.session, filters, visible, now)
    page = render_template(
        "followups/list.html", rows=rows, tally=tally, args=args, error=error,
        agencies=agencies, names={a.id: a.name for a in agencies},
        period_labels=period_choices(db.session), statuses=STATUS_LABELS, kinds=KIND_LABELS,
        overdue={r.id for r in rows if queries.is_overdue(r, now)},
        limit=queries.PAGE_SIZE)
    return page, 400 if error else 200


def _item_or_404(item_id: int) -> FollowUp:
    item = queries.scoped_item(db.session, item_id, visible_agency_ids(current_user))
    if item is None:
        abort(404)
    return item


def _item_page(item: FollowUp, form: HandleForm, status: int = 200, error: str | None = None):
    now = utcnow()
    calendar = Calendar.from_config(current_app.config)
    handler = db.session.get(User, item.handled_by) if item.handled_by else None
    page = render_template(
        "followups/item.html", item=item, form=form, error=error,
        agency=db.session.get(Agency, item.agency_id), handler=handler,
        low=queries.low_answers(db.session, item, current_app.config["LOW_RATING_MAX"],
                                _lang()),
        comment=queries.comment_of(db.session, item), statuses=STATUS_LABELS,
        kinds=KIND_LABELS, overdue=queries.is_overdue(item, now),
        days_left=queries.working_days_left(calendar, item.due_at, now),
        can_reopen=current_user.role in REOPENERS)
    return page, status


@bp.route("/<int:item_id>", methods=["GET", "POST"])
@role_required(*VIEWERS)
def item(item_id: int):
    """One follow-up: what the citizen said, the deadline, and the handling form."""
    found = _item_or_404(item_id)
    form = HandleForm(obj=found if request.method == "GET" else None)
    if request.method == "GET":
        if found.status == "open":
            form.status.data = "in_progress"
        return _item_page(found, form)
    if found.status == "done":
        return _item_page(found, form, 409, _("This follow-up is done: an administrator or "
                                              "analyst must reopen it before it can change."))
    if not form.validate_on_submit():
        return _item_page(found, form, 422)
    before = audit.snapshot(found, FIELDS)
    found.status, found.response_text = form.status.data, form.response_text.data or None
    found.handled_by, found.handled_at = current_user.id, utcnow()
    audit.record(db.session, current_user, "follow_up_handle", "follow_up", found.id, before,
                 audit.snapshot(found, FIELDS))
    db.session.commit()
    flash(_l("The follow-up is saved."), "success")
    return redirect(url_for("followups.item", item_id=found.id))


@bp.post("/<int:item_id>/reopen")
@role_required(*VIEWERS)
def reopen(item_id: int):
    """Reopen a done follow-up (admins and analysts only); its answer stays for the record."""
    found = _item_or_404(item_id)
    if current_user.role not in REOPENERS:
        abort(403)
    if found.status != "done":
        return _item_page(found, HandleForm(obj=found), 409,
                          _("Only a follow-up that is done can be reopened."))
    before = audit.snapshot(found, FIELDS)
    found.status = "open"
    audit.record(db.session, current_user, "follow_up_reopen", "follow_up", found.id, before,
                 audit.snapshot(found, FIELDS))
    db.session.commit()
    flash(_l("The follow-up is open again."), "success")
    return redirect(url_for("followups.item", item_id=found.id))


@bp.app_template_filter("share_text")
def _share_text(record) -> str:
    """A share as a percentage with its interval, e.g. "85,0 % (64,0–94,8)"; en dash if none."""
    share = getattr(record, "share", None)
    if share is None:
        return "–"
    text = f"{fmt(share * 100, 1)} %"
    low, high = getattr(record, "low", None), getattr(record, "high", None)
    if low is not None and high is not None:
        text += f" ({fmt(low * 100, 1)}–{fmt(high * 100, 1)})"
    return text


def period_dates(label: str) -> tuple[date, date]:
    """A period's first and last local day (both included)."""
    chosen = periods.parse(label)
    return chosen.start, chosen.end - timedelta(days=1)

