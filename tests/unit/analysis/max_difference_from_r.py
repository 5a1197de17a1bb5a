"""Largest relative difference from R over every reference row.

Run: ``.venv/bin/python tests/unit/analysis/max_difference_from_r.py``
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

import reference_cases as rc

worst = (0.0, None)
worst_exact = (0.0, None)   # leaving out R's GLM-fitted logit rows (their 10th digit differs)
count = 0
for row in rc.api_rows():
    e = rc.api_estimate(row).to_dict()
    for key, diff in rc.relative_differences(e, row).items():
        count += 1
        if diff > worst[0]:
            worst = (diff, f"api {row['case']} [{row['design']}] {key}")
        glm = row["case"].endswith("ci logit")
        if not glm and diff > worst_exact[0]:
            worst_exact = (diff, f"api {row['case']} [{row['design']}] {key}")
for row in rc.sipas_rows():
    for key, diff in rc.relative_differences(rc.sipas_estimate(row), row).items():
        count += 1
        if diff > worst[0]:
            worst = (diff, f"sipas {row['scope']} {row['level']} {row['measure']} {key}")
        if diff > worst_exact[0]:
            worst_exact = (diff, f"sipas {row['scope']} {row['level']} {row['measure']} {key}")
print(f"{len(rc.api_rows())} api rows + {len(rc.sipas_rows())} sipas rows, {count} values "
      f"compared; skipped svyciprop methods: {sorted(rc.SKIPPED_METHODS)}")
print(f"max relative difference from R: {worst[0]:.3e} ({worst[1]})")
print(f"without R's GLM-fitted logit rows: {worst_exact[0]:.3e} ({worst_exact[1]})")
