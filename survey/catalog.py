"""Writes to the reference data: questionnaires, population totals, counter tokens, users."""
from __future__ import annotations

import csv
import io
import re
import secrets
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import periods
from . import questionnaires as qdefs
from .models import (
    ROLES,
    Agency,
    Counter,
    Officer,
    PopulationTotal,
    Questionnaire,
    RetiredToken,
    ServiceArea,
    User,
)

TOTALS_COLUMNS = ("period", "agency", "service_area", "dossiers")


class CatalogError(ValueError):
    """A change to reference data that was refused; nothing was written."""


def new_token() -> str:
    """An unguessable, URL-safe counter token."""
    return secrets.token_urlsafe(18)


def rotate_token(session: Session, counter: Counter) -> str:
    """Give ``counter`` a new token; the old one is kept so its URLs show a friendly page."""
    session.add(RetiredToken(token=counter.token, counter_id=counter.id))
    counter.token = new_token()
    return counter.token


def publish_questionnaire(session: Session, definition: dict) -> tuple[Questionnaire, bool]:
    """Store a validated definition as a published version; return it and whether it is new.

    Publishing the same (code, version) again with the same content does nothing; with other
    content it is refused, because a published version never changes.
    """
    problems = qdefs.validate(definition)
    if problems:
        raise qdefs.QuestionnaireError(str(definition.get("code", "definition")), problems)
    digest = qdefs.checksum(definition)
    existing = session.scalars(sa.select(Questionnaire).where(
        Questionnaire.code == definition["code"],
        Questionnaire.version == definition["version"])).first()
    if existing is not None:
        if existing.checksum != digest:
            raise CatalogError(
                f"questionnaire {definition['code']} version {definition['version']} is already "
                "published with other content; publish the change as a new version")
        return existing, False
    questionnaire = Questionnaire(code=definition["code"], version=definition["version"],
                                  title=definition["title"]["vi"], definition=definition,
                                  checksum=digest)
    session.add(questionnaire)
    session.flush()
    return questionnaire, True


def load_shipped_questionnaires(session: Session) -> list[str]:
    """Publish every definition file shipped with the app; return the ones that were new."""
    added = []
    for path in qdefs.shipped_files():
        questionnaire, is_new = publish_questionnaire(session, qdefs.load_file(path))
        if is_new:
            added.append(f"{questionnaire.code} v{questionnaire.version}")
    return added


@dataclass
class TotalsReport:
    """Outcome of a totals import: rows written, or the problems that stopped it."""

    imported: int = 0
    updated: int = 0
    problems: list[str] = field(default_factory=list)


def import_totals(session: Session, text: str) -> TotalsReport:
    """Import population totals from CSV text; nothing is written when any row is bad."""
    report = TotalsReport()
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    if sorted(header) != sorted(TOTALS_COLUMNS):
        report.problems.append(
            f"header: expected columns {', '.join(TOTALS_COLUMNS)}; found {', '.join(header) or 'none'}")
        return report
    agencies = dict(session.execute(sa.select(Agency.code, Agency.id)).all())
    areas = dict(session.execute(sa.select(ServiceArea.code, ServiceArea.id)).all())
    parsed, seen = [], set()
    for line, row in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        problems = _check_total_row(row, agencies, areas)
        key = (row["period"], row["agency"], row["service_area"])
        if not problems and key in seen:
            problems.append("duplicate of an earlier row")
        seen.add(key)
        if problems:
            report.problems.extend(f"row {line}: {p}" for p in problems)
            continue
        parsed.append((row["period"], agencies[row["agency"]], areas[row["service_area"]],
                       int(row["dossiers"])))
    if not parsed and not report.problems:
        report.problems.append("the file has no data rows")
    if report.problems:
        return report
    for period, agency_id, area_id, dossiers in parsed:
        current = session.scalars(sa.select(PopulationTotal).where(
            PopulationTotal.period == period, PopulationTotal.agency_id == agency_id,
            PopulationTotal.service_area_id == area_id)).first()
        if current is None:
            session.add(PopulationTotal(period=period, agency_id=agency_id,
                                        service_area_id=area_id, dossiers=dossiers))
            report.imported += 1
        elif current.dossiers != dossiers:
            current.dossiers = dossiers
            report.updated += 1
    session.flush()
    return report


def _check_total_row(row: dict, agencies: dict, areas: dict) -> list[str]:
    problems = []
    if not periods.is_valid(row.get("period", "")) or ".." in row.get("period", ""):
        problems.append(f"period {row.get('period')!r} is not YYYY, YYYY-Qn or YYYY-MM")
    if row.get("agency") not in agencies:
        problems.append(f"unknown agency {row.get('agency')!r}")
    if row.get("service_area") not in areas:
        problems.append(f"unknown service area {row.get('service_area')!r}")
    value = row.get("dossiers", "")
    if not value.lstrip("-").isdigit():
        problems.append(f"dossiers {value!r} is not a whole number")
    elif int(value) < 0:
        problems.append(f"dossiers {value} is negative")
    return problems


EMAIL_MAX_LEN = 254
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}"
                    r"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+\Z")


def valid_email(value: object) -> bool:
    """Whether ``value`` is a plain e-mail address a digest can be sent to (ASCII, one @, a
    dotted domain, no spaces or line breaks)."""
    return isinstance(value, str) and len(value) <= EMAIL_MAX_LEN and bool(_EMAIL.match(value))


def create_user(session: Session, username: str, password: str, role: str,
                agency_code: str | None = None, *, officer_code: str | None = None,
                email: str | None = None) -> User:
    """Create a workspace user; agency viewers must name their agency, officer accounts their
    officer (whose agency becomes the account's)."""
    if role not in ROLES:
        raise CatalogError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise CatalogError("the password must have at least 10 characters")
    if session.scalars(sa.select(User).where(User.username == username)).first():
        raise CatalogError(f"user {username!r} already exists")
    email = (email or "").strip() or None
    if email is not None and not valid_email(email):
        raise CatalogError(f"{email!r} is not an e-mail address")
    agency = None
    if agency_code:
        agency = session.scalars(sa.select(Agency).where(Agency.code == agency_code)).first()
        if agency is None:
            raise CatalogError(f"unknown agency {agency_code!r}")
    if role == "agency_viewer" and agency is None:
        raise CatalogError("an agency_viewer needs --agency CODE")
    officer = _account_officer(session, role, officer_code, agency)
    if officer is not None:
        agency = session.get(Agency, officer.agency_id)
    user = User(username=username, role=role, agency_id=agency.id if agency else None,
                officer_id=officer.id if officer else None, email=email)
    user.set_password(password)
    session.add(user)
    session.flush()
    return user


def _account_officer(session: Session, role: str, officer_code: str | None,
                     agency: Agency | None) -> Officer | None:
    """The officer of an officer account (checked), None for the other roles."""
    if role != "officer":
        if officer_code:
            raise CatalogError("--officer is only for role officer")
        return None
    if not officer_code:
        raise CatalogError("an officer account needs --officer CODE")
    officer = session.scalars(sa.select(Officer).where(Officer.code == officer_code)).first()
    if officer is None:
        raise CatalogError(f"unknown officer {officer_code!r}")
    if not officer.active:
        raise CatalogError(f"officer {officer_code!r} is inactive")
    if agency is not None and agency.id != officer.agency_id:
        raise CatalogError("an officer account has the officer's agency: leave out --agency")
    taken = session.scalar(sa.select(User.username).where(
        User.officer_id == officer.id, User.active.is_(True)).limit(1))
    if taken is not None:
        raise CatalogError(f"officer {officer_code!r} already has the account {taken!r}")
    return officer
