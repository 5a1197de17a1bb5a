"""The demo province's 2026-Q3 report under the two designs, side by side, in one run.

"counters as a sample" (strata = agency, PSU = counter: the design reports used before) against
the design of counter data (stratum = quarter × agency × service area cell, respondents as
units, fpc = dossiers, the default). Prints per agency n, SIPAS and the 95 % interval width in
points under each, how many agencies with n ≥ 10 have an interval, the largest agency's width,
the rank bands of the best and the worst agency, and the design degrees of freedom. Builds a
throwaway SQLite database with ``flask sipas init`` and ``flask sipas demo`` (6,000 responses).
Run: ``.venv/bin/python bench/bench_design_widths.py`` (also part of ``make bench``).
"""
from __future__ import annotations

import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PERIOD = "2026-Q3"


def _flask(url: str, *args: str) -> None:
    env = {**os.environ, "SIPAS_DATABASE_URL": url}
    subprocess.run([sys.executable, "-m", "flask", "--app", "survey", "sipas", *args],
                   cwd=ROOT, env=env, check=True, capture_output=True)


def _agency_rows(report) -> dict[str, dict]:
    table = report.current.breakdowns["agency"]
    index = table[(table["level"] == "index") & (table["n"] > 0)]
    return {r["by"]: r for r in index.to_dict("records")}


def _width(row: dict) -> float:
    low, high = row.get("ci_low"), row.get("ci_high")
    ok = low is not None and high is not None and math.isfinite(low) and math.isfinite(high)
    return high - low if ok else float("nan")


def _summary(name: str, report) -> None:
    rows = _agency_rows(report)
    eligible = [r for r in rows.values() if r["n"] >= 10]
    with_ci = [r for r in eligible if math.isfinite(_width(r))]
    largest = max(rows.values(), key=lambda r: r["n"])
    ranked = report.ranking[report.ranking["rank"].notna()]
    best, worst = ranked.iloc[0], ranked.iloc[-1]
    print(f"{name}: design df {report.current.weighting['design_df']}; agencies with n >= 10 "
          f"and an interval {len(with_ci)}/{len(eligible)}; largest agency {largest['by']} "
          f"(n = {largest['n']}) width {_width(largest):.1f} points; best {best['by']} band "
          f"{best['band']}, worst {worst['by']} band {worst['band']}; bands shared: "
          f"{'yes' if best['rank_high'] >= worst['rank_low'] else 'no'}")


def main() -> int:
    from survey import create_app
    from survey.extensions import db
    from survey.reports.compute import build_report
    from survey.reports.filters import ReportFilters

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/widths.db"
        _flask(url, "init")
        _flask(url, "demo")
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            old = build_report(db.session, ReportFilters(period=PERIOD, variance="counters"),
                               trend=False)
            new = build_report(db.session, ReportFilters(period=PERIOD), trend=False)
            db.engine.dispose()
    before, after = _agency_rows(old), _agency_rows(new)
    print(f"SIPAS by agency, {PERIOD}, demo province: interval width in points")
    print(f"{'agency':10} {'n':>5} {'SIPAS':>6} {'counters':>9} {'cells':>7}")
    for code in sorted(after, key=lambda c: -after[c]["n"]):
        print(f"{code:10} {after[code]['n']:5d} {after[code]['estimate']:6.1f} "
              f"{_width(before[code]):9.1f} {_width(after[code]):7.1f}")
    _summary("counters as a sample", old)
    _summary("cells (default)", new)
    return 0


if __name__ == "__main__":
    sys.exit(main())
