"""The kiosk: a full-screen survey on a tablet fixed at a counter, its service worker, posters."""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..public.forms import OTHER_AREA
from ..public.tokens import lookup, token_page
from ..queries import latest_questionnaire
from ..questionnaires.reasons import item_elements, reasons_for, topic_of
from ..responses import COMMENT_MAX_LEN, low_rating_max
from . import audio, bp
from .poster import SIZES, poster_svg, qr_svg
from .texts import kiosk_texts

ASSETS = ("kiosk/kiosk.css", "kiosk/kiosk.js")


@lru_cache(maxsize=8)
def _assets_version(static_folder: str) -> str:
    digest = hashlib.sha256()
    for name in ASSETS:
        digest.update((Path(static_folder) / name).read_bytes())
    digest.update((Path(current_app.template_folder) / "kiosk" / "sw.js").read_bytes())
    return digest.hexdigest()[:12]


def assets_version() -> str:
    """A fingerprint of the kiosk's files: it names the offline cache and busts browser caches."""
    return _assets_version(current_app.static_folder)


def asset_urls() -> list[str]:
    """Versioned URLs of the kiosk's CSS and JS."""
    return [url_for("static", filename=name, v=assets_version()) for name in ASSETS]


def _positive_arg(name: str, default: int) -> int:
    value = request.args.get(name, type=int)
    return value if value and value > 0 else default


def _staff_words() -> dict[str, str]:
    return {
        "set_aside": _("Sheets set aside"),
        "set_aside_hint": _("These answer sheets could not be sent after several attempts. "
                            "Download the file and give it to the survey administrators: they "
                            "load it in the workspace (Set-aside sheets) and each sheet is stored "
                            "only once."),
        "set_aside_download": _("Download the file"),
        "set_aside_close": _("Close"),
        "duty_none": _("Nobody is on duty at this counter."),
        "duty_on": _("On duty: %(name)s (%(code)s), since %(time)s"),
        "duty_wrong": _("Unknown officer code or wrong PIN."),
        "duty_locked": _("Too many wrong PINs: this officer is locked out for a while. An "
                         "administrator can unlock it in the workspace."),
        "duty_offline": _("The server cannot be reached; try again in a moment."),
        "duty_ended": _("The shift has ended."),
    }


def _texts() -> dict[str, dict[str, str]]:
    """The kiosk's words, with the staff words about set-aside sheets, in every language."""
    texts = kiosk_texts()
    for code in texts:
        with force_locale(code):
            texts[code].update(_staff_words())
    return texts


def _seconds(name: str, default: float) -> float:
    try:
        value = float(current_app.config.get(name, default))
    except (TypeError, ValueError):
        return default
    return value if value > 0 else default


def retry_settings() -> dict:
    """How the kiosk retries a sheet that keeps failing: the first pause (doubled per try, at
    most ``backoff_max``) and the number of tries after which the sheet is set aside."""
    backoff = _seconds("KIOSK_BACKOFF_SECONDS", _seconds("KIOSK_RETRY_SECONDS", 20))
    try:
        attempts = int(current_app.config.get("KIOSK_SETASIDE_ATTEMPTS", 8))
    except (TypeError, ValueError):
        attempts = 8
    return {"backoff": backoff,
            "backoff_max": max(backoff, _seconds("KIOSK_BACKOFF_MAX_SECONDS", 16 * backoff)),
            "attempts": attempts if attempts > 0 else 8}


def other_last(areas) -> list:
    """A counter's service areas with "other" (``KHAC``) at the end, where citizens look for it."""
    return sorted(areas, key=lambda a: a.code == OTHER_AREA)


