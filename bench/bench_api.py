"""Benchmark of POST /api/v1/responses beside a minimal insert-only endpoint, in one run.

Creates a throwaway PostgreSQL database, migrates and seeds it, then for each endpoint (the
product under gunicorn, and ``minimal_endpoint.py`` under the same gunicorn settings) posts
valid submissions from 8 and from 50 clients (client processes apart from the server), checks
the stored count against the 201s, and prints stored submissions/s, p50/p95/p99 latency and the
CPU milliseconds per stored submission of the gunicorn workers and of the PostgreSQL backends
serving the benchmark database (read from /proc). Goals (issue 9): ≤ 2 ms CPU per submission,
throughput ≥ 0.6 × the minimal endpoint, p99 < 100 ms at 8 clients.

Environment: ``BENCH_SUBMISSIONS`` per run (default 4000), ``BENCH_WORKERS`` (default 4),
``BENCH_ADMIN_URL``, ``BENCH_TIME_LIMIT`` seconds per run.
"""
from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from province import ROOT, VENV_BIN, answers_health, children, free_port, seed

ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TOTAL = int(os.environ.get("BENCH_SUBMISSIONS", "4000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "4"))
TIME_LIMIT = float(os.environ.get("BENCH_TIME_LIMIT", "60"))
CLIENT_LEVELS = (8, 50)
# Eight counters cannot send 1,000 sheets a second honestly: every one would be flagged as a
# burst. The window is still kept for every submission; only its threshold is out of reach.
BURST_COUNT = 10**9
CLIENT_PROCESSES = 4
TICK = os.sysconf("SC_CLK_TCK")
ITEMS = ["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4", "TT5", "CC1", "CC2", "CC3",
         "CC4", "CC5", "CC6", "KQ1", "KQ2", "KQ3", "GY1", "GY2", "GY3", "GY4", "HL"]
ENDPOINTS = {"product": ("survey:create_app()", "/api/v1/responses"),
             "minimal": ("minimal_endpoint:app", "/")}


@dataclass
class Run:
    """One load run's figures."""

    endpoint: str
    clients: int
    stored: int
    created: int
    failures: list[int]
    seconds: float
    latencies: list[float]
    app_cpu: float
    db_cpu: float

    def line(self) -> str:
        """The run as one printed line."""
        cuts = statistics.quantiles(self.latencies, n=100)
        per = 1000 * (self.app_cpu + self.db_cpu) / max(self.stored, 1)
        return (f"{self.endpoint:8s} {self.clients:3d} clients: {self.stored / self.seconds:6.0f} "
                f"stored/s  p50 {cuts[49]:5.1f}  p95 {cuts[94]:5.1f}  p99 {cuts[98]:6.1f} ms  "
                f"CPU/submission {per:.2f} ms (app {1000 * self.app_cpu / max(self.stored, 1):.2f}"
                f" + PostgreSQL {1000 * self.db_cpu / max(self.stored, 1):.2f})")


def admin_sql(statement: str) -> None:
    """Run one statement on the maintenance database (autocommit)."""
    import sqlalchemy as sa

    engine = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(statement))
    engine.dispose()


def start_gunicorn(url: str, port: int, app_spec: str) -> subprocess.Popen:
    """Start gunicorn (the same settings for every endpoint) and wait until it answers."""
    env = {**os.environ, "SIPAS_DATABASE_URL": url, "SIPAS_RATELIMIT_ENABLED": "false",
           "SIPAS_QUALITY_BURST_COUNT": str(BURST_COUNT), "PYTHONPATH": str(ROOT / "bench")}
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
         "--backlog", "256", "--log-level", "warning", app_spec],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        start_new_session=True)
    if answers_health(port, 30):
        return proc
    proc.kill()
    raise RuntimeError("gunicorn did not start: " + proc.stderr.read().decode()[-2000:])


def payload(token: str, n: int) -> bytes:
    """One valid submission with varied answers (never all alike, at a plausible pace)."""
    now = datetime.now(UTC)
    answers = {code: 1 + (n + i) % 5 for i, code in enumerate(ITEMS) if (n + i) % 4}
    return json.dumps({
        "id": str(uuid.uuid4()), "counter": token, "questionnaire": "sipas", "channel": "kiosk",
        "answers": answers, "started_at": (now - timedelta(seconds=120)).isoformat(),
        "submitted_at": now.isoformat()}).encode()


def _client(port: int, path: str, tokens: list[str], count: int, offset: int,
            out: list, deadline: float) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in range(offset, offset + count):
        if time.monotonic() > deadline:
            break
        body = payload(tokens[n % len(tokens)], n)
        began = time.perf_counter()
        try:
            conn.request("POST", path, body, {"Content-Type": "application/json"})
            reply = conn.getresponse()
            reply.read()
            status = reply.status
        except OSError:
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = 0
        out.append(((time.perf_counter() - began) * 1000, status))
    conn.close()


