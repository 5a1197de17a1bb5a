"""Benchmark: the report of a province-year, from stored sums and from the rows, side by side.

For each size in ``BENCH_SIZES`` (default 200,000 and 1,000,000 responses in the year) it builds
a throwaway SQLite database (and a PostgreSQL one when reachable) in a child process: migrates
it, loads the demo province (agencies, counters, a few responses of the year before) and
bulk-inserts the synthetic year with quarterly dossier totals, then ``flask sipas rebuild-sums``
(timed: the bulk load bypasses the sums, as a restore would). Then, each in a fresh process:

- the report page ``GET /reports/?period=YEAR`` signed in as an analyst: one request to load the
  code, then the median of ``BENCH_RUNS`` requests with the report cache emptied before each
  (every number computed from the database), and the process's peak RSS (``ru_maxrss``);
- ``flask sipas report --period YEAR --format json`` as a whole process (wall time, peak RSS);

both with ``SIPAS_REPORT_SOURCE=sums`` (the product) and ``rows`` (every response read, the
reference), printed beside the goals of issue 10 (1M: ≤ 1.5 s and ≤ 400 MB; 200k: ≤ 0.5 s).
Not a timed test: run it by hand or with ``make bench``.

Environment: ``BENCH_PG_URL`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/
sipas_reports_bench``, created when missing, emptied), ``BENCH_SIZES``, ``BENCH_RUNS``
(default 3), ``BENCH_KEEP`` (a SQLite file to reuse).
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from province import pg_ready

YEAR = 2026
PG_URL = os.environ.get("BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/sipas_reports_bench")
IN_YEAR = int(os.environ.get("BENCH_RESPONSES", "200000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))


def _flask(url: str, *args: str) -> None:
    env = {**os.environ, "SIPAS_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "flask", "--app", "survey", "sipas", *args],
                   cwd=ROOT, env=env, check=True, capture_output=True)


def _app(url: str):
    from survey import create_app

    return create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                       "WTF_CSRF_ENABLED": False})


def _year_rows(session, n: int, seed: int = 7) -> tuple[list[tuple], list[tuple], list[tuple]]:
    """Synthetic responses, answers and quarterly totals for ``YEAR`` (vectorised)."""
    import uuid

    import numpy as np

    from survey import periods
    from survey import questionnaires as qdefs
    from survey.models import Counter, Questionnaire

    rng = np.random.default_rng(seed)
    questionnaire = session.scalars(sa.select(Questionnaire).where(
        Questionnaire.code == "sipas").order_by(Questionnaire.version.desc())).first()
    codes = qdefs.criterion_codes(questionnaire.definition)
    counters = session.scalars(sa.select(Counter).order_by(Counter.id)).all()
    served = [[a.id for a in c.service_areas] for c in counters]
    popularity = rng.gamma(2.0, 1.0, len(counters))
    picks = rng.choice(len(counters), size=n, p=popularity / popularity.sum())
    areas = np.array([served[i][k] for i, k in zip(
        picks, (rng.random(n) * np.array([len(served[i]) for i in picks])).astype(int))])
    days = rng.integers(0, 365, n)
    effect = rng.normal(0, 0.35, len(counters))
    latent = 3.9 + effect[picks][:, None] + rng.normal(0, 0.7, (n, len(codes)))
    values = np.clip(np.rint(latent), 1, 5).astype(int)
    skip = np.array([0.35 if c.startswith("GY") else 0.04 for c in codes])
    values[rng.random(values.shape) < skip[None, :]] = 0
    values[(values == 0).all(axis=1), 0] = 4
    items = qdefs.item_codes(questionnaire.definition)
    chars = np.full((n, len(items)), ord("-"), dtype=np.uint8)
    for j, code in enumerate(codes):
        column = values[:, j]
        chars[:, items.index(code)] = np.where(column > 0, ord("0") + column, ord("-"))
    item_values = [bytes(row).decode("ascii") for row in chars]
    first_id = (session.scalar(sa.select(sa.func.max(sa.text("id"))).select_from(
        sa.table("responses"))) or 0) + 1
    start = date(YEAR, 1, 1).toordinal()
    responses, cells = [], {}
    for r in range(n):
        counter = counters[picks[r]]
        day = date.fromordinal(start + int(days[r]))
        responses.append((first_id + r, uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | r),
                          questionnaire.id, "sipas", counter.id, counter.agency_id,
                          int(areas[r]), "kiosk" if r % 4 else "qr", day, "valid",
                          item_values[r]))
        key = (periods.quarter_of(day), counter.agency_id, int(areas[r]))
        cells[key] = cells.get(key, 0) + 1
    rr, cc = np.nonzero(values)
    answers = list(zip((rr + first_id).tolist(), [codes[c] for c in cc],
                       values[rr, cc].tolist()))
    totals = [(q, a, s, int(k * rng.uniform(8, 60))) for (q, a, s), k in sorted(cells.items())]
    return responses, answers, totals


RESPONSE_COLUMNS = ("id", "uuid", "questionnaire_id", "questionnaire_code", "counter_id",
                    "agency_id", "service_area_id", "channel", "survey_date", "status",
                    "item_values")


def _insert_sqlite(raw, responses, answers, totals) -> None:
    cursor = raw.cursor()
    cursor.executemany(
        f"INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)}, received_at) "
        f"VALUES ({', '.join('?' * len(RESPONSE_COLUMNS))}, ?)",
        [(r[0], r[1].hex, *r[2:8], r[8].isoformat(), *r[9:],
          f"{r[8].isoformat()} 09:00:00.000000") for r in responses])
    cursor.executemany("INSERT INTO answers (response_id, item_code, value) VALUES (?, ?, ?)",
                       answers)
    cursor.executemany("INSERT INTO population_totals (period, agency_id, service_area_id, "
                       "dossiers) VALUES (?, ?, ?, ?)", totals)
    raw.commit()


def _insert_pg(raw, responses, answers, totals) -> None:
    with raw.cursor() as cursor:
        with cursor.copy(f"COPY responses ({', '.join(RESPONSE_COLUMNS)}, received_at) "
                         "FROM STDIN") as copy:
            for r in responses:
                copy.write_row((*r, f"{r[8].isoformat()} 09:00:00+00"))
        with cursor.copy("COPY answers (response_id, item_code, value) FROM STDIN") as copy:
            for row in answers:
                copy.write_row(row)
        with cursor.copy("COPY population_totals (period, agency_id, service_area_id, dossiers) "
                         "FROM STDIN") as copy:
            for row in totals:
                copy.write_row(row)
        cursor.execute("SELECT setval('responses_id_seq', (SELECT max(id) FROM responses))")
        cursor.execute("ANALYZE")
    raw.commit()


def build(url: str) -> int:
    """Migrate ``url``, load the demo province and ``IN_YEAR`` responses in ``YEAR``."""
    from survey import demo
    from survey.extensions import db

    _flask(url, "init")
    app = _app(url)
    with app.app_context():
        if not demo.is_loaded(db.session):
            started = time.perf_counter()
            demo.load(db.session, responses=200, today=date(YEAR - 1, 12, 31))
            db.session.commit()
            rows = _year_rows(db.session, IN_YEAR)
            raw = db.engine.raw_connection()
            try:
                (_insert_pg if url.startswith("postgresql") else _insert_sqlite)(raw, *rows)
            finally:
                raw.close()
            print(f"  loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        count = db.session.scalar(sa.text(
            "SELECT count(*) FROM responses WHERE survey_date >= :a AND survey_date < :b"),
            {"a": date(YEAR, 1, 1), "b": date(YEAR + 1, 1, 1)})
        db.engine.dispose()
    return int(count)


def _login(app) -> object:
    from survey.catalog import create_user
    from survey.extensions import db
    from survey.models import User

    with app.app_context():
        user = db.session.scalars(sa.select(User).where(User.username == "bench-analyst")).first()
        if user is None:
            user = create_user(db.session, "bench-analyst", "bench-password-123", "analyst", None)
            db.session.commit()
        user_id = user.id
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
        session["_fresh"] = True
    return client


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_page(url: str, source: str) -> None:
    """In a fresh process: one request to load the code, then ``RUNS`` requests each with the
    report cache emptied (every number computed from the database, as the issue measured a
    cold page); their median, and the process's peak RSS."""
    from survey.reports.compute import clear_cache

    app = _app(url)
    app.config["REPORT_SOURCE"] = source
    client = _login(app)
    _get(client)
    before = _peak_mb()
    times = []
    for _ in range(RUNS):
        clear_cache()
        times.append(_get(client))
    print(json.dumps({"seconds": statistics.median(times), "peak_mb": _peak_mb(),
                      "before_mb": before}))


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", *args], cwd=ROOT,
                          stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _cli_report(url: str, source: str) -> dict:
    """``flask sipas report --format json`` for the year as a whole process: wall seconds and
    the child's peak RSS (``wait4``)."""
    env = {**os.environ, "SIPAS_DATABASE_URL": url, "SIPAS_REPORT_SOURCE": source}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "survey", "sipas",
                                "report", "--period", str(YEAR), "--format", "json"], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"flask sipas report failed: {process.stderr.read()}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}


