"""The QR form, built from a questionnaire definition: one fieldset per element, one radio group
(a row of five answers and "no opinion") per criterion, as on the kiosk."""
from __future__ import annotations

import uuid

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    RadioField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from ..questionnaires.reasons import item_elements, reasons_for

NOT_ANSWERED = "na"
# The service area "other": listed last, where citizens look for it.
OTHER_AREA = "KHAC"

try:  # WTForms >= 3.3 deprecates (value, label) tuples
    from wtforms import SelectChoice as _choice
except ImportError:  # pragma: no cover - older WTForms
    def _choice(value: str, label: str) -> tuple[str, str]:
        return value, label


class SurveyForm(FlaskForm):
    """Base of the generated forms: submission id, start time, dossier reference, submit, and
    the second step of a low rating (reasons per item, own words, complaint, skip)."""

    submission_id = HiddenField()
    started_at = HiddenField()
    dossier_ref = StringField(validators=[Optional(), Length(max=64)])
    submit = SubmitField()
    reasons_step = HiddenField()
    comment = TextAreaField()
    complaint = BooleanField()
    skip_reasons = SubmitField()

    def reasons_done(self) -> bool:
        """Whether this post comes from the reasons page (sent or skipped)."""
        return self.reasons_step.data == "1"

    def item_fields(self):
        """The scale questions, in questionnaire order."""
        return [self[code] for code in self.item_codes]

    def profile_fields(self):
        """The optional profile questions."""
        return [self[f"profile_{code}"] for code in self.profile_codes]

    def sections(self):
        """(heading, [(number, field)]) per element, then the overall question under its own
        heading: the rows are numbered across the form, as on the kiosk."""
        found, number = [], 0
        for heading, codes in self.section_codes:
            rows = []
            for code in codes:
                number += 1
                rows.append((number, self[code]))
            found.append((heading, rows))
        return found


def _text(obj: dict, lang: str) -> str:
    return obj.get(lang) or obj["vi"]


def _scale_choices(definition: dict, lang: str) -> list:
    scale = definition["scale"]
    choices = [_choice(str(v), _text(scale["labels"][str(v)], lang))
               for v in range(scale["min"], scale["max"] + 1)]
    return choices + [_choice(NOT_ANSWERED, _text(scale["not_applicable"], lang))]


def _questions(definition: dict) -> list[tuple[str, dict, dict | None]]:
    rows = []
    for element in definition["elements"]:
        rows.extend((c["code"], c["question"], element["label"]) for c in element["criteria"])
        if "overall" in element:
            rows.append((element["overall"]["code"], element["overall"]["question"],
                         element["label"]))
    if "overall" in definition:
        rows.append((definition["overall"]["code"], definition["overall"]["question"], None))
    return rows


def _sections(definition: dict, lang: str) -> list[tuple[str, list[str]]]:
    """The item codes grouped by element; the questionnaire's overall question on its own."""
    sections: list[tuple[str, list[str]]] = []
    for code, _question, group in _questions(definition):
        heading = _text(group, lang) if group else _("Overall")
        if not sections or sections[-1][0] != heading:
            sections.append((heading, []))
        sections[-1][1].append(code)
    return sections


def survey_form_class(definition: dict, areas: list, lang: str) -> type[SurveyForm]:
    """A form class for ``definition``, with a service-area question when there are several
    ("other", code KHAC, last where the counter serves it)."""
    attrs: dict = {"item_codes": [], "profile_codes": [],
                   "section_codes": _sections(definition, lang)}
    for code, question, _group in _questions(definition):
        attrs[code] = RadioField(_text(question, lang), choices=_scale_choices(definition, lang),
                                 validators=[Optional()])
        attrs["item_codes"].append(code)
        # Checked by the shared validation, which names the item (``reasons.<item>``).
        attrs[f"reasons_{code}"] = SelectMultipleField(validate_choice=False)
    for field in definition.get("profile", []):
        attrs[f"profile_{field['code']}"] = RadioField(
            _text(field["label"], lang), validators=[Optional()],
            choices=[_choice(o["code"], _text(o["label"], lang)) for o in field["options"]])
        attrs["profile_codes"].append(field["code"])
    if len(areas) > 1:
        attrs["service_area"] = RadioField(
            _("What did you come for today?"), validators=[Optional()],
            choices=[_choice(a.code, a.name_en if lang == "en" else a.name_vi)
                     for a in sorted(areas, key=lambda a: a.code == OTHER_AREA)])
    return type("GeneratedSurveyForm", (SurveyForm,), attrs)


def new_submission_id() -> str:
    """A fresh id for one filling of the form: a repeated post of it is stored once."""
    return str(uuid.uuid4())


def _chosen(field) -> str | None:
    """A radio group's choice, or None when nothing (or only blank space) was sent.

    WTForms' ``Optional`` lets a blank value through without checking it against the choices.
    """
    value = field.data
    return (value.strip() or None) if isinstance(value, str) else None


def to_payload(form: SurveyForm, questionnaire, token: str) -> dict:
    """The API-shaped submission of a filled form, validated by the shared function."""
    answers = {}
    for code in form.item_codes:
        value = _chosen(form[code])
        if value and value != NOT_ANSWERED:
            answers[code] = int(value)
    profile = {code: _chosen(form[f"profile_{code}"]) for code in form.profile_codes
               if _chosen(form[f"profile_{code}"])}
    payload = {"id": form.submission_id.data, "counter": token,
               "questionnaire": questionnaire.code, "version": questionnaire.version,
               "answers": answers, "profile": profile, "started_at": form.started_at.data or None,
               "dossier_ref": (form.dossier_ref.data or "").strip() or None}
    if "service_area" in form:
        payload["service_area"] = _chosen(form.service_area)
    if form.reasons_done() and not form.skip_reasons.data:
        payload["reasons"] = {code: form[f"reasons_{code}"].data for code in form.item_codes
                              if form[f"reasons_{code}"].data}
        payload["comment"] = form.comment.data or None
        payload["complaint"] = bool(form.complaint.data)
    return payload


def carried_fields(form: SurveyForm) -> list[tuple[str, str]]:
    """(name, value) of everything the first step sent, for the reasons page's hidden inputs."""
    names = [*form.item_codes, *(f"profile_{code}" for code in form.profile_codes)]
    names += [name for name in ("service_area", "dossier_ref") if name in form]
    carried = [("submission_id", form.submission_id.data or ""),
               ("started_at", form.started_at.data or ""), ("reasons_step", "1")]
    for name in names:
        value = form[name].data
        if isinstance(value, str) and value.strip():
            carried.append((name, value.strip()))
    return carried


def reason_sections(form: SurveyForm, questionnaire, low: list[str], lang: str) -> list:
    """(heading, [(number, question field, reasons field, [(code, label)])]) for the items
    rated low, grouped by element as on the form."""
    elements = item_elements(questionnaire.definition)
    found = []
    for heading, rows in form.sections():
        items = [(number, field, form[f"reasons_{field.name}"],
                  [(r.code, r.text(lang)) for r in reasons_for(questionnaire.code,
                                                                elements[field.name])])
                 for number, field in rows if field.name in low]
        if items:
            found.append((heading, items))
    return found
