"""The kiosk's interface words in every language, so the tablet can switch without a reload."""
from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _


def _words() -> dict[str, str]:
    return {
        "start": _("Start"),
        "welcome": _("How was your visit today?"),
        "tap_to_start": _("Touch the button to give your opinion. It takes about a minute."),
        "choose_area": _("What did you come for today?"),
        "back": _("Back"),
        "next": _("Next"),
        "send": _("Send"),
        "skip": _("Skip"),
        "question": _("Question"),
        # "Part 2 / 5": the element pages of the survey.
        "part": _("Part"),
        "navigation": _("Move between screens"),
        "overall": _("Overall"),
        "scale": _("How satisfied are you?"),
        "profile": _("About you (optional)"),
        "profile_hint": _("You may skip these questions."),
        "thanks": _("Thank you!"),
        "recorded": _("Your opinion has been recorded."),
        "restart": _("The screen will go back to the start in a few seconds."),
        "finish": _("Done"),
        "large_text": _("Large text"),
        "pending": _("Waiting to be sent"),
        "progress": _("Survey progress"),
        "language": _("Language"),
        "anonymous": _("Anonymous survey"),
        # The button on each question that reads it aloud.
        "listen": _("Listen"),
        # The header switch that reads every screen aloud as it appears.
        "read_aloud": _("Read aloud"),
        # {last} is replaced in the kiosk with the number of the last service question.
        "need_criterion": _("Please rate at least one of the service questions (questions 1–{last}) "
                            "before sending."),
        # The screen after a low rating (at most LOW_RATING_MAX): why, own words, complaint.
        "reasons_title": _("Why are you not satisfied?"),
        "reasons_hint": _("Choose the reasons that apply (several if you like), or skip."),
        "comment": _("Anything else you want to tell us (optional)"),
        "complaint": _("I want the agency to answer me"),
        "continue": _("Continue"),
        "need_criterion_any": _("Please rate at least one of the service questions before sending. "
                                "The overall question alone is not enough."),
    }


def kiosk_texts() -> dict[str, dict[str, str]]:
    """The interface words keyed by language code."""
    texts = {}
    for code in current_app.config["LANGUAGES"]:
        with force_locale(code):
            texts[code] = _words()
    return texts
