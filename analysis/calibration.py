"""Calibration residuals for SIPAS measures computed from sums, without n × K arrays.

A calibration step (``weighting.PostStratification``, ``weighting.Raking``) is a sequence of
linear projections x ← x − psw_m · ave_m(x/psw_m), the average over the cells of part m taken
with weights ω_m (post-stratification: ω = psw; raking: ω = 1, 10 sweeps). Composed, the
residual of any x is x − Σ_m psw_m·β_m[cell_m], where the β's follow from small cell-level
sums only:

    ave_m'(x_current)[c'] = (H_m'[c'] − Σ_m G_m'm[c', ·] β_m) / Ω_m'[c']
    H_m'[c'] = Σ_{i∈c'} ω_m' x_i/psw_m',  G_m'm[c', c] = Σ_{i∈c'∩c} ω_m' psw_m/psw_m',
    Ω_m'[c'] = Σ_{i∈c'} ω_m'.

For a criterion share in a domain, x_i = w_i a_i (s_i − p)/A, so H needs the sums of
r·w·a and r·w·a·s per (domain, cell) with r = ω/psw (and r·w·a·y for mean scores). The PSU
totals of the residuals are then T_psu − Σ_m P_m β_m with P_m[psu, c] = Σ psw_m.
This gives exactly R's residuals (same algebra, different order of summation).
"""
from __future__ import annotations

import numpy as np


class CalibratedSums:
    """Cell-level sums of a calibrated design for the criterion z's of every domain slot.

    Domain slot 0 holds rows without a domain, slot d + 1 domain d; ``None`` means all rows.
    """

    def __init__(self, design, columns: list[np.ndarray], g: np.ndarray, n_dom: int,
                 satisfied_min: float):
        from scipy import sparse  # here, not with the module: the command line never calibrates
        parts, sequence = [], []
        for step in design.calibration:
            first = len(parts)
            parts += list(step.parts())
            sequence += list(range(first, len(parts))) * step.sweeps
        self.parts, self.sequence, self.n_slots = parts, sequence, n_dom + 1
        self.omega = [np.bincount(c, weights=om, minlength=k) for c, k, _, om in parts]
        self.gram = {}
        for i, (c1, k1, psw1, om1) in enumerate(parts):
            for j, (c2, k2, psw2, _) in enumerate(parts):
                cross = np.bincount(c1 * k2 + c2, weights=om1 * psw2 / psw1,
                                    minlength=k1 * k2)
                self.gram[i, j] = cross.reshape(k1, k2)
        n_psu = design.n_psu
        self.loadings = [sparse.csr_matrix((psw, (design.psu_code, c)), shape=(n_psu, k))
                         for c, k, psw, _ in parts]
        slot = g + 1
        w = design.weights
        self.sums = []
        for c, k, psw, om in parts:
            r = om / psw * w
            key = slot * k + c
            size = self.n_slots * k
            blocks = {"a": [], "s": [], "y": []}
            for x in columns:
                answered = np.isfinite(x)
                ra = r * answered
                yk = np.where(answered, x, 0.0)
                blocks["a"].append(np.bincount(key, weights=ra, minlength=size))
                blocks["s"].append(np.bincount(key, weights=ra * (yk >= satisfied_min),
                                               minlength=size))
                blocks["y"].append(np.bincount(key, weights=ra * yk, minlength=size))
            self.sums.append({name: np.stack(b, axis=1).reshape(self.n_slots, k, -1)
                              for name, b in blocks.items()})

    def _h(self, part: int, slot, p, m, a_total) -> np.ndarray:
        """H of one part for the share and mean z's of a domain slot (cells × 2K)."""
        sums = self.sums[part]
        pick = (lambda x: x.sum(axis=0)) if slot is None else (lambda x: x[slot])
        a, s, y = pick(sums["a"]), pick(sums["s"]), pick(sums["y"])
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(a_total > 0, (s - p * a) / a_total, 0.0)
            mean = np.where(a_total > 0, (y - m * a) / a_total, 0.0)
        return np.hstack([share, mean])

    def adjustment(self, slot, p, m, a_total) -> np.ndarray:
        """Σ_m P_m β_m: what calibration subtracts from the PSU totals (n_psu × 2K)."""
        h = [self._h(i, slot, p, m, a_total) for i in range(len(self.parts))]
        beta = [np.zeros_like(x) for x in h]
        for i in self.sequence:
            current = h[i] - sum(self.gram[i, j] @ beta[j] for j in range(len(self.parts)))
            with np.errstate(divide="ignore", invalid="ignore"):
                beta[i] += np.where(self.omega[i][:, None] > 0,
                                    current / self.omega[i][:, None], 0.0)
        return sum(np.asarray(self.loadings[i] @ beta[i]) for i in range(len(self.parts)))
