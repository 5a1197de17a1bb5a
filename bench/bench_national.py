"""Benchmark: a national report over 5,000,000 responses in 63 provinces, from imported sums.

Each province is simulated (20 agencies with 2 counters, 5 service areas, 2 channels, about
12 % flagged, ~80,000 responses in the year), turned into the document ``export-sums`` ships
(its design moments, ``analysis.slices.domain_moments``), and imported with
``survey.rollup.import_sums`` into a throwaway SQLite database (and PostgreSQL when reachable).
Then ``flask sipas national-report`` runs as a whole process: wall time and peak RSS (``wait4``),
median of ``BENCH_RUNS`` (default 3). Goal: ≤ 3 s. ``BENCH_NATIONAL`` overrides the 5M.

Run: ``.venv/bin/python bench/bench_national.py`` (part of ``make bench``).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from province import pg_ready

TOTAL = int(os.environ.get("BENCH_NATIONAL", "5000000"))
PROVINCES = 63
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
GOAL = 3.0
YEAR = "2026"
PG_URL = os.environ.get("BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/sipas_national_bench")


def _app(url: str):
    from survey import create_app

    return create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})


def province_document(code: str, n: int, structure, definition, version: int, rng) -> dict:
    """The export document of one simulated province (``rollup.export_sums``'s content)."""
    from analysis import cells
    from analysis.slices import domain_moments, from_answers
    from survey import questionnaires as qdefs
    from survey.rollup import FORMAT

    agencies = [f"A{i:02d}" for i in range(20)]
    agency = rng.integers(0, 20, n)
    frame = pd.DataFrame({
        "quarter": np.array([f"{YEAR}-Q{q}" for q in range(1, 5)])[rng.integers(0, 4, n)],
        "agency": np.array(agencies)[agency],
        "counter": [f"{agencies[a]}-Q{c}" for a, c in zip(agency, rng.integers(1, 3, n))],
        "service_area": np.array(["HT", "DD", "XD", "KD", "TP"])[rng.integers(0, 5, n)],
        "channel": np.where(rng.random(n) < 0.25, "qr", "kiosk"),
        "status": np.where(rng.random(n) < 0.12, "flagged", "valid")})
    k = len(structure.criteria)
    effect = rng.normal(0, 0.3, 20)[agency][:, None]
    answers = np.clip(np.rint(3.9 + effect + rng.normal(0, 0.7, (n, k))), 1, 5)
    answers[rng.random((n, k)) < 0.05] = np.nan
    sums = from_answers(frame, answers, structure, list(frame.columns))
    totals = sums.keys.groupby(["quarter", "agency", "service_area"])["rows"].sum().reset_index()
    totals["dossiers"] = np.round(totals["rows"] * rng.uniform(8, 60, len(totals)))
    plan = cells.counter_design(sums.keys, totals, count="rows", sums=sums)
    design = plan.design()
    status = plan.frame["status"].to_numpy()
    moments = {"all": domain_moments(design, np.zeros(design.n, dtype=np.int64), 1)[0],
               "valid": domain_moments(design, np.where(status == "valid", 0, -1), 1)[0]}
    cover = cells.coverage(plan.frame, None, "rows").iloc[0]
    counts = plan.counts()
    return {
        "format": FORMAT, "province": {"code": code, "name": f"Tỉnh {code}"}, "period": YEAR,
        "questionnaire": {"code": "sipas", "version": version,
                          "checksum": qdefs.checksum(definition)},
        "criteria": structure.criteria, "elements": [e.code for e in structure.elements],
        "responses": n, "flagged": int(counts[status == "flagged"].sum()),
        "dossiers": float(cover["dossiers"]), "responses_with_total": n,
        "design": {"strata": int(plan.summary()["strata"])},
        "moments": {name: value.to_list() for name, value in moments.items()}}


def build(url: str) -> int:
    """Migrate ``url`` and import the 63 provinces' documents."""
    from analysis import sipas
    from survey import rollup
    from survey.extensions import db
    from survey.models import Questionnaire

    env = {**os.environ, "SIPAS_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "flask", "--app", "survey", "sipas", "init"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    app = _app(url)
    rng = np.random.default_rng(63)
    started = time.perf_counter()
    with app.app_context():
        questionnaire = db.session.scalars(sa.select(Questionnaire).where(
            Questionnaire.code == "sipas").order_by(Questionnaire.version.desc())).first()
        structure = sipas.Structure.from_definition(questionnaire.definition)
        for p in range(PROVINCES):
            n = TOTAL // PROVINCES + (1 if p < TOTAL % PROVINCES else 0)
            document = province_document(f"P{p:02d}", n, structure, questionnaire.definition,
                                         questionnaire.version, rng)
            rollup.import_sums(db.session, document)
            db.session.commit()
        db.engine.dispose()
    print(f"  {PROVINCES} provinces imported in {time.perf_counter() - started:.0f} s",
          file=sys.stderr)
    return PROVINCES


def national_report(url: str) -> tuple[float, float]:
    """The national report as a whole process: wall seconds and peak RSS in MB."""
    env = {**os.environ, "SIPAS_DATABASE_URL": url}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "survey", "sipas",
                                "national-report", "--period", YEAR], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status:
        raise RuntimeError(process.stderr.read().decode())
    return seconds, usage.ru_maxrss / 1024


def main() -> None:
    """Build, run the national report ``RUNS`` times per database, print one line each."""
    with tempfile.TemporaryDirectory() as tmp:
        urls = {"SQLite": f"sqlite:///{Path(tmp) / 'national.db'}"}
        if pg_ready(PG_URL):
            urls["PostgreSQL"] = PG_URL
        for name, url in urls.items():
            build(url)
            runs = [national_report(url) for _ in range(RUNS)]
            seconds = statistics.median(r[0] for r in runs)
            peak = max(r[1] for r in runs)
            print(f"national report, {TOTAL:,} responses in {PROVINCES} provinces, {name}: "
                  f"{seconds:.2f} s whole process, peak {peak:.0f} MB (goal ≤ {GOAL} s)")


if __name__ == "__main__":
    main()
