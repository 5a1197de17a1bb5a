"""Rate limits shared by several gunicorn workers (README deployment notes).

Two real ``gunicorn -w 2 'survey:create_app()'`` servers on a migrated demo database: with
``SIPAS_RATELIMIT_STORAGE_URI=redis://…`` both workers boot and count into one bucket, so the
first 429 of the client limit comes at request limit + 1 even though both workers answered;
with ``memory://`` each worker counts on its own and the first 429 comes later.

Which worker answered is read from gunicorn's access log (``%(p)s`` = worker pid); requests are
spread by holding two connections open at once (a sync worker serves one at a time, so the
second connection is taken by the other worker). Redis: an empty database number of its own
(claimed with a key that expires), emptied before and after. No Redis: skipped, except under
``CI=true`` where it fails.
"""
from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("SIPAS_TEST_REDIS_URL", "redis://127.0.0.1:6379")
LIMIT = 10
HOST = "127.0.0.1"
REQUEST_TIMEOUT = 5.0
BOOT_TIMEOUT = 30.0
CLAIM_KEY = "sipas-test:shared-rate-limits:claim"

pytestmark = pytest.mark.slow


def _base_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIPAS_")}
    env.update(SIPAS_CONFIG="default", SIPAS_DATABASE_URL=database_url, PYTHONUNBUFFERED="1")
    return env


def _flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "survey", "sipas", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, f"sipas {' '.join(args)} failed:\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A migrated SQLite demo database (no responses) and the token of an active counter."""
    path = tmp_path_factory.mktemp("shared-limits") / "sipas.db"
    env = _base_env(f"sqlite:///{path}")
    _flask(env, "init")
    _flask(env, "demo", "--responses", "0")
    counters = json.loads(_flask(env, "counters", "--format", "json"))
    row = next(row for row in counters if row["active"] and row["service_areas"])
    return env, (row["token"], row["service_areas"][0])


