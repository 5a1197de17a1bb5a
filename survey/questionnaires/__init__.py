"""Questionnaire definitions (JSON data files in this folder) and their validator.

Problems are worded in the person's language when there is one (a web request), else English.

A definition is data: elements with weights, criteria with wording in Vietnamese and English, a
scale, an overall question and an optional respondent profile. A published (code, version) never
changes; a change is a new version.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

FOLDER = Path(__file__).resolve().parent
ITEM_CODE_LEN = 16
CODE_LEN = 32
#: Longest text of a title (the database column holds 300), an intro, and any other text.
TITLE_LEN, INTRO_LEN, TEXT_LEN = 300, 1000, 500
#: First characters that make a spreadsheet run a text as a formula (texts reach exports).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_QUESTIONNAIRE_CODE = re.compile(r"[A-Za-z0-9_-]+")
_TOP_KEYS = {"code", "version", "title", "intro", "scale", "elements", "overall", "profile"}
_ELEMENT_KEYS = {"code", "weight", "label", "criteria", "overall"}
_CRITERION_KEYS = {"code", "label", "question", "required"}
_OVERALL_KEYS = {"code", "question"}
_PROFILE_FIELDS = {"gender", "age_band", "occupation", "education", "ethnicity"}


class QuestionnaireError(ValueError):
    """A definition is invalid; ``problems`` lists each problem with its place."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _short(value: Any, limit: int = 24) -> str:
    """``value`` cut to ``limit`` characters, so a hostile 10 kB code does not flood a message."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _check_words(text: Any, place: str, limit: int, problems: list[str]) -> None:
    """One language's text: a string, not too long, without control characters or formulas.

    Control characters (a NUL byte above all) and lone surrogates cannot be stored by
    PostgreSQL or encoded as UTF-8; a text a spreadsheet would run as a formula is refused
    because wording reaches the report exports.
    """
    if not isinstance(text, str):
        problems.append(_("%(place)s: must be a text", place=place))
        return
    if len(text) > limit:
        problems.append(_("%(place)s: longer than %(limit)d characters", place=place,
                          limit=limit))
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch != "\n" for ch in text):
        problems.append(_("%(place)s: contains a control character (such as a NUL byte)",
                          place=place))
    elif text.startswith(FORMULA_START):
        problems.append(_("%(place)s: must not begin with =, +, -, @ or a tab (a spreadsheet "
                          "would run it as a formula)", place=place))


def _check_text(value: Any, place: str, problems: list[str], limit: int = TEXT_LEN) -> None:
    """A {"vi": …, "en": …} text: both languages present, each a clean string."""
    if not isinstance(value, dict):
        problems.append(_("%(place)s: must be an object with 'vi' and 'en' texts", place=place))
        return
    for lang in ("vi", "en"):
        text = value.get(lang)
        if text is None or (isinstance(text, str) and not text.strip()):
            problems.append(_("%(place)s.vi: missing Vietnamese text", place=place) if lang == "vi"
                            else _("%(place)s.en: missing English text", place=place))
        else:
            _check_words(text, f"{place}.{lang}", limit, problems)


def _check_code(code: Any, place: str, seen: set[str], problems: list[str]) -> None:
    """A short letters/digits code, unique among ``seen`` (which it joins)."""
    if not isinstance(code, str) or not code.strip():
        problems.append(_("%(place)s.code: missing code", place=place))
    elif len(code) > ITEM_CODE_LEN or not code.replace("-", "").replace("_", "").isalnum():
        problems.append(_("%(place)s.code: %(code)r must be letters/digits, at most %(limit)d",
                          place=place, code=_short(code), limit=ITEM_CODE_LEN))
    elif code in seen:
        problems.append(_("%(place)s.code: duplicate code %(code)r", place=place,
                          code=_short(code)))
    else:
        seen.add(code)


def _check_unknown(obj: dict, allowed: set[str], place: str, problems: list[str]) -> None:
    """A problem for every key of ``obj`` the format does not know (a typo is not ignored)."""
    for key in sorted(set(obj) - allowed):
        problems.append(_("%(place)s: unknown field %(key)r", place=place, key=key))


def _check_scale(scale: Any, problems: list[str]) -> None:
    """The answer scale: its bounds, the satisfied threshold and a text for every value."""
    if not isinstance(scale, dict):
        problems.append(_("scale: missing"))
        return
    low, high = scale.get("min"), scale.get("max")
    if not (_is_int(low) and _is_int(high) and 1 <= low < high <= 5):
        problems.append(_("scale: min and max must be integers with 1 <= min < max <= 5"))
        return
    satisfied = scale.get("satisfied_min")
    if not _is_int(satisfied) or not low < satisfied <= high:
        problems.append(_("scale.satisfied_min: must be an integer above min and at most max"))
    labels = scale.get("labels")
    labels = labels if isinstance(labels, dict) else {}
    for value in range(low, high + 1):
        _check_text(labels.get(str(value)), f"scale.labels.{value}", problems)
    _check_text(scale.get("not_applicable"), "scale.not_applicable", problems)


def _is_int(value: Any) -> bool:
    """Whether ``value`` is a JSON integer (``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_positive_number(value: Any) -> bool:
    """Whether ``value`` is a finite number above zero (NaN and Infinity are not)."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def _check_overall(overall: Any, place: str, seen: set[str], problems: list[str]) -> None:
    """An overall question: a code unique among the items and its question."""
    if not isinstance(overall, dict):
        problems.append(_("%(place)s: must be an object", place=place))
        return
    _check_unknown(overall, _OVERALL_KEYS, place, problems)
    _check_code(overall.get("code"), place, seen, problems)
    _check_text(overall.get("question"), f"{place}.question", problems)


def _check_criterion(criterion: Any, place: str, seen: set[str], problems: list[str]) -> None:
    """One criterion: a unique code, its label and question, an optional required flag."""
    if not isinstance(criterion, dict):
        problems.append(_("%(place)s: must be an object", place=place))
        return
    _check_unknown(criterion, _CRITERION_KEYS, place, problems)
    _check_code(criterion.get("code"), place, seen, problems)
    _check_text(criterion.get("label"), f"{place}.label", problems)
    _check_text(criterion.get("question"), f"{place}.question", problems)
    if not isinstance(criterion.get("required", False), bool):
        problems.append(_("%(place)s.required: must be true or false", place=place))


def _check_element(element: Any, place: str, element_codes: set[str], seen: set[str],
                   problems: list[str]) -> None:
    """One element: a unique code, a label, a positive weight, criteria, an optional overall."""
    if not isinstance(element, dict):
        problems.append(_("%(place)s: must be an object", place=place))
        return
    _check_unknown(element, _ELEMENT_KEYS, place, problems)
    code = element.get("code")
    if isinstance(code, str) and code in seen - element_codes:  # an earlier item's code
        problems.append(_("%(place)s.code: duplicate code %(code)r", place=place,
                          code=_short(code)))
    else:
        _check_code(code, place, element_codes, problems)
    seen.update(element_codes)
    _check_text(element.get("label"), f"{place}.label", problems)
    if not _is_positive_number(element.get("weight", 1.0)):
        problems.append(_("%(place)s.weight: must be a positive number", place=place))
    criteria = element.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        problems.append(_("%(place)s.criteria: at least one criterion is needed", place=place))
    else:
        for j, criterion in enumerate(criteria):
            _check_criterion(criterion, f"{place}.criteria[{j}]", seen, problems)
    if "overall" in element:
        _check_overall(element["overall"], f"{place}.overall", seen, problems)


def _check_elements(elements: Any, seen: set[str], problems: list[str]) -> None:
    """The elements, in order; every code is added to ``seen`` so duplicates are found."""
    if not isinstance(elements, list) or not elements:
        problems.append(_("elements: at least one element is needed"))
        return
    element_codes: set[str] = set()
    for i, element in enumerate(elements):
        _check_element(element, f"elements[{i}]", element_codes, seen, problems)


def _check_profile_field(field: Any, place: str, problems: list[str]) -> None:
    """One respondent-profile question: a known field, its label and its options."""
    if not isinstance(field, dict):
        problems.append(_("%(place)s: must be an object", place=place))
        return
    code = field.get("code")
    if not isinstance(code, str) or code not in _PROFILE_FIELDS:
        problems.append(_("%(place)s.code: unknown profile field %(code)r", place=place,
                          code=_short(code)))
    _check_text(field.get("label"), f"{place}.label", problems)
    options = field.get("options")
    if not isinstance(options, list) or not options:
        problems.append(_("%(place)s.options: at least one option is needed", place=place))
        return
    codes: set[str] = set()
    for j, option in enumerate(options):
        oplace = f"{place}.options[{j}]"
        if not isinstance(option, dict):
            problems.append(_("%(place)s: must be an object", place=oplace))
            continue
        _check_code(option.get("code"), oplace, codes, problems)
        _check_text(option.get("label"), f"{oplace}.label", problems)


def _check_profile(profile: Any, problems: list[str]) -> None:
    """The optional respondent profile asked after the criteria."""
    if not isinstance(profile, list):
        problems.append(_("profile: must be a list"))
        return
    for i, field in enumerate(profile):
        _check_profile_field(field, f"profile[{i}]", problems)


def _check_identity(definition: dict, problems: list[str]) -> None:
    """The questionnaire's code (it goes into URLs and file names) and version."""
    code = definition.get("code")
    if not isinstance(code, str) or not code or len(code) > CODE_LEN:
        problems.append(_("code: missing or longer than 32 characters"))
    elif not _QUESTIONNAIRE_CODE.fullmatch(code):
        problems.append(_("code: use letters, digits, '-' or '_' only"))
    if not _is_int(definition.get("version")) or definition["version"] < 1:
        problems.append(_("version: must be a positive integer"))


def validate(definition: Any) -> list[str]:
    """Every problem of a definition, each with its place; empty when it is valid."""
    if not isinstance(definition, dict):
        return ["definition: must be a JSON object"]
    problems: list[str] = []
    _check_unknown(definition, _TOP_KEYS, "definition", problems)
    _check_identity(definition, problems)
    _check_text(definition.get("title"), "title", problems, TITLE_LEN)
    if "intro" in definition:
        _check_text(definition["intro"], "intro", problems, INTRO_LEN)
    _check_scale(definition.get("scale"), problems)
    seen: set[str] = set()
    _check_elements(definition.get("elements"), seen, problems)
    if "overall" in definition:
        _check_overall(definition["overall"], "overall", seen, problems)
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
