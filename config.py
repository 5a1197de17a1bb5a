"""Configuration classes; every setting can be overridden by a ``SIPAS_*`` environment variable."""
from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"


def _env(name: str, default: object) -> object:
    """Read ``SIPAS_<name>`` and convert it to the type of ``default``."""
    raw = os.environ.get(f"SIPAS_{name}")
    if raw is None:
        return default
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    return raw


class Config:
    """Defaults for a local installation: SQLite under ``instance/``."""

    ENV_NAME = "default"
    SECRET_KEY = DEFAULT_SECRET_KEY
    SQLALCHEMY_DATABASE_URI = f"sqlite:///{INSTANCE_DIR / 'sipas.db'}"
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {}  # no pre-ping: responses.py retries instead
    BABEL_DEFAULT_LOCALE = "vi"
    BABEL_DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
    LANGUAGES = ("vi", "en")
    WTF_CSRF_TIME_LIMIT = 12 * 3600  # a citizen may keep the QR form open a long while
    RATELIMIT_HEADERS_ENABLED = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    PUBLIC_BASE_URL = "http://127.0.0.1:5000"
    DOSSIER_HASH_KEY = ""
    KIOSK_IDLE_SECONDS = 90
    KIOSK_THANKS_SECONDS = 6
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_COUNTER = "120 per minute"
    RATELIMIT_CLIENT = "60 per minute"
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCK_SECONDS = 300
    COUNTER_SILENT_DAYS = 7
    KIOSK_RETRY_SECONDS = 20
    CITIZEN_QUESTIONNAIRE = "sipas"
    API_RETRY_AFTER_SECONDS = 30
    QUALITY_MIN_SECONDS_PER_ITEM = 1.0
    QUALITY_STRAIGHTLINE_MIN_ITEMS = 8
    QUALITY_BURST_COUNT = 5
    QUALITY_BURST_SECONDS = 60
    QUALITY_WINDOW_STORAGE_URI = ""    # burst window store; empty: the rate limits' storage
    LOOKUP_CACHE_SECONDS = 30.0        # how long a process trusts its cached counters
    KIOSK_AUDIO_FOLDER = ""            # spoken questions (make audio); empty: instance/audio
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    KIOSK_BACKOFF_SECONDS = 20         # first pause before a failing sheet is tried again
    KIOSK_BACKOFF_MAX_SECONDS = 320    # the pause doubles per try up to this
    KIOSK_SETASIDE_ATTEMPTS = 8        # tries after which a failing sheet is set aside
    API_MAX_BODY_BYTES = 64 * 1024     # a submission is about 1 kB
    REPORT_MIN_CELL_RESPONSES = 2      # smaller weighting cells are merged (ESTIMATION.md)
    REPORT_LOW_COVERAGE = 2.0          # responses per 100 dossiers below this are marked
    PROVINCE_CODE = ""                 # this province in a national roll-up (export-sums)
    PROVINCE_NAME = ""
    REPORT_SOURCE = "sums"             # sums: stored slice sums; rows: every response read
    HSTS_MAX_AGE = 0                   # seconds of Strict-Transport-Security; 0: no header
    OFFICER_MIN_RESPONSES = 30         # an officer's results are shown from this many answers
    OFFICER_PIN_MAX_FAILURES = 5       # wrong PINs in a row before the officer is locked out
    OFFICER_PIN_LOCK_SECONDS = 900
    WORKING_HOURS = "07:30-11:30,13:30-17:00"  # one-stop opening hours, local time
    WORKING_DAYS = "1-5"               # ISO weekdays (1 = Monday); e.g. "1-5,6" for Saturdays
    HOLIDAYS = ""                      # extra closed days: "2027-01-01,2027-02-15:2027-02-19"
    SILENT_WORKING_HOURS = 8           # a kiosk tablet silent this long raises an alert …
    SILENT_P_VALUE = 0.001             # … when its own rate makes the silence this unlikely
    ALERT_WEEKS = 26                   # weeks of history the drop and fraud checks read
    ALERT_REVIEW_DAYS = 28             # the period the fraud checks review
    MAIL_SERVER = ""                   # SMTP server of the digest; empty: no digest is sent
    MAIL_PORT = 25
    MAIL_USE_TLS = False               # STARTTLS
    MAIL_USE_SSL = False
    MAIL_USERNAME = ""
    MAIL_PASSWORD = ""
    MAIL_SENDER = "sipas@localhost"
    MAIL_TIMEOUT_SECONDS = 20
    DIGEST_MAX_ATTEMPTS = 5            # a failing digest is retried this many runs, then shown
    LOW_RATING_MAX = 2                 # a rating at or below this asks the citizen why
    FOLLOW_UP_WORKING_DAYS = 5         # an agency answers a follow-up within this many days
    PORTAL_SATISFIED_TARGET = 0.90     # the portal's target share of satisfied ratings
    INVITATION_TTL_DAYS = 30           # a dossier invitation link expires after this
    RATELIMIT_INVITATIONS = "300 per minute"   # per API key of the one-stop system

    _OVERRIDABLE = (
        "SECRET_KEY", "PUBLIC_BASE_URL", "DOSSIER_HASH_KEY", "KIOSK_IDLE_SECONDS",
        "KIOSK_THANKS_SECONDS", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "RATELIMIT_COUNTER",
        "RATELIMIT_CLIENT", "SESSION_COOKIE_SECURE", "LOGIN_MAX_FAILURES", "LOGIN_LOCK_SECONDS",
        "BABEL_DEFAULT_LOCALE", "WTF_CSRF_TIME_LIMIT", "COUNTER_SILENT_DAYS",
        "MAX_CONTENT_LENGTH", "KIOSK_RETRY_SECONDS", "CITIZEN_QUESTIONNAIRE",
        "API_RETRY_AFTER_SECONDS", "QUALITY_MIN_SECONDS_PER_ITEM",
        "QUALITY_STRAIGHTLINE_MIN_ITEMS", "QUALITY_BURST_COUNT", "QUALITY_BURST_SECONDS",
        "REPORT_MIN_CELL_RESPONSES", "REPORT_LOW_COVERAGE", "REPORT_SOURCE", "PROVINCE_CODE", "PROVINCE_NAME",
        "KIOSK_BACKOFF_SECONDS",
        "KIOSK_BACKOFF_MAX_SECONDS", "KIOSK_SETASIDE_ATTEMPTS", "API_MAX_BODY_BYTES", "HSTS_MAX_AGE",
        "QUALITY_WINDOW_STORAGE_URI", "LOOKUP_CACHE_SECONDS", "KIOSK_AUDIO_FOLDER",
        "OFFICER_MIN_RESPONSES", "OFFICER_PIN_MAX_FAILURES", "OFFICER_PIN_LOCK_SECONDS",
        "WORKING_HOURS", "WORKING_DAYS", "HOLIDAYS", "SILENT_WORKING_HOURS", "SILENT_P_VALUE", "ALERT_WEEKS",
        "ALERT_REVIEW_DAYS", "MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL",
        "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_SENDER", "MAIL_TIMEOUT_SECONDS",
        "DIGEST_MAX_ATTEMPTS", "LOW_RATING_MAX", "FOLLOW_UP_WORKING_DAYS",
        "PORTAL_SATISFIED_TARGET", "INVITATION_TTL_DAYS", "RATELIMIT_INVITATIONS",
    )

    @classmethod
    def as_dict(cls) -> dict:
        """The settings of this class with ``SIPAS_*`` environment overrides applied."""
        settings = {k: getattr(cls, k) for k in dir(cls) if k.isupper()}
        for name in cls._OVERRIDABLE:
            settings[name] = _env(name, settings[name])
        settings["SQLALCHEMY_DATABASE_URI"] = os.environ.get(
            "SIPAS_DATABASE_URL", settings["SQLALCHEMY_DATABASE_URI"])
        return settings


