"""Questionnaires: versions per code, publish from an uploaded file or from the editor,
preview as citizens see it, download any version's definition.

The editor starts a new version from a published one. The draft lives only in the form: each
button (add, remove, move, preview, publish) posts the whole form, the server rebuilds the
definition from it, changes it and shows the form again, so it works without JavaScript and
needs no drafts table. Publishing goes through the same validator and ``publish_questionnaire``
as an uploaded file, always as a new version (the highest version + 1): a published version is
never changed.
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Sequence
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import audit
from .. import questionnaires as qdefs
from ..auth.access import role_required
from ..catalog import CatalogError, publish_questionnaire
from ..extensions import db
from ..models import Questionnaire, Response
from . import MANAGERS, bp
from .forms import MAX_CRITERIA, MAX_ELEMENTS, QuestionnaireEditForm, QuestionnaireUploadForm

#: Who may start, preview and publish a new version in the editor: the same people who may
#: publish an uploaded file (admins and analysts); agency viewers get 403 on every /admin page.
EDITORS = MANAGERS


def _versions() -> list[tuple[str, list[dict]]]:
    """Published versions grouped by code, newest first, each with its response count."""
    counts = dict(db.session.execute(sa.select(Response.questionnaire_id, sa.func.count())
                                     .group_by(Response.questionnaire_id)).all())
    rows = db.session.scalars(sa.select(Questionnaire).order_by(
        Questionnaire.code, Questionnaire.version.desc())).all()
    return [(code, [{"q": q, "responses": counts.get(q.id, 0)} for q in group])
            for code, group in groupby(rows, key=lambda q: q.code)]


def _read_upload(form: QuestionnaireUploadForm) -> str | None:
    """The uploaded file as text, or None (with the problem on the form) when it is not UTF-8."""
    try:
        return form.definition.data.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        form.definition.errors.append(_("The file is not UTF-8 text."))
        return None


def _publish(form: QuestionnaireUploadForm) -> tuple[list[str], bool]:
    """Validate and publish the uploaded definition; return its problems and success."""
    text = _read_upload(form)
    if text is None:
        return [], False
    source = form.definition.data.filename or "definition"
    try:
        definition = qdefs.parse(text, source)
        questionnaire, is_new = publish_questionnaire(db.session, definition)
    except qdefs.QuestionnaireError as exc:
        db.session.rollback()
        return exc.problems, False
    except CatalogError as exc:
        db.session.rollback()
        flash(_("Refused: %(code)s version %(version)s is already published with other content. "
                "Publish the change as a new version.", code=definition["code"],
                version=definition["version"]), "error")
        return [str(exc)], False
    if not is_new:
        flash(_("This version is already published with the same content: nothing changed."),
              "success")
        return [], True
    audit.record(db.session, current_user, "publish", "questionnaire", questionnaire.id, None,
                 {"code": questionnaire.code, "version": questionnaire.version,
                  "checksum": questionnaire.checksum, "file": source})
    db.session.commit()
    flash(_("Published %(code)s version %(version)s.", code=questionnaire.code,
            version=questionnaire.version), "success")
    return [], True


@bp.route("/questionnaires", methods=["GET", "POST"])
@role_required("admin", "analyst")
def questionnaires():
    """Published versions per code, and the form that publishes a new one."""
    form = QuestionnaireUploadForm()
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        problems, ok = _publish(form)
        if ok:
            return redirect(url_for("admin.questionnaires"))
        status = 422
    elif form.errors:
        status = 422
    return render_template("admin/questionnaires.html", form=form, problems=problems,
                           versions=_versions()), status


def _questionnaire_or_404(questionnaire_id: int) -> Questionnaire:
    """The published version with this id, or a 404."""
    questionnaire = db.session.get(Questionnaire, questionnaire_id)
    if questionnaire is None:
        abort(404)
    return questionnaire


def _scale_values(definition: dict) -> list[int]:
    """The answer values of a definition's scale, lowest first."""
    scale = definition["scale"]
    return list(range(scale["min"], scale["max"] + 1))


@bp.get("/questionnaires/<int:questionnaire_id>")
@role_required("admin", "analyst")
def questionnaire_preview(questionnaire_id: int):
    """A read-only rendering of a version as a citizen sees it, in Vietnamese or English."""
    questionnaire = _questionnaire_or_404(questionnaire_id)
    text = request.args.get("text") or str(get_locale())
    text = text if text in ("vi", "en") else "vi"
    definition = questionnaire.definition
    return render_template("admin/questionnaire_preview.html", questionnaire=questionnaire,
                           d=definition, t=text, values=_scale_values(definition))


