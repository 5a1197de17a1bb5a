"""Questionnaire definitions (JSON data files in this folder) and their validator.

Problems are worded in the person's language when there is one (a web request), else English.

A definition is data: elements with weights, criteria with wording in Vietnamese and English, a
scale, an overall question and an optional respondent profile. A published (code, version) never
changes; a change is a new version.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

FOLDER = Path(__file__).resolve().parent
ITEM_CODE_LEN = 16
_TOP_KEYS = {"code", "version", "title", "intro", "scale", "elements", "overall", "profile"}
_ELEMENT_KEYS = {"code", "weight", "label", "criteria", "overall"}
_CRITERION_KEYS = {"code", "label", "question", "required"}


class QuestionnaireError(ValueError):
    """A definition is invalid; ``problems`` lists each problem with its place."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _check_text(value: Any, place: str, problems: list[str]) -> None:
    if not isinstance(value, dict):
        problems.append(_("%(place)s: must be an object with 'vi' and 'en' texts", place=place))
        return
    if not str(value.get("vi") or "").strip():
        problems.append(_("%(place)s.vi: missing Vietnamese text", place=place))
    if not str(value.get("en") or "").strip():
        problems.append(_("%(place)s.en: missing English text", place=place))


def _check_code(code: Any, place: str, seen: set[str], problems: list[str]) -> None:
    if not isinstance(code, str) or not code.strip():
        problems.append(_("%(place)s.code: missing code", place=place))
    elif len(code) > ITEM_CODE_LEN or not code.replace("-", "").replace("_", "").isalnum():
        problems.append(_("%(place)s.code: %(code)r must be letters/digits, at most %(limit)d",
                          place=place, code=code, limit=ITEM_CODE_LEN))
    elif code in seen:
        problems.append(_("%(place)s.code: duplicate code %(code)r", place=place, code=code))
    else:
        seen.add(code)


def _check_unknown(obj: dict, allowed: set[str], place: str, problems: list[str]) -> None:
    for key in sorted(set(obj) - allowed):
        problems.append(_("%(place)s: unknown field %(key)r", place=place, key=key))


def _check_scale(scale: Any, problems: list[str]) -> None:
    if not isinstance(scale, dict):
        problems.append(_("scale: missing"))
        return
    low, high = scale.get("min"), scale.get("max")
    if not (isinstance(low, int) and isinstance(high, int) and 1 <= low < high <= 5):
        problems.append(_("scale: min and max must be integers with 1 <= min < max <= 5"))
        return
    satisfied = scale.get("satisfied_min")
    if not isinstance(satisfied, int) or not low < satisfied <= high:
        problems.append(_("scale.satisfied_min: must be an integer above min and at most max"))
    labels = scale.get("labels") or {}
    for value in range(low, high + 1):
        _check_text(labels.get(str(value)), f"scale.labels.{value}", problems)
    _check_text(scale.get("not_applicable"), "scale.not_applicable", problems)


def _check_elements(elements: Any, seen: set[str], problems: list[str]) -> None:
    if not isinstance(elements, list) or not elements:
        problems.append(_("elements: at least one element is needed"))
        return
    element_codes: set[str] = set()
    for i, element in enumerate(elements):
        place = f"elements[{i}]"
        if not isinstance(element, dict):
            problems.append(_("%(place)s: must be an object", place=place))
            continue
        _check_unknown(element, _ELEMENT_KEYS, place, problems)
        _check_code(element.get("code"), place, element_codes, problems)
        seen.update(element_codes)
        _check_text(element.get("label"), f"{place}.label", problems)
        weight = element.get("weight", 1.0)
        if not isinstance(weight, (int, float)) or isinstance(weight, bool) or weight <= 0:
            problems.append(_("%(place)s.weight: must be a positive number", place=place))
        criteria = element.get("criteria")
        if not isinstance(criteria, list) or not criteria:
            problems.append(_("%(place)s.criteria: at least one criterion is needed", place=place))
            continue
        for j, criterion in enumerate(criteria):
            cplace = f"{place}.criteria[{j}]"
            if not isinstance(criterion, dict):
                problems.append(_("%(place)s: must be an object", place=cplace))
                continue
            _check_unknown(criterion, _CRITERION_KEYS, cplace, problems)
            _check_code(criterion.get("code"), cplace, seen, problems)
            _check_text(criterion.get("label"), f"{cplace}.label", problems)
            _check_text(criterion.get("question"), f"{cplace}.question", problems)
        if "overall" in element:
            _check_code(element["overall"].get("code"), f"{place}.overall", seen, problems)
            _check_text(element["overall"].get("question"), f"{place}.overall.question", problems)


