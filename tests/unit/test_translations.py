"""Vietnamese first: every text marked for translation has a Vietnamese translation."""
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("survey/**.py", "python"), ("templates/**.html", "jinja2"),
           ("templates/**.txt", "jinja2")]
#: Babel's keywords and the lazy ones the app marks texts with (``_l``, ``lazy_gettext``).
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def _vietnamese_catalogue() -> dict[str, str]:
    translations = {}
    for po in sorted((ROOT / "survey" / "translations").glob("*/vi/LC_MESSAGES/messages.po")):
        with open(po, "rb") as handle:
            for message in read_po(handle):
                if message.id and message.string:
                    key = message.id if isinstance(message.id, str) else message.id[0]
                    translations[key] = message.string
    return translations


def _marked_messages() -> dict[str, str]:
    found = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS):
        key = message if isinstance(message, str) else message[0]
        found[key] = filename
    return found


def test_every_marked_text_has_a_vietnamese_translation():
    catalogue = _vietnamese_catalogue()
    missing = {m: f for m, f in _marked_messages().items() if m not in catalogue}
    assert not missing, "untranslated: " + "; ".join(f"{f}: {m!r}" for m, f in sorted(missing.items()))


def test_landing_page_is_vietnamese_by_default_and_english_on_request(client):
    assert "Cán bộ đăng nhập" in client.get("/").get_data(as_text=True)
    assert "Staff sign-in" in client.get("/?lang=en").get_data(as_text=True)
    assert "Staff sign-in" in client.get("/").get_data(as_text=True)