class TestingConfig(Config):
    """Isolated settings for the test suite; the database comes from the test fixture."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    DOSSIER_HASH_KEY = "testing-dossier-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = False


class ProductionConfig(Config):
    """Production: secure cookies, HSTS and a strong secret key are mandatory."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    HSTS_MAX_AGE = 365 * 24 * 3600  # served behind an HTTPS proxy (README, deployment notes)

    @classmethod
    def as_dict(cls) -> dict:
        settings = super().as_dict()
        key = settings["SECRET_KEY"]
        problem = secret_key_problem(key)
        if problem:
            raise RuntimeError(
                f"Refusing to start in production: SIPAS_SECRET_KEY {problem}. Set it to a "
                f"random value of at least {MIN_SECRET_LENGTH} characters, made e.g. with: "
                'python -c "import secrets; print(secrets.token_urlsafe(48))"')
        if not settings["DOSSIER_HASH_KEY"]:
            settings["DOSSIER_HASH_KEY"] = key
        return settings


MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 8  # a random hex key of 32 characters has about 14 distinct ones
OBVIOUS_WORDS = ("secret", "password", "changeme", "insecure", "example", "sipas", "qwerty")


def _shortest_period(key: str) -> int:
    """Length of the shortest unit ``key`` repeats ("abcabcabc" → 3; no repetition → len)."""
    return (key + key).find(key, 1)


def _is_sequence(key: str) -> bool:
    """Whether ``key`` walks the keyboard or the alphabet in a few fixed steps ("abcd…", "1234…")."""
    steps = {ord(b) - ord(a) for a, b in pairwise(key)}
    return len(steps) < 4


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` is too weak for production, or None when it looks random enough.

    Length alone is not enough: 32 × "a" or "abcabc…" are long but guessable, and a key
    that names the app or says "secret" was typed by a person, not generated."""
    if not key or key == DEFAULT_SECRET_KEY:
        return "is not set (or is the development default)"
    if len(key) < MIN_SECRET_LENGTH:
        return f"is shorter than {MIN_SECRET_LENGTH} characters"
    if len(set(key)) < MIN_SECRET_DISTINCT or _shortest_period(key) < len(key) or _is_sequence(key):
        return "is a repeated character or an obvious pattern"
    if any(word in key.lower() for word in OBVIOUS_WORDS):
        return "contains an obvious word"
    return None


CONFIGS = {"default": Config, "testing": TestingConfig, "production": ProductionConfig}


def load_config(name: str | None = None) -> dict:
    """The settings of the named configuration (``SIPAS_CONFIG``, else default)."""
    name = name or os.environ.get("SIPAS_CONFIG", "default")
    if name not in CONFIGS:
        raise RuntimeError(f"Unknown SIPAS_CONFIG {name!r}: use one of {', '.join(CONFIGS)}.")
    settings = CONFIGS[name].as_dict()
    if not settings.get("DOSSIER_HASH_KEY"):
        settings["DOSSIER_HASH_KEY"] = settings["SECRET_KEY"]
    return settings
