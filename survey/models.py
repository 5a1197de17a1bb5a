"""The domain model: agencies, counters, officers, questionnaires, responses, totals, users,
alerts, audit."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from .codes import (  # noqa: F401  (re-exported: the code lists belong to the model)
    AGENCY_LEVELS,
    ALERT_KINDS,
    ALERT_STATUSES,
    CHANNELS,
    DELIVERY_STATUSES,
    FOLLOW_UP_KINDS,
    FOLLOW_UP_STATUSES,
    IMPORT_MODES,
    ROLES,
    STATUSES,
)
from .extensions import db


def utcnow() -> datetime:
    """Timezone-aware current time in UTC."""
    return datetime.now(UTC)


counter_service_areas = sa.Table(
    "counter_service_areas",
    db.metadata,
    sa.Column("counter_id", sa.ForeignKey("counters.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("service_area_id", sa.ForeignKey("service_areas.id"), primary_key=True),
)


class Agency(db.Model):
    """A state body (Sở, UBND huyện, UBND xã) in the province's tree."""

    __tablename__ = "agencies"
    __table_args__ = (sa.CheckConstraint("level BETWEEN 1 AND 3", name="level_range"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    level: Mapped[int] = mapped_column(sa.SmallInteger)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Agency | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Agency]] = relationship(back_populates="parent")
    counters: Mapped[list[Counter]] = relationship(back_populates="agency")

    def subtree_ids(self) -> list[int]:
        """Ids of this agency and all its descendants."""
        ids, todo = [], [self]
        while todo:
            node = todo.pop()
            ids.append(node.id)
            todo.extend(node.children)
        return ids


class ServiceArea(db.Model):
    """A field of administrative procedures (lĩnh vực): land, civil status, construction…"""

    __tablename__ = "service_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name_vi: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200))


class Procedure(db.Model):
    """An administrative procedure (thủ tục hành chính) with its national code."""

    __tablename__ = "procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(300))
    service_area_id: Mapped[int] = mapped_column(sa.ForeignKey("service_areas.id"), index=True)

    service_area: Mapped[ServiceArea] = relationship()


class Counter(db.Model):
    """A one-stop counter (quầy một cửa) of an agency, reached by its unguessable token."""

    __tablename__ = "counters"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    agency: Mapped[Agency] = relationship(back_populates="counters")
    service_areas: Mapped[list[ServiceArea]] = relationship(
        secondary=counter_service_areas, order_by=ServiceArea.code)


