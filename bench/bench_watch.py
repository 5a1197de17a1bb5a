"""Benchmark: the daily watch (``flask sipas watch --no-mail``) on a province-year.

For each size in ``BENCH_SIZES`` (default 200,000 responses in the year) it builds a throwaway
SQLite database like ``bench_reports.py`` (the demo province, then the synthetic year bulk-
loaded) and times the watch as of the year's last working day as a whole process: it reads the
last ``ALERT_WEEKS`` (26) weeks, charts every counter's, agency's and officer's weekly index,
runs the fraud checks on the last 28 days and stores the alerts. Printed: wall seconds, the
process's peak RSS (``wait4``), and the alerts it stored. A second run is timed too (nothing new
to store: the same reading and testing). No goal was set by the issue; the watch is a daily
job, so the figure to hold is minutes at most.

Environment: ``BENCH_SIZES``, ``BENCH_KEEP`` (a SQLite file to reuse).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import bench_reports

AT = f"{bench_reports.YEAR}-12-30T16:00"


def _watch(url: str) -> dict:
    env = {**os.environ, "SIPAS_DATABASE_URL": url}
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "survey", "sipas",
                                "watch", "--no-mail", "--at", AT], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out = process.stdout.read().strip()
    if status != 0:
        raise RuntimeError(f"flask sipas watch failed: {process.stderr.read()}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "said": out}


def main() -> None:
    sizes = [int(v) for v in os.environ.get("BENCH_SIZES", "200000").split(",")]
    keep = os.environ.get("BENCH_KEEP")
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{keep or Path(tmp) / 'watch.db'}"
            done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_reports.py"),
                                   "--child", "build", url, str(size)], cwd=ROOT,
                                  stdout=subprocess.PIPE, text=True, check=True)
            n = json.loads(done.stdout.strip().splitlines()[-1])["responses"]
            first, second = _watch(url), _watch(url)
        print(f"watch over a year of {n:,} responses (SQLite, as of {AT}): first run "
              f"{first['seconds']:.1f} s, peak {first['peak_mb']:.0f} MB — {first['said']}; "
              f"second run {second['seconds']:.1f} s, peak {second['peak_mb']:.0f} MB")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
