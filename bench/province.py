"""What the benchmarks share: a seeded database, a PostgreSQL database made ready, free ports,
processes.

``seed`` migrates a database with ``flask sipas init`` and adds one agency with ``counters``
counters serving one area; the scripts post to those counters' tokens.
"""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent


def pg_ready(url: str, empty: bool = True) -> bool:
    """Whether PostgreSQL at ``url`` answers; its database is created when missing and, with
    ``empty``, its public schema emptied."""
    import sqlalchemy as sa

    try:
        server = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres",
                                  isolation_level="AUTOCOMMIT")
        name = url.rsplit("/", 1)[1]
        with server.connect() as conn:
            if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"),
                               {"n": name}):
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        server.dispose()
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            if empty:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
        return True
    except sa.exc.SQLAlchemyError:
        return False


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(url: str, counters: int) -> list[str]:
    """Migrate ``url``, load the questionnaires and a one-agency province; the counter tokens."""
    env = {**os.environ, "SIPAS_DATABASE_URL": url}
    subprocess.run([str(VENV_BIN / "flask"), "--app", "survey", "sipas", "init"], cwd=ROOT,
                   env=env, check=True, capture_output=True)
    sys.path.insert(0, str(ROOT))
    from survey import create_app
    from survey.catalog import new_token
    from survey.extensions import db
    from survey.models import Agency, Counter, ServiceArea

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        area = ServiceArea(code="DATDAI", name_vi="Đất đai", name_en="Land")
        agency = Agency(code="SNV", name="Sở Nội vụ", level=1)
        made = [Counter(code=f"SNV-Q{i}", name=f"Quầy {i}", agency=agency, token=new_token(),
                        service_areas=[area]) for i in range(1, counters + 1)]
        db.session.add_all([area, agency, *made])
        db.session.commit()
        tokens = [c.token for c in made]
        db.engine.dispose()
    return tokens


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (gunicorn's workers, for its master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def answers_health(port: int, seconds: float) -> bool:
    """Wait up to ``seconds`` for ``/healthz`` on ``port`` to answer at all."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            conn.getresponse().read()
            return True
        except OSError:
            time.sleep(0.2)
    return False