def _check_profile(profile: Any, problems: list[str]) -> None:
    if not isinstance(profile, list):
        problems.append(_("profile: must be a list"))
        return
    allowed = {"gender", "age_band", "occupation", "education", "ethnicity"}
    for i, field in enumerate(profile):
        place = f"profile[{i}]"
        if field.get("code") not in allowed:
            problems.append(_("%(place)s.code: unknown profile field %(code)r", place=place,
                              code=field.get("code")))
        _check_text(field.get("label"), f"{place}.label", problems)
        options = field.get("options") or []
        if not options:
            problems.append(_("%(place)s.options: at least one option is needed", place=place))
        codes: set[str] = set()
        for j, option in enumerate(options):
            _check_code(option.get("code"), f"{place}.options[{j}]", codes, problems)
            _check_text(option.get("label"), f"{place}.options[{j}].label", problems)


def validate(definition: Any) -> list[str]:
    """Every problem of a definition, each with its place; empty when it is valid."""
    if not isinstance(definition, dict):
        return ["definition: must be a JSON object"]
    problems: list[str] = []
    _check_unknown(definition, _TOP_KEYS, "definition", problems)
    code = definition.get("code")
    if not isinstance(code, str) or not code or len(code) > 32:
        problems.append(_("code: missing or longer than 32 characters"))
    version = definition.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        problems.append(_("version: must be a positive integer"))
    _check_text(definition.get("title"), "title", problems)
    if "intro" in definition:
        _check_text(definition["intro"], "intro", problems)
    _check_scale(definition.get("scale"), problems)
    seen: set[str] = set()
    _check_elements(definition.get("elements"), seen, problems)
    if "overall" in definition:
        _check_code(definition["overall"].get("code"), "overall", seen, problems)
        _check_text(definition["overall"].get("question"), "overall.question", problems)
    _check_profile(definition.get("profile", []), problems)
    return problems


def parse(text: str, source: str = "definition") -> dict:
    """Parse and validate a definition; raise ``QuestionnaireError`` listing every problem."""
    try:
        definition = json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestionnaireError(source, [_("line %(line)d: invalid JSON (%(reason)s)", line=exc.lineno,
                                                  reason=exc.msg)]) from None
    problems = validate(definition)
    if problems:
        raise QuestionnaireError(source, problems)
    return definition


def load_file(path: str | Path) -> dict:
    """Read and validate one definition file."""
    path = Path(path)
    return parse(path.read_text(encoding="utf-8"), path.name)


def shipped_files() -> list[Path]:
    """The definition files that ship with the application."""
    return sorted(FOLDER.glob("*.json"))


def checksum(definition: dict) -> str:
    """A stable fingerprint of a definition, used to refuse edits of a published version."""
    canonical = json.dumps(definition, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def criteria(definition: dict) -> Iterator[dict]:
    """The criteria of a definition, in order, each with its element code."""
    for element in definition["elements"]:
        for criterion in element["criteria"]:
            yield {**criterion, "element": element["code"]}


def criterion_codes(definition: dict) -> list[str]:
    """Codes of the scored criteria, in questionnaire order."""
    return [c["code"] for c in criteria(definition)]


def item_codes(definition: dict) -> list[str]:
    """Codes of every item answered on the scale: criteria and overall questions."""
    codes = []
    for element in definition["elements"]:
        codes.extend(c["code"] for c in element["criteria"])
        if "overall" in element:
            codes.append(element["overall"]["code"])
    if "overall" in definition:
        codes.append(definition["overall"]["code"])
    return codes


def required_codes(definition: dict) -> list[str]:
    """Codes of the criteria a response must answer."""
    return [c["code"] for c in criteria(definition) if c.get("required")]


def profile_options(definition: dict) -> dict[str, set[str]]:
    """Allowed option codes of each profile field."""
    return {f["code"]: {o["code"] for o in f["options"]} for f in definition.get("profile", [])}
