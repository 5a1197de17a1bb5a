"""One field-survey file, read, checked and stored all or nothing: what the page and
``flask sipas import-field`` both call."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import FieldImport, User
from .checking import check_table
from .columns import Defaults, load_catalogue
from .problems import Problem
from .reading import read_file


@dataclass
class Outcome:
    """What an import did: the rows stored (0 when refused) and every problem."""

    stored: int = 0
    problems: list[Problem] = field(default_factory=list)
    record: FieldImport | None = None

    @property
    def ok(self) -> bool:
        """Whether the file was stored (nothing is when any problem was found)."""
        return not self.problems


def dossier_key() -> str:
    """The key of the dossier hash, as the submission path uses it."""
    return current_app.config.get("DOSSIER_HASH_KEY") or current_app.config["SECRET_KEY"]


def import_field_file(session: Session, data: bytes, filename: str, defaults: Defaults,
                      user: User | None) -> Outcome:
    """Read, check and store a file of paper or telephone interviews, committing when every
    row is good and rolling back otherwise (nothing partial is ever kept)."""
    limit = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    if limit and len(data) > limit:
        return Outcome(problems=[Problem("too_large", limit=limit)])
    checked = check_table(session, read_file(data), defaults, load_catalogue(session),
                          dossier_key())
    if checked.problems:
        session.rollback()
        return Outcome(problems=checked.problems)
    from .store import sha256, store_rows  # numpy, pandas and the analysis engine

    try:
        record = store_rows(session, checked.rows, filename, sha256(data), user)
        session.commit()
    except IntegrityError:
        session.rollback()
        return Outcome(problems=[Problem("conflict")])
    return Outcome(stored=len(checked.rows), record=record)