def audio_root() -> Path:
    """The folder ``make audio`` fills: ``KIOSK_AUDIO_FOLDER``, else ``instance/audio``."""
    configured = current_app.config.get("KIOSK_AUDIO_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "audio"


def audio_urls(questionnaire) -> dict[str, dict[str, str]]:
    """{lang: {item: URL}} of the spoken questions generated for this questionnaire version;
    empty maps when none were made (the kiosk then uses the device's voice, or hides Nghe)."""
    code, version = questionnaire.code, questionnaire.version
    names = audio.available(audio_root(), code, version)
    return audio.audio_map(names, questionnaire.definition, lambda name: url_for(
        "kiosk.audio_file", code=code, version=version, name=name))


def reason_settings(questionnaire) -> dict:
    """What the kiosk's reasons screen needs: the threshold (``LOW_RATING_MAX``), each item's
    topic and each topic's reasons with their labels in every language."""
    code, topics, lists = questionnaire.code, {}, {}
    for item, element in item_elements(questionnaire.definition).items():
        topic = topics[item] = topic_of(code, element)
        lists.setdefault(topic, [{"code": r.code, "label": r.label}
                                 for r in reasons_for(code, element)])
    return {"low_rating_max": low_rating_max(), "reason_topics": topics, "reason_lists": lists,
            "comment_max": COMMENT_MAX_LEN}


def kiosk_settings(counter, questionnaire) -> dict:
    """Everything the kiosk script needs, embedded in the page so it renders offline."""
    config = current_app.config
    return {
        **retry_settings(),
        "token": counter.token,
        "counter": counter.name,
        "agency": counter.agency.name,
        "areas": [{"code": a.code, "vi": a.name_vi, "en": a.name_en}
                  for a in other_last(counter.service_areas)],
        "other_area": OTHER_AREA,
        "questionnaire": questionnaire.definition,
        "version": questionnaire.version,
        "idle": _positive_arg("idle", int(config.get("KIOSK_IDLE_SECONDS", 90))),
        "thanks": _positive_arg("thanks", int(config.get("KIOSK_THANKS_SECONDS", 6))),
        "retry": int(config.get("KIOSK_RETRY_SECONDS", 20)),
        "api": url_for("api.create_response"),
        "duty_api": url_for("api.duty_sign_on"),
        "duty_end_api": url_for("api.duty_sign_off"),
        "sw": url_for("kiosk.service_worker"),
        "cache": f"sipas-kiosk-{assets_version()}",
        "assets": asset_urls(),
        "texts": _texts(),
        "audio": audio_urls(questionnaire),
        **reason_settings(questionnaire),
    }


@bp.get("/<token>")
def kiosk(token: str):
    """The kiosk page of a counter."""
    found = lookup(token)
    if found.state != "ok":
        return token_page(found)
    code = request.args.get("q") or current_app.config.get("CITIZEN_QUESTIONNAIRE", "sipas")
    questionnaire = latest_questionnaire(db.session, code)
    if questionnaire is None:
        questionnaire = latest_questionnaire(db.session, "sipas")
    settings = kiosk_settings(found.counter, questionnaire)
    response = current_app.make_response(render_template(
        "kiosk/kiosk.html", settings=settings, css=settings["assets"][0],
        js=settings["assets"][1]))
    response.headers["Cache-Control"] = "no-cache"
    return response


_AUDIO_NAME = re.compile(r"[\w-]{1,16}(\.(label|intro))?\.(vi|en)\.wav")


@bp.get("/audio/<code>/<int:version>/<name>")
def audio_file(code: str, version: int, name: str):
    """One spoken question (``make audio``); Range requests work, so media elements can seek."""
    if not _AUDIO_NAME.fullmatch(name) or not re.fullmatch(r"[A-Za-z0-9_-]{1,32}", code):
        abort(404)
    folder = audio.version_folder(audio_root(), code, version)
    return send_from_directory(folder, name, mimetype="audio/wav", conditional=True,
                               max_age=86400)


@bp.get("/sw.js")
def service_worker():
    """The service worker; served under /kiosk/ so its scope covers every kiosk page."""
    body = render_template("kiosk/sw.js", cache=f"sipas-kiosk-{assets_version()}",
                           assets=asset_urls())
    return Response(body, mimetype="application/javascript", headers={
        "Service-Worker-Allowed": url_for("kiosk.service_worker").rsplit("/", 1)[0] + "/",
        "Cache-Control": "no-cache"})


def _poster_parts(token: str):
    found = lookup(token)
    if found.state != "ok":
        return found, None
    url = current_app.config.get("PUBLIC_BASE_URL", request.host_url).rstrip("/") + url_for(
        "public.questionnaire_form", token=token)
    return found, url


def poster_lines() -> list[str]:
    """The invitation printed on posters."""
    return [_("Please tell us how satisfied you are"),
            _("Scan the code with your phone camera."),
            _("Anonymous, about one minute.")]


@bp.get("/poster/<token>.svg")
def poster_image(token: str):
    """The A4 (or ``?size=a5``) poster of a counter as an SVG document."""
    found, url = _poster_parts(token)
    if url is None:
        return token_page(found)
    size = request.args.get("size", "a4").lower()
    svg = poster_svg(url, found.counter.agency.name, found.counter.name, poster_lines(), size)
    return Response(svg, mimetype="image/svg+xml")


@bp.get("/poster/<token>")
def poster_page(token: str):
    """A print-ready HTML poster, A4 by default or ``?size=a5``."""
    found, url = _poster_parts(token)
    if url is None:
        return token_page(found)
    size = request.args.get("size", "a4").lower()
    size = size if size in SIZES else "a4"
    return render_template("kiosk/poster.html", counter=found.counter, url=url, size=size,
                           qr=qr_svg(url), lines=poster_lines(), token=token)
