"""Benchmark of ``python -m analysis sipas`` (whole process) and a comparison with R ``survey``.

1. 1,000,000 responses × 22 criteria (40 agencies = strata, ~200 counters = PSUs, 10 service
   areas, weights, ~20 % unanswered in GY): wall time and peak RSS of
   ``python -m analysis sipas FILE --weight weight --strata agency --cluster counter
   --by service_area --format csv``. Targets: ≤ 10 s, < 2 GB.
2. 200,000 responses: the same command vs R (svydesign + svyby(svyratio) for the 22 criterion
   indices by service area), both as whole processes; target ratio ≥ 20×. R is skipped with a
   message when ``Rscript`` with ``survey`` is not installed.
Run: ``.venv/bin/python bench/bench_analysis.py`` (BENCH_N overrides the 1M).
"""
from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from make_sipas_data import CRITERIA, write_csv

DESIGN = ["--weight", "weight", "--strata", "agency", "--cluster", "counter",
          "--by", "service_area"]
R_SCRIPT = """
suppressMessages(library(survey))
options(survey.lonely.psu = "adjust")  # as analysis (some agencies have one counter)
args <- commandArgs(TRUE)
start <- proc.time()[["elapsed"]]
d <- read.csv(args[1])
criteria <- strsplit(args[2], ",")[[1]]
for (k in criteria) {
  d[[paste0("s_", k)]] <- as.numeric(!is.na(d[[k]]) & d[[k]] >= 4)
  d[[paste0("a_", k)]] <- as.numeric(!is.na(d[[k]]))
}
loaded <- proc.time()[["elapsed"]]
des <- svydesign(ids = ~counter, strata = ~agency, weights = ~weight, data = d)
out <- lapply(criteria, function(k)
  svyby(as.formula(paste0("~s_", k)), ~service_area, des, svyratio,
        denominator = as.formula(paste0("~a_", k))))
done <- proc.time()[["elapsed"]]
cat(sprintf("R_TIMES %.3f %.3f\\n", loaded - start, done - loaded))
"""


def run_cli(path: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of the analysis command as a child process."""
    start = time.perf_counter()
    with open(os.devnull, "w") as sink:
        subprocess.run([sys.executable, "-m", "analysis", "sipas", str(path), *DESIGN,
                        "--format", "csv"], stdout=sink, check=True, cwd=ROOT)
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kb / 1024 / 1024


def r_available() -> bool:
    """Rscript with the survey package installed?"""
    if not shutil.which("Rscript"):
        return False
    done = subprocess.run(["Rscript", "-e", "suppressMessages(library(survey))"],
                          capture_output=True, check=False)
    return done.returncode == 0


def main() -> None:
    n_big = int(os.environ.get("BENCH_N", "1000000"))
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.csv"
        start = time.perf_counter()
        write_csv(n_big, big)
        print(f"data: {n_big:,} responses x 22 written in {time.perf_counter() - start:.1f} s "
              f"({big.stat().st_size / 1e6:.0f} MB)")
        wall, peak = run_cli(big)
        verdict = "OK" if wall <= 10 and peak < 2 else "MISSED"
        print(f"analysis {n_big // 1000}k x 22 (whole process): {wall:.1f} s, "
              f"peak RSS {peak:.2f} GB  [target <= 10 s, < 2 GB: {verdict}]")
        big.unlink()
        small = Path(tmp) / "small.csv"
        write_csv(200_000, small, seed=7)
        ours = min(run_cli(small)[0] for _ in range(3))
        print(f"analysis 200k x 22 (whole process, best of 3): {ours:.2f} s")
        if not r_available():
            print("R survey: skipped (Rscript with the survey package is not installed)")
            return
        script = Path(tmp) / "bench.R"
        script.write_text(R_SCRIPT)
        start = time.perf_counter()
        done = subprocess.run(["Rscript", str(script), str(small), ",".join(CRITERIA)],
                              capture_output=True, text=True, check=True)
        r_wall = time.perf_counter() - start
        line = next(x for x in done.stdout.splitlines() if x.startswith("R_TIMES"))
        r_read, r_compute = (float(x) for x in line.split()[1:])
        ratio = r_wall / ours
        print(f"R survey 200k x 22 criterion indices by service area (whole process): "
              f"{r_wall:.1f} s (read.csv {r_read:.1f} s, svydesign+svyby {r_compute:.1f} s)")
        verdict = "OK" if ratio >= 20 else f"MISSED by {20 / ratio:.1f}x"
        print(f"speed-up vs R (whole process): {ratio:.0f}x  [target >= 20x: {verdict}]")


if __name__ == "__main__":
    main()
