"""API clients of the one-stop system: keys made once, stored hashed, found by their prefix.

A key is ``secrets.token_urlsafe(32)`` (256 random bits). Its first ``PREFIX_LEN`` characters
are stored in clear to find the row; the whole key only as its SHA-256 (a fast hash is enough for
a secret of that entropy: there is nothing to guess), compared in constant time.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from .. import audit
from ..models import Agency, ApiClient, User, utcnow
from ..responses import safe_text

PREFIX_LEN = 12
KEY_BYTES = 32
KEY_MAX_LEN = 128
NAME_MAX_LEN = 200
_KEY_CHARS = re.compile(rf"[A-Za-z0-9_-]{{1,{KEY_MAX_LEN}}}")
FIELDS = ("name", "key_prefix", "agency_id", "active", "revoked_at")


class ClientError(ValueError):
    """A client that cannot be created as asked (the message says why)."""


@dataclass(frozen=True)
class NewClient:
    """A client just made and its key: the only moment the key exists in clear."""

    client: ApiClient
    key: str


def hash_key(key: str) -> str:
    """The stored form of ``key`` (hex SHA-256)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _new_key(session: Session) -> str:
    """A fresh key whose prefix no client has yet."""
    while True:
        key = secrets.token_urlsafe(KEY_BYTES)
        taken = session.scalar(sa.select(sa.func.count()).select_from(ApiClient).where(
            ApiClient.key_prefix == key[:PREFIX_LEN]))
        if not taken:
            return key


def create_client(session: Session, user: User | None, name: str,
                  agency: Agency | None = None) -> NewClient:
    """Add a client named ``name`` (limited to ``agency``'s subtree when given), audited; the
    caller commits and shows the key once."""
    name = (name or "").strip()
    if not safe_text(name, NAME_MAX_LEN):
        raise ClientError(f"the name must have 1 to {NAME_MAX_LEN} characters, "
                          "without control characters")
    key = _new_key(session)
    client = ApiClient(name=name, key_prefix=key[:PREFIX_LEN], key_hash=hash_key(key),
                       agency_id=agency.id if agency else None, active=True)
    session.add(client)
    session.flush()
    audit.record(session, user, "create", "api_client", client.id, None,
                 audit.snapshot(client, FIELDS))
    return NewClient(client, key)


def revoke_client(session: Session, user: User | None, client: ApiClient) -> bool:
    """Revoke ``client`` (audited); False when it was already revoked. The caller commits."""
    if not client.active:
        return False
    before = audit.snapshot(client, FIELDS)
    client.active, client.revoked_at = False, utcnow()
    audit.record(session, user, "revoke", "api_client", client.id, before,
                 audit.snapshot(client, FIELDS))
    return True


def bearer_key(header: str | None) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header, or None when it is not one."""
    if not header or len(header) > KEY_MAX_LEN + 16:
        return None
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not _KEY_CHARS.fullmatch(key):
        return None
    return key


def authenticate(session: Session, key: str | None) -> ApiClient | None:
    """The active client whose key is ``key``; None for a missing, unknown or revoked key."""
    if not key or len(key) <= PREFIX_LEN:
        return None
    client = session.scalars(sa.select(ApiClient).where(
        ApiClient.key_prefix == key[:PREFIX_LEN])).first()
    if client is None or not hmac.compare_digest(client.key_hash, hash_key(key)):
        return None
    return client if client.active else None


def find_by_prefix(session: Session, prefix: str) -> ApiClient | None:
    """The client whose key starts with ``prefix`` (the whole prefix, or the whole key)."""
    prefix = (prefix or "").strip()[:PREFIX_LEN]
    if len(prefix) < PREFIX_LEN or not _KEY_CHARS.fullmatch(prefix):
        return None
    return session.scalars(sa.select(ApiClient).where(ApiClient.key_prefix == prefix)).first()