def _rebuild(url: str) -> float:
    started = time.perf_counter()
    _flask(url, "rebuild-sums")
    return time.perf_counter() - started


def measure(url: str) -> dict:
    """Median of ``RUNS`` cold pages per source (each a fresh process), the CLI report, and the
    time of ``rebuild-sums``; the sums are rebuilt first (the bulk load bypasses them)."""
    figures = {"rebuild": _rebuild(url)}
    for source in ("sums", "rows"):
        figures[f"page_{source}"] = _child("page", url, source)
        figures[f"cli_{source}"] = _cli_report(url, source)
    return figures


def _get(client) -> float:
    started = time.perf_counter()
    response = client.get(f"/reports/?period={YEAR}")
    assert response.status_code == 200, response.status_code
    return time.perf_counter() - started


GOALS = {1_000_000: (1.5, 400.0), 200_000: (0.5, None)}


def _line(name: str, n: int, f: dict) -> str:
    goal_s, goal_mb = GOALS.get(n, (None, None))
    goal = f" (goal ≤ {goal_s} s" + (f", ≤ {goal_mb:.0f} MB)" if goal_mb else ")") \
        if goal_s else ""
    page, rows = f["page_sums"], f["page_rows"]
    return (f"  {name:<10} page from sums {page['seconds']:.2f} s, peak {page['peak_mb']:.0f} MB "
            f"({page['before_mb']:.0f} MB after the first request){goal}; from rows "
            f"{rows['seconds']:.2f} s, {rows['peak_mb']:.0f} MB | CLI report from sums "
            f"{f['cli_sums']['seconds']:.2f} s, {f['cli_sums']['peak_mb']:.0f} MB; from rows "
            f"{f['cli_rows']['seconds']:.2f} s, {f['cli_rows']['peak_mb']:.0f} MB | "
            f"rebuild-sums {f['rebuild']:.1f} s")


