"""The alert list, one alert's evidence and its review, the digest deliveries, running the
checks now. Admins and analysts see every alert and review them; agency viewers see the alerts
of their agency subtree."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from .. import audit
from ..admin.forms import clean_text, options
from ..auth.access import role_required, visible_agency_ids
from ..extensions import db
from ..models import ALERT_KINDS, ALERT_STATUSES, Agency, Alert, Counter, DigestDelivery, utcnow
from . import bp
from .describe import KIND_LABELS, LEVEL_LABELS, kind_label, size_text, unit_names

VIEWERS = ("admin", "analyst", "agency_viewer")
REVIEWERS = ("admin", "analyst")
PAGE_SIZE = 200
STATUS_LABELS = {"open": _l("open"), "dismissed": _l("dismissed: no problem"),
                 "confirmed": _l("confirmed: acted on")}


class ReviewForm(FlaskForm):
    """An analyst's verdict on an alert; it never changes any response."""

    status = SelectField(_l("Verdict"), choices=options(STATUS_LABELS.items()),
                         validators=[DataRequired()])
    note = TextAreaField(_l("Note"), filters=[clean_text], validators=[Length(max=2000)])


def _scoped(query):
    visible = visible_agency_ids(current_user)
    return query if visible is None else query.where(Alert.agency_id.in_(visible))


def _report_link(alert: Alert) -> str | None:
    agency = db.session.get(Agency, alert.agency_id) if alert.agency_id else None
    start = alert.starts.date() - timedelta(weeks=8)
    end = (alert.ends or alert.starts).date() + timedelta(days=6)
    args = {"period": "custom", "date_from": start.isoformat(), "date_to": end.isoformat()}
    if agency is not None:
        args["agency"] = agency.code
    return url_for("reports.index", **args)


@bp.get("/")
@role_required(*VIEWERS)
def alerts():
    """Alerts, newest first, filtered by kind and status."""
    kind = request.args.get("kind", "")
    status = request.args.get("status", "open")
    query = _scoped(sa.select(Alert))
    if kind in ALERT_KINDS:
        query = query.where(Alert.kind == kind)
    if status in ALERT_STATUSES:
        query = query.where(Alert.status == status)
    rows = list(db.session.scalars(query.order_by(Alert.starts.desc(), Alert.id.desc())
                                   .limit(PAGE_SIZE)))
    deliveries = []
    if current_user.role == "admin":
        deliveries = list(db.session.scalars(sa.select(DigestDelivery).order_by(
            DigestDelivery.id.desc()).limit(30)))
    return render_template(
        "alerts/alerts.html", rows=rows, names=unit_names(db.session, rows),
        kind=kind, status=status, kinds=KIND_LABELS, statuses=STATUS_LABELS,
        levels=LEVEL_LABELS, size_text=size_text, kind_label=kind_label,
        deliveries=deliveries, can_review=current_user.role in REVIEWERS)


def _alert_or_404(alert_id: int) -> Alert:
    alert = db.session.scalar(_scoped(sa.select(Alert).where(Alert.id == alert_id)))
    if alert is None:
        abort(404)
    return alert


@bp.route("/<int:alert_id>", methods=["GET", "POST"])
@role_required(*VIEWERS)
def alert(alert_id: int):
    """One alert: its evidence, a link to the report, and the review form."""
    item = _alert_or_404(alert_id)
    form = ReviewForm(obj=item)
    if request.method == "POST":
        if current_user.role not in REVIEWERS:
            abort(403)
        if form.validate_on_submit():
            before = {"status": item.status, "note": item.note}
            item.status, item.note = form.status.data, form.note.data or None
            item.reviewed_by, item.reviewed_at = current_user.id, utcnow()
            audit.record(db.session, current_user, "alert_review", "alert", item.id, before,
                         {"status": item.status, "note": item.note})
            db.session.commit()
            flash(_l("The review is saved. No response was changed."), "success")
            return redirect(url_for("alerts.alert", alert_id=item.id))
    counter = db.session.get(Counter, item.unit_id) if item.level == "counter" else None
    return render_template(
        "alerts/alert.html", alert=item, form=form, names=unit_names(db.session, [item]),
        levels=LEVEL_LABELS, kind_label=kind_label, size_text=size_text,
        statuses=STATUS_LABELS, report_link=_report_link(item), counter=counter,
        can_review=current_user.role in REVIEWERS)


@bp.post("/run")
@role_required(*REVIEWERS)
def run_now():
    """Run every check now (the daily job does the same) and send the digests."""
    from .watch import run

    summary = run(db.session, utcnow())
    flash(_l("Checks done: %(new)s new alerts; digests sent %(sent)s, failed %(failed)s.",
             new=summary["new"], sent=summary["sent"], failed=summary["failed"]), "success")
    return redirect(url_for("alerts.alerts"))


@bp.app_template_filter("fmt_p")
def _fmt_p_filter(value) -> str:
    from ..reports.numbers import fmt_p

    return fmt_p(value)
