"""Errors and column readers shared by the designs and the estimators."""
from __future__ import annotations

import numpy as np
import pandas as pd


class DesignError(ValueError):
    """Bad input for a design or an estimate; names the column, the 1-based data row or the stratum."""

    def __init__(self, message: str, *, column: str | None = None, row: int | None = None,
                 stratum: object = None):
        super().__init__(message)
        self.column, self.row, self.stratum = column, row, stratum


def numeric_column(frame: pd.DataFrame, name: str, role: str) -> np.ndarray:
    """A column as float64; a non-numeric value raises DesignError naming the column and row."""
    if name not in frame.columns:
        raise DesignError(f"missing column {name!r} ({role})", column=name)
    values = frame[name]
    if values.dtype.kind in "biuf":
        return values.to_numpy(dtype=float)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (numbers.isna() & values.notna() & (values.astype(str).str.strip() != "")).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DesignError(f"column {name!r}, row {row + 1}: {values.iloc[row]!r} is not a number",
                          column=name, row=row + 1)
    return numbers.to_numpy(dtype=float)
