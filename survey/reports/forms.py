"""The report filter form (a GET form: the query string is the report's address)."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField, Form, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from .. import periods
from .filters import FilterError, ReportFilters

ALL = ""


def options(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


class ReportForm(Form):
    """Period, agency subtree, domains and method options of a report."""

    period = SelectField(_l("Period"), validate_choice=False)
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    agency = SelectField(_l("Agency (with its subordinate units)"), validate_choice=False)
    service_area = SelectField(_l("Service area"), validate_choice=False)
    channel = SelectField(_l("Channel"), choices=options([
        ("all", _l("All channels")), ("kiosk", _l("Kiosk at the counter")),
        ("qr", _l("QR code on a phone"))]))
    questionnaire = SelectField(_l("Questionnaire"), validate_choice=False)
    weights = SelectField(_l("Weights"), choices=options([
        ("dossiers", _l("Weighted to dossiers handled")), ("none", _l("Unweighted"))]))
    variance = SelectField(_l("Design"), choices=options([
        ("design", _l("Citizens sampled in every counter (default)")),
        ("counters", _l("Counters as a sample of counters (few degrees of freedom)"))]))

    def set_choices(self, period_labels: list[str], agencies: list[tuple[str, str]],
                    areas: list[tuple[str, str]], questionnaires: list[str],
                    whole_province: bool) -> None:
        """Fill the pickers with what exists and what the user may see."""
        self.period.choices = options([(p, p) for p in period_labels]
                                      + [("custom", _l("Custom range"))])
        self.agency.choices = options(([(ALL, _l("Whole province"))] if whole_province else [])
                                      + agencies)
        self.service_area.choices = options([(ALL, _l("All service areas"))] + areas)
        self.questionnaire.choices = options([(q, q) for q in questionnaires])

    def add_period(self, label: str) -> None:
        """Select ``label`` in the period picker (offering it when it is a custom range)."""
        if label not in {c.value for c in self.period.choices}:
            self.period.choices.insert(0, SelectChoice(label, label))
        self.period.data = label
        chosen = periods.parse(label)
        if chosen.kind == "custom":
            self.date_from.data = chosen.start
            self.date_to.data = date.fromordinal(chosen.end.toordinal() - 1)

    def custom_period(self) -> str | None:
        """The ``from..to`` label of the dates given (None when no date is given).

        Dates always win over the period picker; raise ``FilterError`` when a date is not a
        date, only one of the two is given, or the range ends before it starts.
        """
        given = {name: " ".join(field.raw_data or []).strip()
                 for name, field in (("from", self.date_from), ("to", self.date_to))}
        if not any(given.values()):
            return None
        for name, field in (("from", self.date_from), ("to", self.date_to)):
            if given[name] and field.data is None:
                raise FilterError(f"invalid date {given[name]!r}", "date", given[name])
        if not (self.date_from.data and self.date_to.data):
            raise FilterError("give both dates of a custom range", "one_date")
        if self.date_to.data < self.date_from.data:
            raise FilterError("the range ends before it starts", "range")
        return f"{self.date_from.data.isoformat()}..{self.date_to.data.isoformat()}"

    def to_filters(self, default_period: str, default_agency: str | None) -> ReportFilters:
        """The filters this form asks for, with defaults filled in (dates: a custom range)."""
        period = self.custom_period() or self.period.data or default_period
        if period == "custom":
            raise FilterError("give both dates of a custom range", "one_date")
        return ReportFilters(
            period=period,
            agency=self.agency.data or default_agency,
            service_area=self.service_area.data or None,
            channel=self.channel.data or "all",
            questionnaire=self.questionnaire.data or "sipas",
            weights=self.weights.data or "dossiers",
            variance=self.variance.data or "design")