@bp.get("/questionnaires/<int:questionnaire_id>.json")
@role_required("admin", "analyst")
def questionnaire_download(questionnaire_id: int):
    """A version's definition exactly as stored, as a JSON file to keep or to edit and upload."""
    questionnaire = _questionnaire_or_404(questionnaire_id)
    body = json.dumps(questionnaire.definition, ensure_ascii=False, indent=1) + "\n"
    name = re.sub(r"[^A-Za-z0-9_-]", "_", questionnaire.code) or "questionnaire"
    response = make_response(body)
    response.mimetype = "application/json"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{name}-v{questionnaire.version}.json"')
    return response


# --- the editor: a definition to and from the form ------------------------------------------

def _pair(text: Any) -> tuple[str, str]:
    """The Vietnamese and English of a {"vi", "en"} text ("" where missing)."""
    text = text if isinstance(text, dict) else {}
    return str(text.get("vi") or ""), str(text.get("en") or "")


def _weight_text(weight: Any) -> str:
    """An element weight as typed in the form (1.0 shows as "1")."""
    if isinstance(weight, float):
        return f"{weight:g}"
    return str(weight)


def _overall_data(overall: Any) -> dict:
    """The form fields of an optional overall question."""
    overall = overall if isinstance(overall, dict) else {}
    vi, en = _pair(overall.get("question"))
    return {"overall_code": str(overall.get("code") or ""), "overall_vi": vi, "overall_en": en}


def _criterion_data(criterion: dict) -> dict:
    """The form fields of one criterion."""
    label_vi, label_en = _pair(criterion.get("label"))
    question_vi, question_en = _pair(criterion.get("question"))
    return {"code": criterion.get("code") or "", "label_vi": label_vi, "label_en": label_en,
            "question_vi": question_vi, "question_en": question_en,
            "required": bool(criterion.get("required"))}


def _element_data(element: dict) -> dict:
    """The form fields of one element and its criteria."""
    label_vi, label_en = _pair(element.get("label"))
    return {"code": element.get("code") or "", "weight": _weight_text(element.get("weight", 1.0)),
            "label_vi": label_vi, "label_en": label_en,
            "criteria": [_criterion_data(c) for c in element.get("criteria", [])],
            **_overall_data(element.get("overall"))}


def form_data(definition: dict) -> dict:
    """The editor's form fields filled from a definition (the inverse of ``draft_definition``)."""
    title_vi, title_en = _pair(definition.get("title"))
    intro_vi, intro_en = _pair(definition.get("intro"))
    return {"title_vi": title_vi, "title_en": title_en, "intro_vi": intro_vi,
            "intro_en": intro_en,
            "elements": [_element_data(e) for e in definition.get("elements", [])],
            **_overall_data(definition.get("overall"))}


def _text(vi: str, en: str) -> dict:
    """A {"vi", "en"} text of a definition."""
    return {"vi": vi or "", "en": en or ""}


def _weight(typed: str) -> float | str:
    """A typed weight as a number (a decimal comma is accepted); the text itself when it is not
    one, so the validator reports it with its place."""
    try:
        return float(typed.replace(",", "."))
    except (AttributeError, ValueError):
        return typed


def _overall(data: dict) -> dict | None:
    """An overall question from its form fields; ``None`` when all three are empty."""
    if not (data["overall_code"] or data["overall_vi"] or data["overall_en"]):
        return None
    return {"code": data["overall_code"], "question": _text(data["overall_vi"], data["overall_en"])}


def _criterion(data: dict) -> dict:
    """A criterion of a definition from its form fields."""
    return {"code": data["code"], "label": _text(data["label_vi"], data["label_en"]),
            "question": _text(data["question_vi"], data["question_en"]),
            "required": bool(data["required"])}


def _element(data: dict) -> dict:
    """An element of a definition from its form fields."""
    element = {"code": data["code"], "weight": _weight(data["weight"]),
               "label": _text(data["label_vi"], data["label_en"]),
               "criteria": [_criterion(c) for c in data["criteria"]]}
    overall = _overall(data)
    if overall is not None:
        element["overall"] = overall
    return element


def draft_definition(base: dict, data: dict, version: int) -> dict:
    """The definition the editor's form describes, as version ``version`` of ``base``'s code.

    The scale and the respondent profile are not edited: they are copied from ``base``.
    """
    draft: dict[str, Any] = {"code": base["code"], "version": version,
                             "title": _text(data["title_vi"], data["title_en"])}
    if data["intro_vi"] or data["intro_en"]:
        draft["intro"] = _text(data["intro_vi"], data["intro_en"])
    draft["scale"] = copy.deepcopy(base["scale"])
    draft["elements"] = [_element(e) for e in data["elements"]]
    overall = _overall(data)
    if overall is not None:
        draft["overall"] = overall
    if "profile" in base:
        draft["profile"] = copy.deepcopy(base["profile"])
    return draft