def _client_process(args: tuple) -> list[tuple[float, int]]:
    """A load process: ``threads`` keep-alive clients, after a shared start signal."""
    port, path, tokens, threads, per_client, offset, start_at, limit = args
    while time.time() < start_at:
        time.sleep(0.001)
    out: list[tuple[float, int]] = []
    deadline = time.monotonic() + limit
    workers = [threading.Thread(target=_client, args=(
        port, path, tokens, per_client, offset + i * per_client, out, deadline))
        for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return out


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def _backends(database: str) -> list[int]:
    """PostgreSQL backend processes connected to ``database`` (their title names it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres:") and f" {database} " in title:
                found.append(int(entry.name))
    return found


def stored_count(url: str) -> int:
    """Responses in the benchmark database."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM responses")).scalar_one()
    engine.dispose()
    return count


def load(endpoint: str, url: str, database: str, server: subprocess.Popen, port: int,
         path: str, tokens: list[str], clients: int, offset: int) -> Run:
    """Post ``TOTAL`` submissions from ``clients`` clients in separate processes."""
    before = stored_count(url)
    workers = children(server.pid)
    per_process = [clients // CLIENT_PROCESSES + (i < clients % CLIENT_PROCESSES)
                   for i in range(CLIENT_PROCESSES)]
    per_client = TOTAL // clients
    start_at = time.time() + 1.0
    jobs, base = [], offset
    for threads in per_process:
        jobs.append((port, path, tokens, threads, per_client, base, start_at, TIME_LIMIT))
        base += threads * per_client
    with multiprocessing.Pool(CLIENT_PROCESSES) as pool:
        pending = pool.map_async(_client_process, jobs)
        while time.time() < start_at - 0.2:
            time.sleep(0.01)
        backends = _backends(database)
        app0 = sum(_cpu(pid) for pid in workers)
        db0 = {pid: _cpu(pid) for pid in backends}
        began = time.time()
        results = pending.get()
    elapsed = time.time() - max(began, start_at)
    app_cpu = sum(_cpu(pid) for pid in workers) - app0
    db_cpu = sum(_cpu(pid) - db0.get(pid, 0.0) for pid in _backends(database))
    replies = [r for out in results for r in out]
    stored = stored_count(url) - before
    failures = [status for _, status in replies if status != 201]
    return Run(endpoint, clients, stored, len(replies) - len(failures), failures, elapsed,
               [ms for ms, _ in replies], app_cpu, db_cpu)


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


def run(url: str, database: str) -> int:
    """Seed, then serve and load each endpoint; print the figures; return the exit status."""
    tokens = seed(url, 8)
    runs: list[Run] = []
    weight = 0.0
    offset = 0
    for endpoint, (spec, path) in ENDPOINTS.items():
        port = free_port()
        server = start_gunicorn(url, port, spec)
        try:
            time.sleep(1.0)
            for clients in CLIENT_LEVELS:
                load(endpoint, url, database, server, port, path, tokens, clients, offset)
                offset += TOTAL  # a warm-up run: every worker connected and primed
                runs.append(load(endpoint, url, database, server, port, path, tokens, clients,
                                 offset))
                offset += TOTAL
            if endpoint == "product":
                weight = kiosk_weight(port, tokens[0])
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=15)
    print(f"API (gunicorn {WORKERS} sync workers, PostgreSQL, {TOTAL} submissions per run, "
          f"client processes apart; CPU = workers + backends of the benchmark database)")
    for item in runs:
        print("  " + item.line())
    status = 0
    by = {(r.endpoint, r.clients): r for r in runs}
    for clients in CLIENT_LEVELS:
        product, minimal = by[("product", clients)], by[("minimal", clients)]
        ratio = (product.stored / product.seconds) / (minimal.stored / minimal.seconds)
        print(f"  {clients} clients: product / minimal throughput {ratio:.2f} (goal ≥ 0.60)")
    eight = by[("product", 8)]
    per = 1000 * (eight.app_cpu + eight.db_cpu) / max(eight.stored, 1)
    p99 = statistics.quantiles(eight.latencies, n=100)[98]
    print(f"  goals at 8 clients: CPU {per:.2f} ms (≤ 2), p99 {p99:.1f} ms (< 100)")
    for item in runs:
        if item.failures or item.stored != item.created:
            print(f"FAILED {item.endpoint} {item.clients}: statuses {sorted(set(item.failures))}, "
                  f"stored {item.stored} != created {item.created}")
            status = 1
    print(f"Kiosk first load: {weight:.1f} kB (HTML + CSS + JS)")
    return status


def main() -> int:
    """Create the throwaway database, run the benchmark, drop the database."""
    if not shutil.which(str(VENV_BIN / "gunicorn")):
        print("gunicorn is not installed in the virtual environment")
        return 1
    name = f"sipas_bench_{os.getpid()}"
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    admin_sql(f'CREATE DATABASE "{name}"')
    try:
        return run(url, name)
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
