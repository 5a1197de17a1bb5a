"""Data quality: flagged responses with filters, patterns per counter/device, and actions."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import periods, responses
from ..auth.access import role_required
from ..extensions import db
from ..models import Counter, Response
from . import bp, review
from .agencies import agency_choices
from .forms import QualityFilterForm, ReasonForm, option

PER_PAGE = 50
DEFAULT_DAYS = 30
ACTIONS = ("flag", "exclude", "restore")
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")  # survey dates are local dates


def _filter_form() -> QualityFilterForm:
    form = QualityFilterForm(request.args)
    form.agency.choices = agency_choices(_("All agencies"))
    form.counter.choices = [option(0, _("All counters"))] + [
        option(c.id, c.code) for c in db.session.scalars(sa.select(Counter).order_by(Counter.code))]
    form.kind.choices = [option("", _("Any flag"))] + [
        option(k, flag_label(k)) for k in review.flag_kinds(db.session)]
    return form


def _filters(form: QualityFilterForm) -> review.Filters:
    """The filters the form asks for; a bad period is reported on the form and ignored."""
    chosen = None
    if form.period.data:
        try:
            chosen = periods.parse(form.period.data)
        except periods.PeriodError:
            form.period.errors = [_("Use YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD.")]
    status = form.status.data if form.status.data in ("flagged", "excluded", "valid",
                                                      "all") else "flagged"
    return review.Filters(status=status,
                          agency_ids=review.agency_subtree(db.session, form.agency.data or 0),
                          counter_id=form.counter.data or None, kind=form.kind.data or None,
                          period=chosen)


def _window(form: QualityFilterForm, filters: review.Filters):
    if filters.period is not None:
        return filters.period.start, filters.period.end
    days = form.days.data if form.days.data and 0 < form.days.data <= 366 else DEFAULT_DAYS
    return review.default_window(days, datetime.now(LOCAL_TZ).date())


@bp.get("/quality")
@role_required("admin", "analyst")
def quality():
    """Flagged responses with their reasons, and the counters and devices that stand out."""
    form = _filter_form()
    form.validate()
    filters = _filters(form)
    page = db.paginate(review.review_query(filters), page=request.args.get("page", 1, type=int),
                       per_page=PER_PAGE, error_out=False)
    start, end = _window(form, filters)
    counters, devices = review.patterns(db.session, start, end, filters.agency_ids)
    typical = review.typical_per_day(counters)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/quality.html", form=form, page=page, args=args, counters=counters,
        devices=devices, typical=typical, suspicious=review.suspicious, start=start, end=end,
        days=review.last_days(start, end))


@bp.route("/quality/<int:response_id>/<action>", methods=["GET", "POST"])
@role_required("admin", "analyst")
def quality_action(response_id: int, action: str):
    """Flag by hand, exclude or restore one response; a reason is always required."""
    response = db.session.get(Response, response_id)
    if response is None or action not in ACTIONS:
        abort(404)
    form = ReasonForm()
    if form.validate_on_submit():
        reason = form.reason.data.strip()
        if action == "flag":
            responses.flag(db.session, current_user, response, reason)
        else:
            status = "excluded" if action == "exclude" else "valid"
            responses.set_status(db.session, current_user, response, status, reason)
        db.session.commit()
        flash(_("Response %(id)s: %(status)s.", id=response.id,
                status=status_label(response.status)), "success")
        return redirect(request.args.get("back") if _local(request.args.get("back"))
                        else url_for("admin.quality"))
    return render_template("admin/quality_action.html", response=response, form=form,
                           action=action), 422 if form.errors else 200


def status_label(status: str) -> str:
    """The status of a response in the reader's language."""
    return {"valid": _("valid"), "flagged": _("flagged"), "excluded": _("excluded")}[status]


def _local(target: str | None) -> bool:
    return bool(target) and target.startswith("/admin/quality") and "//" not in target


@bp.app_template_filter("status_label")
def _status_label_filter(status: str) -> str:
    return status_label(status)


def flag_label(kind: str) -> str:
    """A data-quality flag kind in the reader's language."""
    labels = {"too_fast": _("too fast"), "straightlining": _("all answers identical"),
              "burst": _("burst from one counter"), "manual": _("flagged by hand")}
    return labels.get(kind, kind)


def channel_label(channel: str) -> str:
    """A collection channel in the reader's language."""
    labels = {"kiosk": _("kiosk"), "qr": _("QR code"), "import": _("import")}
    return labels.get(channel, channel)


@bp.app_template_filter("flag_label")
def _flag_label_filter(kind: str) -> str:
    return flag_label(kind)


@bp.app_template_filter("channel_label")
def _channel_label_filter(channel: str) -> str:
    return channel_label(channel)