# --- the editor: the buttons that change the draft's structure ------------------------------

def _new_criterion(element: dict) -> dict:
    """An empty criterion, its code suggested from the element's (TC → TC5 after TC1–TC4)."""
    taken = {c["code"] for c in element["criteria"]}
    number = len(element["criteria"]) + 1
    while f"{element['code']}{number}" in taken:
        number += 1
    code = f"{element['code']}{number}" if element["code"] else ""
    return {"code": code, "label": _text("", ""), "question": _text("", ""), "required": False}


def _move(items: list, index: int, step: int) -> None:
    """Swap ``items[index]`` with its neighbour ``step`` (−1 or +1) away, when there is one."""
    other = index + step
    if 0 <= index < len(items) and 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]


def _move_criterion(elements: list[dict], i: int, j: int, step: int) -> None:
    """Move criterion ``j`` of element ``i`` up or down; past the first or last criterion it
    moves to the end of the previous element or the start of the next one."""
    criteria = elements[i]["criteria"]
    if not 0 <= j < len(criteria):
        return
    if 0 <= j + step < len(criteria):
        _move(criteria, j, step)
    elif 0 <= i + step < len(elements):
        target = elements[i + step]["criteria"]
        if len(target) < MAX_CRITERIA:
            criterion = criteria.pop(j)
            target.insert(len(target) if step < 0 else 0, criterion)


def _change_elements(elements: list[dict], verb: str, i: int) -> str | None:
    """Add, remove or move an element; a notice when the change is refused."""
    if verb == "add":
        if len(elements) >= MAX_ELEMENTS:
            return _("A questionnaire has at most %(limit)d elements.", limit=MAX_ELEMENTS)
        elements.append({"code": "", "weight": 1.0, "label": _text("", ""), "criteria": []})
        elements[-1]["criteria"].append(_new_criterion(elements[-1]))
    elif verb == "remove" and 0 <= i < len(elements):
        elements.pop(i)
    elif verb in ("up", "down"):
        _move(elements, i, -1 if verb == "up" else 1)
    return None


def _change_criteria(elements: list[dict], verb: str, i: int, j: int) -> str | None:
    """Add, remove or move a criterion of element ``i``; a notice when it is refused."""
    if not 0 <= i < len(elements):
        return None
    criteria = elements[i]["criteria"]
    if verb == "add":
        if len(criteria) >= MAX_CRITERIA:
            return _("An element has at most %(limit)d criteria.", limit=MAX_CRITERIA)
        criteria.append(_new_criterion(elements[i]))
    elif verb == "remove" and 0 <= j < len(criteria):
        criteria.pop(j)
    elif verb in ("up", "down"):
        _move_criterion(elements, i, j, -1 if verb == "up" else 1)
    return None


def apply_action(draft: dict, action: str) -> str | None:
    """Change the draft's structure as the button ``action`` says (e.g. ``up-criterion-1-2``);
    return a notice when the change is refused. Indexes out of range change nothing."""
    verb, _sep, rest = action.partition("-")
    thing, _sep, numbers = rest.partition("-")
    indexes = [int(n) for n in numbers.split("-") if n.isdigit()]
    if thing == "element":
        return _change_elements(draft["elements"], verb, indexes[0] if indexes else -1)
    if thing == "criterion":
        i, j = (indexes + [-1, -1])[:2]
        return _change_criteria(draft["elements"], verb, i, j)
    return None


# --- the editor: problems next to their fields -----------------------------------------------

_PLACE = re.compile(r"^([A-Za-z_]+(?:\[\d+\])?(?:\.[A-Za-z_0-9]+(?:\[\d+\])?)*)")


def field_id(problem: str) -> str:
    """The id of the form field a validator problem is about, from its place
    (``elements[1].criteria[0].question.vi`` → ``elements-1-criteria-0-question_vi``)."""
    match = _PLACE.match(problem)
    if not match:
        return ""
    place = re.sub(r"\[(\d+)\]", r"-\1", match.group(1))
    place = place.replace("overall.question.", "overall.")
    place = re.sub(r"\.(vi|en)$", r"_\1", place)
    place = place.replace("overall.", "overall_")
    return place.replace(".", "-")


def _form_fields(form: QuestionnaireEditForm) -> dict[str, Any]:
    """Every leaf field of the editor form by its id."""
    fields: dict[str, Any] = {}

    def walk(container) -> None:
        for f in container:
            if f.type == "FieldList":
                for entry in f.entries:
                    walk(entry.form)
            else:
                fields[f.id] = f
    walk(form)
    return fields


