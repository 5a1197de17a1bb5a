"""Reasons a citizen can give for a low rating: short lists per topic (``catalogues/reasons.json``).

An element's topic comes from the questionnaire code and the element code; an element the
catalogue does not know (a version made in the workspace editor) gets the general list, and the
overall questions (the questionnaire's and an element's own) the overall list. Reason codes are
unique across topics, so a stored code always has one label.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from . import FOLDER

GENERAL, OVERALL = "general", "overall"


@dataclass(frozen=True)
class Reason:
    """One choice of a list: its stored code and its label per language."""

    code: str
    label: dict[str, str]

    def text(self, lang: str) -> str:
        """The label in ``lang``, Vietnamese when there is none."""
        return self.label.get(lang) or self.label["vi"]


@cache
def _catalogue() -> tuple[dict[str, tuple[Reason, ...]], dict[str, dict[str, str]]]:
    data = json.loads((FOLDER / "catalogues" / "reasons.json").read_text(encoding="utf-8"))
    topics = {name: tuple(Reason(r["code"], r["label"]) for r in rows)
              for name, rows in data["topics"].items()}
    return topics, data["elements"]


def topic_of(questionnaire_code: str, element_code: str | None) -> str:
    """The topic whose list an element's low ratings offer (None: the overall question)."""
    if element_code is None:
        return OVERALL
    return _catalogue()[1].get(questionnaire_code, {}).get(element_code, GENERAL)


def reasons_for(questionnaire_code: str, element_code: str | None) -> tuple[Reason, ...]:
    """The list offered for a low rating in an element (None: the overall question)."""
    return _catalogue()[0][topic_of(questionnaire_code, element_code)]


@cache
def _by_code() -> dict[str, Reason]:
    return {r.code: r for rows in _catalogue()[0].values() for r in rows}


def reason(code: str) -> Reason | None:
    """The reason stored under ``code``; None for a code the catalogue does not have."""
    return _by_code().get(code)


def reason_label(code: str, lang: str) -> str:
    """A stored reason's label in ``lang`` (the code itself when the catalogue lost it)."""
    found = reason(code)
    return found.text(lang) if found else code


def item_elements(definition: dict) -> dict[str, str | None]:
    """Item code → the code of its element (None for the questionnaire's overall question;
    an element's own overall question belongs to the overall list too)."""
    found: dict[str, str | None] = {}
    for element in definition["elements"]:
        for criterion in element["criteria"]:
            found[criterion["code"]] = element["code"]
        if "overall" in element:
            found[element["overall"]["code"]] = None
    if "overall" in definition:
        found[definition["overall"]["code"]] = None
    return found


def check_reasons(questionnaire_code: str, definition: dict, answers: dict[str, int], raw: object,
                  low_max: int, errors: dict[str, str]) -> dict[str, list[str]]:
    """The reasons of a submission (``{item: [reason codes]}``), checked against the answers.

    Only items answered at most ``low_max`` may carry reasons, each code from the list of the
    item's element, at most once; a problem is recorded in ``errors`` under ``reasons.<item>``.
    An empty list means no reason (the citizen skipped it) and is dropped.
    """
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        errors["reasons"] = "must be an object of item code to a list of reason codes"
        return {}
    elements = item_elements(definition) if raw else {}
    found: dict[str, list[str]] = {}
    for item, codes in raw.items():
        place = f"reasons.{item}"
        if item not in elements:
            errors[place] = "unknown item"
        elif not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            errors[place] = "must be a list of reason codes"
        elif codes and (item not in answers or answers[item] > low_max):
            errors[place] = f"only for an item rated at most {low_max}"
        else:
            offered = [r.code for r in reasons_for(questionnaire_code, elements[item])]
            if any(code not in offered for code in codes):
                errors[place] = "unknown reason for this item"
            elif len(set(codes)) != len(codes) or len(codes) > len(offered):
                errors[place] = f"each reason at most once, at most {len(offered)}"
            elif codes:
                found[item] = codes
    return found