@pytest.fixture
def redis_db():
    """An empty Redis database number of this run: its URI, emptied before and after."""
    try:
        import redis
    except ImportError:  # pragma: no cover - redis is a main dependency
        pytest.fail("the Redis client `redis` is not installed (a main dependency)")
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but Redis is unreachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL} ({exc}); start redis-server to run this")
    claim = uuid.uuid4().hex
    for number in range(15, 0, -1):
        conn = redis.Redis.from_url(REDIS_URL, db=number, socket_timeout=2)
        # only an empty database, claimed atomically: parallel runs never share one
        if conn.dbsize() == 0 and conn.set(CLAIM_KEY, claim, nx=True, ex=120):
            break
        conn.close()
    else:
        pytest.fail("no empty Redis database (1-15) to claim for this test")

    def empty() -> None:
        for key in conn.scan_iter(count=500):
            if key.decode() != CLAIM_KEY:
                conn.delete(key)

    empty()
    try:
        yield f"{REDIS_URL.rstrip('/')}/{number}", conn
    finally:
        if conn.get(CLAIM_KEY) == claim.encode():
            conn.flushdb()
        conn.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """A ``gunicorn -w 2`` subprocess; every answer is logged as ``pid seq status``."""

    def __init__(self, env: dict[str, str], logs: Path):
        self.port = _free_port()
        self.access = logs / f"access-{self.port}.log"
        self.errors = logs / f"error-{self.port}.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"{HOST}:{self.port}",
             "--timeout", "30", "--graceful-timeout", "5",
             "--access-logfile", str(self.access),
             "--access-logformat", "%(p)s %({x-test-seq}i)s %(s)s",
             "--error-logfile", str(self.errors), "survey:create_app()"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)

    def log(self) -> str:
        return self.errors.read_text(errors="replace") if self.errors.exists() else ""

    def answers(self, expect: set[str] = frozenset()) -> dict[str, tuple[str, str]]:
        """seq → (worker pid, status) from the access log, waiting briefly for ``expect``
        (a worker writes its log line just after the response)."""
        deadline = time.monotonic() + 3
        while True:
            found = {}
            if self.access.exists():
                rows = (line.split() for line in self.access.read_text().splitlines())
                found = {row[1]: (row[0], row[2]) for row in rows if len(row) == 3}
            if expect <= found.keys() or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def connection(self) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        conn.connect()
        return conn

    def wait_until_both_workers_answer(self) -> set[str]:
        """Both workers booted and serving (the measured failure: none ever boots)."""
        deadline = time.monotonic() + BOOT_TIMEOUT
        probe = 0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"gunicorn exited ({self.proc.returncode}): no worker booted\n"
                            f"{self.log()[-3000:]}")
            pair: list[http.client.HTTPConnection] = []
            try:
                pair = [self.connection(), self.connection()]
                for conn in pair:
                    probe += 1
                    _send(conn, "GET", "/healthz", None, f"probe{probe}")
            except OSError:
                time.sleep(0.2)
                continue
            finally:
                for conn in pair:
                    conn.close()
            pids = {pid for seq, (pid, status) in self.answers({f"probe{probe}"}).items()
                    if seq.startswith("probe") and status == "200"}
            if len(pids) >= 2:
                return pids
            time.sleep(0.1)
        pytest.fail(f"both gunicorn workers did not answer within {BOOT_TIMEOUT:.0f} s\n"
                    f"{self.log()[-3000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)


@contextlib.contextmanager
def serving(env: dict[str, str], logs: Path):
    server = Server(env, logs)
    try:
        yield server
    finally:
        server.stop()


def _send(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None,
          seq: str) -> http.client.HTTPResponse:
    headers = {"Connection": "close", "X-Test-Seq": seq}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        response.body = response.read()
        return response
    finally:
        conn.close()


def _submission(counter: tuple[str, str]) -> dict:
    token, service_area = counter
    now = datetime.now(UTC)
    return {
        "id": str(uuid.uuid4()), "counter": token, "service_area": service_area,
        "questionnaire": "sipas", "channel": "kiosk",
        "answers": {"TC1": 4, "TC2": 5, "TT1": 3, "CC1": 4, "HL": 4},
        "started_at": (now - timedelta(seconds=90)).isoformat(),
        "submitted_at": now.isoformat(),
    }


def _submit_until_429(server: Server, counter: tuple[str, str], most: int) -> tuple[int | None, list]:
    """POST valid submissions two connections at a time; the request number of the first 429
    and (number, status, worker pid) of every request sent."""
    sent: list[tuple[int, int, str]] = []
    number = 0
    while number < most:
        pair = [server.connection(), server.connection()]
        try:
            for conn in pair:
                if number >= most:
                    break
                number += 1
                response = _send(conn, "POST", "/api/v1/responses", _submission(counter),
                                 f"r{number}")
                assert response.status in (201, 429), (number, response.status, response.body)
                sent.append((number, response.status, ""))
        finally:
            for conn in pair:
                conn.close()
        if any(status == 429 for _, status, _ in sent):
            break
    answers = server.answers({f"r{n}" for n, _, _ in sent})
    sent = [(n, status, answers.get(f"r{n}", ("?", ""))[0]) for n, status, _ in sent]
    first = next((n for n, status, _ in sent if status == 429), None)
    return first, sent


def _limits_env(env: dict[str, str], storage_uri: str) -> dict[str, str]:
    return {**env, "SIPAS_RATELIMIT_STORAGE_URI": storage_uri,
            "SIPAS_RATELIMIT_CLIENT": f"{LIMIT} per minute",  # the per-address limit under test
            "SIPAS_RATELIMIT_COUNTER": "1000 per minute"}


def test_redis_limit_is_shared_by_two_gunicorn_workers(redis_db, site, tmp_path):
    env, counter = site
    uri, conn = redis_db
    with serving(_limits_env(env, uri), tmp_path) as server:
        booted = server.wait_until_both_workers_answer()
        assert len(booted) == 2
        first, sent = _submit_until_429(server, counter, most=LIMIT + 2)
        print(f"redis: first 429 at request {first}; (request, status, worker) = {sent}")
    statuses = [status for _, status, _ in sent]
    assert statuses[:LIMIT] == [201] * LIMIT, sent
    assert first == LIMIT + 1, sent
    workers = {pid for n, _, pid in sent if n <= LIMIT}
    assert len(workers) == 2 and workers <= booted, f"both workers must count: {sent}"
    assert any(key.decode() != CLAIM_KEY for key in conn.scan_iter(count=500)), \
        "the limit was not counted in this test's Redis database"


def test_memory_limit_is_per_worker(site, tmp_path):
    """The contrast (README: memory:// with several workers does not share): later 429."""
    env, counter = site
    with serving(_limits_env(env, "memory://"), tmp_path) as server:
        server.wait_until_both_workers_answer()
        first, sent = _submit_until_429(server, counter, most=2 * LIMIT + 2)
        print(f"memory: first 429 at request {first}; (request, status, worker) = {sent}")
    assert len({pid for _, _, pid in sent}) == 2, sent
    assert first is None or first > LIMIT + 1, sent
