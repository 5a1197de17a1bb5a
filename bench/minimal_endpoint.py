"""The floor for ``bench_api.py``: a bare WSGI endpoint that stores a submission in one statement.

No Flask, no validation beyond ``json.loads``, no flags: it writes the same rows as the product
(the response with its counter's agency, and one answer row per answered item) with one
``INSERT … ON CONFLICT DO NOTHING`` statement in autocommit mode. Served by the same gunicorn
as the product, it shows what the web stack and the database cost by themselves.
"""
from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg

ITEMS = ["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4", "TT5", "CC1", "CC2", "CC3",
         "CC4", "CC5", "CC6", "KQ1", "KQ2", "KQ3", "GY1", "GY2", "GY3", "GY4", "HL"]
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
STATEMENT = """
WITH r AS (
  INSERT INTO responses (uuid, questionnaire_id, questionnaire_code, counter_id, agency_id,
    service_area_id, channel, received_at, survey_date, started_at, submitted_at, status,
    item_values)
  SELECT %(uuid)s, %(questionnaire_id)s, 'sipas', c.id, c.agency_id, s.service_area_id, 'kiosk',
    %(received)s, %(day)s, %(started)s, %(submitted)s, 'valid', %(item_values)s
  FROM counters c JOIN counter_service_areas s ON s.counter_id = c.id
  WHERE c.token = %(token)s LIMIT 1
  ON CONFLICT DO NOTHING RETURNING id
)
INSERT INTO answers (response_id, item_code, value)
SELECT r.id, x.code, x.value FROM r CROSS JOIN unnest(%(codes)s::varchar[], %(values)s::smallint[])
  AS x(code, value)
"""
_connection: psycopg.Connection | None = None
_questionnaire_id: int | None = None


def _conn() -> psycopg.Connection:
    global _connection, _questionnaire_id
    if _connection is None or _connection.closed:
        url = os.environ["SIPAS_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
        _connection = psycopg.connect(url, autocommit=True)
        _questionnaire_id = _connection.execute(
            "SELECT max(id) FROM questionnaires WHERE code = 'sipas'").fetchone()[0]
    return _connection


def app(environ, start_response):
    """POST a submission: 201 with its id."""
    size = int(environ.get("CONTENT_LENGTH") or 0)
    body = json.loads(environ["wsgi.input"].read(size))
    answers = body["answers"]
    received = datetime.now(UTC)
    conn = _conn()
    conn.execute(STATEMENT, {
        "uuid": uuid.UUID(body["id"]), "questionnaire_id": _questionnaire_id,
        "received": received, "day": received.astimezone(LOCAL_TZ).date(),
        "started": datetime.fromisoformat(body["started_at"]),
        "submitted": datetime.fromisoformat(body["submitted_at"]),
        "item_values": "".join(str(answers.get(code, "-")) for code in ITEMS),
        "token": body["counter"], "codes": list(answers), "values": list(answers.values())})
    reply = json.dumps({"id": body["id"], "status": "valid"}).encode()
    start_response("201 Created", [("Content-Type", "application/json"),
                                   ("Content-Length", str(len(reply)))])
    return [reply]
