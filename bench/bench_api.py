"""Benchmark of POST /api/v1/responses: gunicorn workers on a throwaway PostgreSQL database.

Creates the database, migrates and seeds it, starts gunicorn on a free local port, posts N valid
submissions from a few client threads, checks the stored count, prints the figures, cleans up.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TOTAL = int(os.environ.get("BENCH_SUBMISSIONS", "3000"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
TIME_LIMIT = float(os.environ.get("BENCH_TIME_LIMIT", "45"))
ITEMS = ["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4", "TT5", "CC1", "CC2", "CC3",
         "CC4", "CC5", "CC6", "KQ1", "KQ2", "KQ3", "GY1", "GY2", "GY3", "GY4", "HL"]


def free_port() -> int:
    """A free TCP port on localhost."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def admin_sql(statement: str) -> None:
    """Run one statement on the maintenance database (autocommit)."""
    import sqlalchemy as sa

    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def seed(url: str) -> list[str]:
    """Migrate, load the questionnaires and a small province; return the counter tokens."""
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
        counters = [Counter(code=f"SNV-Q{i}", name=f"Quầy {i}", agency=agency, token=new_token(),
                            service_areas=[area]) for i in range(1, 9)]
        db.session.add_all([area, agency, *counters])
        db.session.commit()
        tokens = [c.token for c in counters]
        db.engine.dispose()
    return tokens


def start_gunicorn(url: str, port: int) -> subprocess.Popen:
    """Start gunicorn and wait until /healthz answers."""
    env = {**os.environ, "SIPAS_DATABASE_URL": url, "SIPAS_RATELIMIT_ENABLED": "false"}
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
         "--log-level", "warning", "survey:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])


def payload(token: str, n: int) -> bytes:
    """One valid submission with varied answers."""
    now = datetime.now(timezone.utc)
    answers = {code: 1 + (n + i) % 5 for i, code in enumerate(ITEMS) if (n + i) % 4}
    return json.dumps({
        "id": str(uuid.uuid4()), "counter": token, "questionnaire": "sipas", "channel": "kiosk",
        "answers": answers, "started_at": (now - timedelta(seconds=120)).isoformat(),
        "submitted_at": now.isoformat()}).encode()


def client(port: int, tokens: list[str], count: int, offset: int, latencies: list[float],
           failures: list[int], deadline: float) -> None:
    """Post ``count`` submissions on one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for n in range(offset, offset + count):
        if time.monotonic() > deadline:
            break
        body = payload(tokens[n % len(tokens)], n)
        began = time.perf_counter()
        try:
            conn.request("POST", "/api/v1/responses", body,
                         {"Content-Type": "application/json"})
            reply = conn.getresponse()
            reply.read()
            status = reply.status
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            status = 0
        latencies.append((time.perf_counter() - began) * 1000)
        if status != 201:
            failures.append(status)
    conn.close()


def kiosk_weight(port: int, token: str) -> float:
    """Kilobytes of the kiosk's first load: HTML, CSS and JS."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", f"/kiosk/{token}")
    html = conn.getresponse().read()
    total = len(html)
    for url in re.findall(rb'(?:href|src)="(/static/[^"]+)"', html):
        conn.request("GET", url.decode().replace("&amp;", "&"))
        total += len(conn.getresponse().read())
    conn.close()
    return total / 1024


def stored_count(url: str) -> int:
    """Responses in the benchmark database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM responses")).scalar_one()
    engine.dispose()
    return count


def run(url: str) -> int:
    """Seed, serve, post, verify and print; return the exit status."""
    tokens = seed(url)
    port = free_port()
    server = start_gunicorn(url, port)
    try:
        latencies: list[float] = []
        failures: list[int] = []
        per_client = TOTAL // CLIENTS
        deadline = time.monotonic() + TIME_LIMIT
        threads = [threading.Thread(target=client, args=(
            port, tokens, per_client, i * per_client, latencies, failures, deadline))
            for i in range(CLIENTS)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
        weight = kiosk_weight(port, tokens[0])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    sent, stored = len(latencies), stored_count(url)
    ok = sent - len(failures)
    cuts = statistics.quantiles(latencies, n=100)
    print(f"API: {stored / elapsed:.0f} submissions/s stored (gunicorn {WORKERS} workers, "
          f"PostgreSQL), p50 {cuts[49]:.1f} ms, p95 {cuts[94]:.1f} ms")
    print(f"     {sent} posted by {CLIENTS} clients in {elapsed:.1f} s; {ok} answered 201; "
          f"{stored} stored")
    print(f"Kiosk first load: {weight:.1f} kB (HTML + CSS + JS)")
    if failures or stored != ok:
        print(f"FAILED: statuses {sorted(set(failures))}, stored {stored} != created {ok}")
        return 1
    return 0


def main() -> int:
    """Create the throwaway database, run the benchmark, drop the database."""
    if not shutil.which(str(VENV_BIN / "gunicorn")):
        print("gunicorn is not installed in the virtual environment")
        return 1
    name = f"sipas_bench_{os.getpid()}"
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    admin_sql(f'CREATE DATABASE "{name}"')
    try:
        return run(url)
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
