"""Reliability campaign (``make soak``): every submission stored exactly once through faults.

Starts its own PostgreSQL cluster in a temporary folder (``initdb`` as a non-root user, on a
free port), migrates it, serves the app with gunicorn, and sends ``SOAK_SUBMISSIONS`` (10,000)
submissions from ``SOAK_CLIENTS`` (50) clients that retry like the kiosk: the same id again
after a network error, a 5xx or a 429, waiting as ``Retry-After`` says (capped for the test).
Meanwhile PostgreSQL is restarted twice (once stopped for a few seconds) and a gunicorn worker
is killed. At the end it compares what the clients sent with what the database holds and prints

    attempted N / stored N / duplicated 0 / 5xx 0

where 5xx counts server errors other than the contract's clean ``503`` with ``Retry-After``
(those are counted apart). Exits non-zero unless every submission is stored exactly once with
all its answers and no other 5xx was seen. Bounded by ``SOAK_TIME_LIMIT`` seconds (540); cleans
up the cluster, the server and the folder whatever happens.
"""
from __future__ import annotations

import collections
import http.client
import json
import os
import pwd
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from province import ROOT, VENV_BIN, answers_health, children, free_port, seed

TOTAL = int(os.environ.get("SOAK_SUBMISSIONS", "10000"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "50"))
WORKERS = int(os.environ.get("SOAK_WORKERS", "3"))
TIME_LIMIT = float(os.environ.get("SOAK_TIME_LIMIT", "540"))
MAX_WAIT = 1.0  # seconds: the kiosk waits Retry-After (30 s); the campaign caps it
ITEMS = ["TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4", "TT5", "CC1", "CC2", "CC3",
         "CC4", "CC5", "CC6", "KQ1", "KQ2", "KQ3", "GY1", "GY2", "GY3", "GY4", "HL"]


def pg_bin(name: str) -> str:
    """A PostgreSQL server program: on PATH, else in Debian's versioned folder."""
    found = shutil.which(name)
    if found:
        return found
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / name).exists():
            return str(folder / name)
    raise SystemExit(f"soak: PostgreSQL's {name} is not installed (Debian: postgresql)")


class Cluster:
    """A throwaway PostgreSQL cluster owned by a non-root user."""

    def __init__(self, folder: Path):
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = free_port()
        self.user = None
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.user = "postgres"
            pwd.getpwnam(self.user)
            os.chown(folder, pwd.getpwnam(self.user).pw_uid, pwd.getpwnam(self.user).pw_gid)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = list(args)
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        return subprocess.run(command, check=check, capture_output=True, text=True)

    def init(self) -> None:
        """initdb with trust authentication on localhost."""
        self._run(pg_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} "
                   "-c fsync=off -c max_connections=100")
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options,
                  "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate`` is a crash)."""
        self._run(pg_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def url(self, database: str) -> str:
        """SQLAlchemy URL of a database in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@dataclass
class Tally:
    """What the clients saw."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acknowledged: set[str] = field(default_factory=set)
    refused: list[tuple[str, int]] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    server_errors: int = 0
    clean_503: int = 0
    network_errors: int = 0

    def saw(self, status: int, retry_after: str | None) -> None:
        """Count one reply."""
        with self.lock:
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if status == 503 and retry_after:
                self.clean_503 += 1
            elif status >= 500:
                self.server_errors += 1


def sheet(token: str, n: int) -> tuple[str, dict]:
    """One kiosk submission: its id and body."""
    now = datetime.now(UTC)
    answers = {code: 1 + (n * 7 + i) % 5 for i, code in enumerate(ITEMS) if (n + i) % 3}
    sheet_id = str(uuid.uuid4())
    return sheet_id, {
        "id": sheet_id, "counter": token, "questionnaire": "sipas", "channel": "kiosk",
        "answers": answers, "started_at": (now - timedelta(seconds=150)).isoformat(),
        "submitted_at": now.isoformat()}


def client(port: int, sheets: list[tuple[str, dict]], tally: Tally, deadline: float) -> None:
    """Send each sheet until the server acknowledges it (201 or 200), like the kiosk queue."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    for sheet_id, body in sheets:
        data = json.dumps(body).encode()
        while time.monotonic() < deadline:
            try:
                conn.request("POST", "/api/v1/responses", data,
                             {"Content-Type": "application/json"})
                reply = conn.getresponse()
                reply.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                with tally.lock:
                    tally.network_errors += 1
                time.sleep(random.uniform(0.05, MAX_WAIT))
                continue
            tally.saw(reply.status, reply.getheader("Retry-After"))
            if reply.status in (200, 201):
                with tally.lock:
                    tally.acknowledged.add(sheet_id)
                break
            if reply.status == 429 or reply.status >= 500:
                wait = float(reply.getheader("Retry-After") or 0.2)
                time.sleep(min(wait, MAX_WAIT) * random.uniform(0.5, 1.0))
                continue
            with tally.lock:
                tally.refused.append((sheet_id, reply.status))
            break
    conn.close()


def start_gunicorn(url: str, port: int, log: Path) -> subprocess.Popen:
    """gunicorn with ``WORKERS`` sync workers, errors to ``log``; returns once it answers."""
    env = {**os.environ, "SIPAS_DATABASE_URL": url, "SIPAS_RATELIMIT_ENABLED": "false",
           "SIPAS_API_RETRY_AFTER_SECONDS": "1"}
    proc = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}",
         "--log-level", "error", "--timeout", "30", "survey:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        start_new_session=True)
    if answers_health(port, 30):
        return proc
    raise SystemExit("soak: gunicorn did not start")


def faults(cluster: Cluster, server: subprocess.Popen, tally: Tally, log: list[str],
           done: threading.Event) -> None:
    """Restart PostgreSQL at 20 % and, stopped for 5 s, at 65 %; kill a worker at 40 %."""
    plan = [(0.20, "restart"), (0.40, "kill"), (0.65, "outage")]
    for share, action in plan:
        while len(tally.acknowledged) < share * TOTAL:
            if done.wait(0.05):
                return
        at = len(tally.acknowledged)
        if action == "restart":
            cluster.stop("fast")
            cluster.start()
            log.append(f"PostgreSQL restarted at {at} acknowledged")
        elif action == "outage":
            cluster.stop("immediate")
            time.sleep(5)
            cluster.start()
            log.append(f"PostgreSQL crashed, down 5 s, restarted at {at} acknowledged")
        else:
            victim = children(server.pid)[0]
            os.kill(victim, signal.SIGKILL)
            log.append(f"gunicorn worker {victim} killed at {at} acknowledged")


def database_counts(url: str, sent: dict[str, int]) -> tuple[int, int, int, int]:
    """(stored responses, ids stored more than once, sent ids missing, responses whose answer
    rows differ from what was sent)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT r.uuid, count(a.item_code) FROM responses r "
            "LEFT JOIN answers a ON a.response_id = r.id GROUP BY r.id, r.uuid")).all()
    engine.dispose()
    stored: dict[str, int] = {}
    duplicated = 0
    for sheet_id, answers in rows:
        key = str(sheet_id)
        duplicated += key in stored
        stored[key] = answers
    missing = sum(1 for sheet_id in sent if sheet_id not in stored)
    wrong = sum(1 for sheet_id, count in sent.items() if stored.get(sheet_id, count) != count)
    return len(rows), duplicated, missing, wrong