def main() -> None:
    """For each size: build the databases, measure both sources side by side, print."""
    global IN_YEAR
    sizes = [int(v) for v in os.environ.get("BENCH_SIZES", f"{IN_YEAR},1000000").split(",")]
    keep = os.environ.get("BENCH_KEEP")
    for size in sizes:
        IN_YEAR = size
        figures = {}
        with tempfile.TemporaryDirectory() as tmp:
            sqlite_url = f"sqlite:///{keep or Path(tmp) / 'bench.db'}"
            n = _child("build", sqlite_url, str(size))["responses"]
            figures["SQLite"] = measure(sqlite_url)
            if pg_ready(PG_URL, empty=not keep):
                _child("build", PG_URL, str(size))
                figures["PostgreSQL"] = measure(PG_URL)
        print(f"report for a year of {n:,} responses (page: median of {RUNS} requests with the "
              "report cache emptied; CLI: whole process):")
        for name, f in figures.items():
            print(_line(name, n, f))
        sys.stdout.flush()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child" and sys.argv[2] == "page":
        child_page(*sys.argv[3:])
    elif len(sys.argv) > 1 and sys.argv[1] == "--child" and sys.argv[2] == "build":
        IN_YEAR = int(sys.argv[4])
        print(json.dumps({"responses": build(sys.argv[3])}))
    else:
        main()