def attach_problems(form: QuestionnaireEditForm, problems: list[str]) -> list[tuple[str, str]]:
    """Each problem with the anchor it links to; problems of a field also show beside it.

    A place that is no field (``elements[1].criteria``) links to its nearest enclosing part.
    """
    fields = _form_fields(form)
    linked = []
    for problem in problems:
        anchor = field_id(problem)
        if anchor in fields:
            fields[anchor].errors = [*fields[anchor].errors, problem]
        else:
            while anchor and anchor not in fields and not re.fullmatch(
                    r"elements(-\d+(-criteria-\d+)?)?", anchor):
                anchor = anchor.rpartition("-")[0]
        linked.append((problem, anchor))
    return linked


# --- the editor: views ----------------------------------------------------------------------

def _next_version(code: str) -> int:
    """The version number a new version of ``code`` gets: the highest published + 1."""
    highest = db.session.scalar(sa.select(sa.func.max(Questionnaire.version))
                                .where(Questionnaire.code == code))
    return (highest or 0) + 1


def _latest(code: str) -> Questionnaire | None:
    """The newest published version of ``code``."""
    return db.session.scalars(sa.select(Questionnaire).where(Questionnaire.code == code)
                              .order_by(Questionnaire.version.desc())).first()


def _unchanged(draft: dict) -> int | None:
    """The newest version's number when the draft is that version again (but for its number),
    else ``None``: publishing it would only add a copy."""
    latest = _latest(draft["code"])
    if latest is None:
        return None
    same = {**latest.definition, "version": draft["version"]}
    return latest.version if qdefs.checksum(same) == qdefs.checksum(draft) else None


def _publish_draft(draft: dict, base: Questionnaire) -> tuple[list[str], Questionnaire | None]:
    """Validate and publish the draft as a new version; its problems, or the new version.

    Nothing is written when there is any problem; the publish is in the audit log.
    """
    problems = qdefs.validate(draft)
    if problems:
        return problems, None
    same_as = _unchanged(draft)
    if same_as is not None:
        return [_("Nothing changed from version %(version)s: nothing was published.",
                  version=same_as)], None
    try:
        questionnaire, is_new = publish_questionnaire(db.session, draft)
        if not is_new:
            raise CatalogError("already published")
    except (CatalogError, IntegrityError):
        db.session.rollback()
        return [_("Version %(version)s was published by someone else meanwhile: check the "
                  "draft and publish again.", version=draft["version"])], None
    audit.record(db.session, current_user, "publish", "questionnaire", questionnaire.id, None,
                 {"code": questionnaire.code, "version": questionnaire.version,
                  "checksum": questionnaire.checksum, "from_version": base.version,
                  "source": "editor"})
    db.session.commit()
    return [], questionnaire


def _render_editor(base: Questionnaire, form: QuestionnaireEditForm, version: int,
                   problems: Sequence[str] = (), preview: dict | None = None, text: str = "vi",
                   notice: str | None = None, status: int = 200):
    """The editor page: the form, the problems beside their fields, an optional preview."""
    linked = attach_problems(form, list(problems))
    return render_template(
        "admin/questionnaire_edit.html", base=base, form=form, version=version,
        problems=linked, preview=preview, t=text, notice=notice,
        values=_scale_values(base.definition), max_elements=MAX_ELEMENTS,
        max_criteria=MAX_CRITERIA), status


@bp.route("/questionnaires/<int:questionnaire_id>/edit", methods=["GET", "POST"])
@role_required(*EDITORS)
def questionnaire_edit(questionnaire_id: int):
    """Start a new version from a published one, change it, preview it and publish it."""
    base = _questionnaire_or_404(questionnaire_id)
    version = _next_version(base.code)
    if request.method == "GET":
        form = QuestionnaireEditForm(formdata=None, data=form_data(base.definition))
        return _render_editor(base, form, version)
    form = QuestionnaireEditForm()
    if not form.validate_on_submit():
        return _render_editor(base, form, version, [_("Unknown action.")], status=400)
    draft = draft_definition(base.definition, form.data, version)
    action = form.action.data
    if action == "publish":
        problems, published = _publish_draft(draft, base)
        if published is not None:
            flash(_("Published %(code)s version %(version)s.", code=published.code,
                    version=published.version), "success")
            return redirect(url_for("admin.questionnaires"))
        return _render_editor(base, form, version, problems, status=422)
    if action.startswith("preview-"):
        return _render_editor(base, form, version, qdefs.validate(draft), preview=draft,
                              text=action.removeprefix("preview-"))
    notice = apply_action(draft, action)
    form = QuestionnaireEditForm(formdata=None, data=form_data(draft))
    return _render_editor(base, form, version, notice=notice)