class RetiredToken(db.Model):
    """A counter token that was rotated away: its URLs show a friendly page."""

    __tablename__ = "retired_tokens"

    token: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id"), index=True)
    retired_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Officer(db.Model):
    """A one-stop officer (cán bộ, công chức một cửa) of an agency; signs on at a counter's
    tablet with a PIN (stored hashed) so responses carry who served the citizen."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    pin_hash: Mapped[str | None] = mapped_column(sa.String(256))
    active: Mapped[bool] = mapped_column(default=True)
    failed_pins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    agency: Mapped[Agency] = relationship()

    def set_pin(self, pin: str) -> None:
        """Store a salted hash of ``pin``."""
        self.pin_hash = generate_password_hash(pin)

    def check_pin(self, pin: str) -> bool:
        """Whether ``pin`` matches the stored hash (False when no PIN is set)."""
        return bool(self.pin_hash) and check_password_hash(self.pin_hash, pin)


class OfficerShift(db.Model):
    """An officer on duty at a counter from ``started_at`` until ``ended_at`` (open: on duty
    now). A kiosk response submitted during a shift carries its officer."""

    __tablename__ = "officer_shifts"
    __table_args__ = (sa.Index("ix_officer_shifts_counter_started", "counter_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id"))
    officer_id: Mapped[int] = mapped_column(sa.ForeignKey("officers.id"), index=True)
    started_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    ended_reason: Mapped[str | None] = mapped_column(sa.String(32))

    counter: Mapped[Counter] = relationship()
    officer: Mapped[Officer] = relationship()


class Questionnaire(db.Model):
    """One published version of a questionnaire; its definition never changes once stored."""

    __tablename__ = "questionnaires"
    __table_args__ = (sa.UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), index=True)
    version: Mapped[int] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(300))
    definition: Mapped[dict] = mapped_column(sa.JSON)
    checksum: Mapped[str] = mapped_column(sa.String(64))
    published_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Response(db.Model):
    """One citizen's submitted questionnaire; never deleted, only flagged or excluded."""

    __tablename__ = "responses"
    __table_args__ = (
        sa.UniqueConstraint("questionnaire_code", "dossier_hash"),
        sa.CheckConstraint("channel IN ('kiosk', 'qr', 'import')", name="channel_known"),
        sa.CheckConstraint("status IN ('valid', 'flagged', 'excluded')", name="status_known"),
        sa.Index("ix_responses_agency_date", "agency_id", "survey_date"),
        sa.Index("ix_responses_area_date", "service_area_id", "survey_date"),
        sa.Index("ix_responses_counter_date", "counter_id", "survey_date"),
        sa.Index("ix_responses_counter_received", "counter_id", "received_at"),
        sa.Index("ix_responses_fingerprint", "questionnaire_code", "survey_date", "status",
                 "id"),
        sa.Index("ix_responses_officer_date", "officer_id", "survey_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[uuid.UUID] = mapped_column(sa.Uuid, unique=True)
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaires.id"), index=True)
    questionnaire_code: Mapped[str] = mapped_column(sa.String(32))
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    service_area_id: Mapped[int] = mapped_column(sa.ForeignKey("service_areas.id"))
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("officers.id"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    survey_date: Mapped[date] = mapped_column(sa.Date, index=True)
    started_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    submitted_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    duration_seconds: Mapped[float | None] = mapped_column(sa.Float)
    dossier_hash: Mapped[str | None] = mapped_column(sa.String(64))
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(16), default="valid", index=True)
    # One character per item of the questionnaire version ('1'–'5', '-' = unanswered): a
    # compact copy of the Answer rows so reports read one row per response.
    item_values: Mapped[str | None] = mapped_column(sa.String(64))
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    gender: Mapped[str | None] = mapped_column(sa.String(32))
    age_band: Mapped[str | None] = mapped_column(sa.String(32))
    occupation: Mapped[str | None] = mapped_column(sa.String(32))
    education: Mapped[str | None] = mapped_column(sa.String(32))
    ethnicity: Mapped[str | None] = mapped_column(sa.String(32))
    # Field surveys (channel ``import``): how the interviewer asked, and the file it came in.
    import_mode: Mapped[str | None] = mapped_column(sa.String(16))
    field_import_id: Mapped[int | None] = mapped_column(sa.ForeignKey("field_imports.id"),
                                                        index=True)

    questionnaire: Mapped[Questionnaire] = relationship()
    counter: Mapped[Counter] = relationship()
    agency: Mapped[Agency] = relationship()
    service_area: Mapped[ServiceArea] = relationship()
    officer: Mapped[Officer | None] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="response", cascade="save-update, merge")
    flags: Mapped[list[ResponseFlag]] = relationship(back_populates="response")


def encode_item_values(item_codes: list[str], answers: dict[str, int]) -> str:
    """The ``item_values`` string of a response with ``answers`` (item code → value)."""
    return "".join(str(answers[code]) if code in answers else "-" for code in item_codes)


@sa.event.listens_for(Session, "before_flush")
def _fill_item_values(session, _context, _instances) -> None:
    """Give every new response its ``item_values`` from its answers."""
    from .questionnaires import item_codes

    for obj in session.new:
        if isinstance(obj, Response) and obj.item_values is None and obj.answers:
            with session.no_autoflush:
                questionnaire = obj.questionnaire or session.get(
                    Questionnaire, obj.questionnaire_id)
            obj.item_values = encode_item_values(
                item_codes(questionnaire.definition),
                {a.item_code: a.value for a in obj.answers})


class CountVector(sa.types.TypeDecorator):
    """A slice's integer sums: ``bigint[]`` on PostgreSQL (added element by element in SQL),
    little-endian int64 bytes elsewhere. Python sees a list of ints."""

    impl = sa.LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import ARRAY
            return dialect.type_descriptor(ARRAY(sa.BigInteger))
        return dialect.type_descriptor(sa.LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None or dialect.name == "postgresql":
            return None if value is None else [int(v) for v in value]
        import array
        return array.array("q", (int(v) for v in value)).tobytes()

    def process_result_value(self, value, dialect):
        if value is None or dialect.name == "postgresql":
            return value
        import array
        out = array.array("q")
        out.frombytes(value)
        return out.tolist()


class ResponseSum(db.Model):
    """Sums of the counted responses of one slice: a month, questionnaire version, agency,
    service area, counter, channel and status (``survey.sums`` keeps them current,
    ``survey.slices`` reads, rebuilds and checks them; the layout of ``counts`` is
    ``analysis.slices``'s)."""

    __tablename__ = "response_sums"
    __table_args__ = (
        sa.UniqueConstraint("month", "questionnaire_id", "agency_id", "service_area_id",
                            "counter_id", "channel", "status", name="uq_response_sums_slice"),
        sa.CheckConstraint("status IN ('valid', 'flagged')", name="sum_status_counted"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(sa.String(7))
    questionnaire_id: Mapped[int] = mapped_column(sa.ForeignKey("questionnaires.id"))
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    service_area_id: Mapped[int] = mapped_column(sa.ForeignKey("service_areas.id"))
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16))
    rows: Mapped[int] = mapped_column(sa.Integer)
    id_sum: Mapped[int] = mapped_column(sa.BigInteger)
    counts: Mapped[list] = mapped_column(CountVector)


DATABASE_ONLY_COLUMNS = frozenset({("response_sums", "counts_packed")})
"""Columns a migration adds on one database only and the model does not map: PostgreSQL's
``response_sums.counts_packed`` (a generated binary copy of ``counts`` that ``survey.slices``
reads with the driver directly). Alembic's comparison of model and database skips them."""


def compared_by_alembic(obj, name: str, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's ``include_object``: everything but a :data:`DATABASE_ONLY_COLUMNS` column."""
    if type_ == "column" and reflected and compare_to is None:
        return (obj.table.name, name) not in DATABASE_ONLY_COLUMNS
    return True


class ImportedSums(db.Model):
    """A province's design moments of a period, imported by a national instance
    (``survey.rollup``): the roll-up without microdata."""

    __tablename__ = "imported_sums"
    __table_args__ = (sa.UniqueConstraint("province_code", "period", "questionnaire_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(sa.String(32))
    province_name: Mapped[str] = mapped_column(sa.String(200))
    period: Mapped[str] = mapped_column(sa.String(32))
    questionnaire_code: Mapped[str] = mapped_column(sa.String(32))
    questionnaire_version: Mapped[int] = mapped_column(sa.Integer)
    checksum: Mapped[str] = mapped_column(sa.String(64))
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    responses: Mapped[int] = mapped_column(sa.Integer)
    document: Mapped[dict] = mapped_column(sa.JSON)
    imported_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class Answer(db.Model):
    """The value a response gave one item; an unanswered item has no row."""

    __tablename__ = "answers"
    __table_args__ = (sa.CheckConstraint("value BETWEEN 1 AND 5", name="value_range"),)

    response_id: Mapped[int] = mapped_column(
        sa.ForeignKey("responses.id"), primary_key=True)
    item_code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    value: Mapped[int] = mapped_column(sa.SmallInteger)

    response: Mapped[Response] = relationship(back_populates="answers")


class ResponseFlag(db.Model):
    """A data-quality observation on a response (automatic or by hand)."""

    __tablename__ = "response_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    detail: Mapped[str | None] = mapped_column(sa.Text)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)

    response: Mapped[Response] = relationship(back_populates="flags")


class PopulationTotal(db.Model):
    """Dossiers handled by an agency in a service area in a period: the weighting target."""

    __tablename__ = "population_totals"
    __table_args__ = (
        sa.UniqueConstraint("period", "agency_id", "service_area_id"),
        sa.CheckConstraint("dossiers >= 0", name="dossiers_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(16), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    service_area_id: Mapped[int] = mapped_column(sa.ForeignKey("service_areas.id"))
    dossiers: Mapped[int] = mapped_column()

    agency: Mapped[Agency] = relationship()
    service_area: Mapped[ServiceArea] = relationship()


class User(UserMixin, db.Model):
    """A workspace user; agency viewers see only their agency's subtree."""

    __tablename__ = "users"
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'analyst', 'agency_viewer', 'officer')",
                           name="role_known"),
        sa.CheckConstraint("role <> 'agency_viewer' OR agency_id IS NOT NULL",
                           name="viewer_has_agency"),
        sa.CheckConstraint("role <> 'officer' OR officer_id IS NOT NULL",
                           name="officer_user_has_officer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[str] = mapped_column(sa.String(16))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    officer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("officers.id"))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    agency: Mapped[Agency | None] = relationship()
    officer: Mapped[Officer | None] = relationship()

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def set_password(self, password: str) -> None:
        """Store a salted hash of ``password``."""
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)


class AuditEvent(db.Model):
    """Who changed what in the workspace, with the values before and after."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    entity: Mapped[str] = mapped_column(sa.String(64))
    entity_id: Mapped[str | None] = mapped_column(sa.String(64))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)

    user: Mapped[User | None] = relationship()


class Alert(db.Model):
    """Something an analyst should look at: a unit's index dropping (``drop``), a tablet gone
    silent (``silent``) or a fraud signal (``top_burst``, ``off_hours``, ``identical``). Found
    by ``survey.alerts``; stored once per ``key``; never acts on responses (flags are advice)."""

    __tablename__ = "alerts"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('drop', 'silent', 'top_burst', 'off_hours', 'identical')",
                           name="alert_kind_known"),
        sa.CheckConstraint("status IN ('open', 'dismissed', 'confirmed')",
                           name="alert_status_known"),
        sa.Index("ix_alerts_detected", "detected_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    level: Mapped[str] = mapped_column(sa.String(16))     # counter, agency, officer
    unit_id: Mapped[int] = mapped_column(sa.Integer)
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    starts: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    ends: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    size: Mapped[float | None] = mapped_column(sa.Float)  # points of drop, hours, count
    p_value: Mapped[float | None] = mapped_column(sa.Float)
    q_value: Mapped[float | None] = mapped_column(sa.Float)
    evidence: Mapped[dict] = mapped_column(sa.JSON)
    detected_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    note: Mapped[str | None] = mapped_column(sa.Text)
    reviewed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    agency: Mapped[Agency | None] = relationship()


class DigestDelivery(db.Model):
    """One user's daily alert digest: written first, then sent; a failure is kept with its
    error and retried, so no digest is lost silently."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("day", "user_id"),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')",
                           name="delivery_status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    alerts: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    user: Mapped[User] = relationship()


class ApiClient(db.Model):
    """A province system (the one-stop software) allowed to ask for dossier invitations. Its
    key is shown once and stored hashed; ``key_prefix`` finds the row without the secret. An
    ``agency_id`` limits it to that agency's subtree; none means the whole province."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    key_prefix: Mapped[str] = mapped_column(sa.String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(sa.String(256))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    agency: Mapped[Agency | None] = relationship()


class Invitation(db.Model):
    """A signed, expiring link issued for one dossier at a counter: opening it shows the QR
    form with the dossier already bound. ``nonce`` is what the signed token carries."""

    __tablename__ = "invitations"
    __table_args__ = (sa.Index("ix_invitations_dossier", "questionnaire_code", "dossier_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(sa.String(32), unique=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_clients.id"), index=True)
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id"))
    service_area_id: Mapped[int] = mapped_column(sa.ForeignKey("service_areas.id"))
    questionnaire_code: Mapped[str] = mapped_column(sa.String(32))
    dossier_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    response_id: Mapped[int | None] = mapped_column(sa.ForeignKey("responses.id"))

    client: Mapped[ApiClient] = relationship()
    counter: Mapped[Counter] = relationship()
    service_area: Mapped[ServiceArea] = relationship()


class ResponseReason(db.Model):
    """A reason a citizen chose for rating an item low (a code of the element's short list)."""

    __tablename__ = "response_reasons"

    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id"), primary_key=True)
    item_code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    reason_code: Mapped[str] = mapped_column(sa.String(32), primary_key=True)


class ResponseComment(db.Model):
    """What a citizen wrote in their own words, and whether they asked for it to be handled as
    a complaint: stored apart from the answers (exports and reports never read it), shown to
    staff only."""

    __tablename__ = "response_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id"), unique=True)
    text: Mapped[str | None] = mapped_column(sa.Text)
    complaint: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)


class FollowUp(db.Model):
    """Something an agency must answer: a low rating with a reason, or a citizen's complaint.
    Opened with the response; due a configurable number of working days later."""

    __tablename__ = "follow_ups"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('low_rating', 'complaint')", name="follow_up_kind_known"),
        sa.CheckConstraint("status IN ('open', 'in_progress', 'done')",
                           name="follow_up_status_known"),
        sa.Index("ix_follow_ups_agency_opened", "agency_id", "opened_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(sa.ForeignKey("responses.id"), unique=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    counter_id: Mapped[int] = mapped_column(sa.ForeignKey("counters.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    dossier_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    opened_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
    due_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    response_text: Mapped[str | None] = mapped_column(sa.Text)
    handled_by: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    handled_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    response: Mapped[Response] = relationship()
    agency: Mapped[Agency] = relationship()
    counter: Mapped[Counter] = relationship()
    handler: Mapped[User | None] = relationship()


class FieldImport(db.Model):
    """One file of paper or telephone interviews stored as responses (channel ``import``):
    all its rows or none."""

    __tablename__ = "field_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    rows: Mapped[int] = mapped_column(sa.Integer)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), default=utcnow)