def campaign(cluster: Cluster) -> int:
    """Run the campaign on a fresh ``cluster``; return the exit status."""
    cluster.init()
    cluster.start()
    subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres",
                    "-qc", "CREATE DATABASE soak"], check=True, capture_output=True)
    url = cluster.url("soak")
    tokens = seed(url, 50)
    port = free_port()
    errors = cluster.data.parent / "gunicorn.log"
    server = start_gunicorn(url, port, errors)
    try:
        sheets = [sheet(tokens[n % len(tokens)], n) for n in range(TOTAL)]
        sent = {sheet_id: len(body["answers"]) for sheet_id, body in sheets}
        tally, log, done = Tally(), [], threading.Event()
        deadline = time.monotonic() + TIME_LIMIT
        chaos = threading.Thread(target=faults, args=(cluster, server, tally, log, done))
        threads = [threading.Thread(target=client, args=(port, sheets[i::CLIENTS], tally,
                                                         deadline)) for i in range(CLIENTS)]
        began = time.monotonic()
        chaos.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        done.set()
        chaos.join()
        elapsed = time.monotonic() - began
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    stored, duplicated, missing, wrong = database_counts(url, sent)
    for line in log:
        print(f"  {line}")
    print(f"  {elapsed:.0f} s, {CLIENTS} clients, {WORKERS} gunicorn workers; replies "
          f"{dict(sorted(tally.statuses.items()))}; clean 503 with Retry-After "
          f"{tally.clean_503}; network errors {tally.network_errors}; refused "
          f"{len(tally.refused)}; acknowledged {len(tally.acknowledged)}")
    print(f"attempted {TOTAL} / stored {stored} / duplicated {duplicated} / "
          f"5xx {tally.server_errors}")
    problems = []
    if len(log) < 3:
        problems.append(f"only {len(log)} of 3 faults were injected")
    if missing or stored != TOTAL:
        problems.append(f"{missing} sent submissions are not stored")
    if duplicated:
        problems.append(f"{duplicated} submissions stored twice")
    if wrong:
        problems.append(f"{wrong} responses lack answers that were sent")
    if tally.server_errors:
        problems.append(f"{tally.server_errors} server errors other than a clean 503")
    if tally.refused:
        problems.append(f"{len(tally.refused)} submissions refused: {tally.refused[:3]}")
    for problem in problems:
        print(f"FAILED: {problem}")
    if tally.server_errors:
        print("  server errors logged (last lines):")
        kinds = collections.Counter(line[:160] for line in errors.read_text(errors="replace").splitlines()
                        if re.match(r"^[\w.]+(Error|Exception)\b", line))
        for line, count in kinds.most_common(8):
            print(f"    {count} × {line}")
    return 1 if problems else 0


def main() -> int:
    """Run the campaign in a temporary folder and always clean up."""
    folder = Path(tempfile.mkdtemp(prefix="sipas-soak-"))
    cluster = Cluster(folder)
    try:
        return campaign(cluster)
    finally:
        if (cluster.data / "postmaster.pid").exists():
            cluster.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
