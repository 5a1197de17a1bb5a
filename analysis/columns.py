"""Errors and column readers shared by the designs and the estimators.

Respondent data come as a pandas DataFrame or as ``Columns`` (named numpy arrays, what the
command line reads without loading pandas); the readers here give the same numbers and the same
errors for both, and load pandas only for a DataFrame's columns.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


class DesignError(ValueError):
    """Bad input for a design or an estimate; names the column, the 1-based data row or the stratum."""

    def __init__(self, message: str, *, column: str | None = None, row: int | None = None,
                 stratum: object = None):
        super().__init__(message)
        self.column, self.row, self.stratum = column, row, stratum


class Labels:
    """A text column held as a code per row into its sorted distinct values (−1: missing), as
    a categorical is: cheap to group by. The command line reads strata, clusters and domains
    so."""

    def __init__(self, codes: np.ndarray, values: list[str]):
        self.codes, self.values = np.asarray(codes, dtype=np.int64), list(values)

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, row: int) -> str:
        code = self.codes[row]
        return self.values[code] if code >= 0 else ""

    def to_numpy(self) -> np.ndarray:
        """The text as a numpy ``str`` array, "" where missing."""
        return np.asarray(self.values + [""], dtype=str)[self.codes]


class SmallInts:
    """An integer column of small values (int8: how the command line reads answers), with where
    it has a value (``present``; None: every row): a byte per answer; float64 with NaN only
    when asked (``to_numpy``)."""

    def __init__(self, values: np.ndarray, present: np.ndarray | None = None):
        self.values, self.present = np.asarray(values, dtype=np.int8), present

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, row: int) -> float:
        return float(self.values[row]) if self.present is None or self.present[row] else np.nan

    def to_numpy(self) -> np.ndarray:
        """The values as float64, NaN where missing."""
        numbers = self.values.astype(float)
        if self.present is not None:
            numbers[~self.present] = np.nan
        return numbers


class Columns:
    """Respondent data as named columns of one length, read like a DataFrame's columns.

    ``columns`` lists the names, ``frame[name]`` gives the column and ``len(frame)`` the rows.
    Numbers are float64 arrays with NaN for a missing value, or ``SmallInts``; text is
    ``Labels`` or an array of ``str`` with "" for a missing value.
    """

    def __init__(self, data: Mapping[str, np.ndarray]):
        self.data = {name: values if isinstance(values, (Labels, SmallInts)) else np.asarray(values)
                     for name, values in data.items()}
        lengths = {len(values) for values in self.data.values()}
        if len(lengths) > 1:
            raise DesignError(f"columns of different lengths: {sorted(lengths)}")
        self.rows = lengths.pop() if lengths else 0

    @property
    def columns(self) -> list[str]:
        """The column names, in order."""
        return list(self.data)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.data[name]

    def __len__(self) -> int:
        return self.rows


def is_pandas(values: Any) -> bool:
    """A pandas object (whose methods are used as they are) rather than a numpy array?"""
    return type(values).__module__.startswith("pandas")


def as_array(values: Any) -> Any:
    """``Labels`` and ``SmallInts`` as plain numpy arrays (text, float64 with NaN); any other
    column as it is."""
    return values.to_numpy() if isinstance(values, (Labels, SmallInts)) else values


def missing(values: Any) -> np.ndarray:
    """Where a column has no value: NaN/None (pandas' ``isna``), or "" in a numpy text column."""
    if is_pandas(values):
        return values.isna().to_numpy()
    if isinstance(values, Labels):
        return values.codes < 0
    if isinstance(values, SmallInts):
        return np.zeros(len(values), dtype=bool) if values.present is None else ~values.present
    values = np.asarray(values)
    if values.dtype.kind == "f":
        return np.isnan(values)
    if values.dtype.kind in "US":
        return values == values.dtype.type()
    if values.dtype.kind == "O":
        return np.array([v is None or (isinstance(v, float) and math.isnan(v)) for v in values],
                        dtype=bool)
    return np.zeros(len(values), dtype=bool)


def factorize(values: Any, sort: bool = True) -> tuple[np.ndarray, list]:
    """Integer code per row and the distinct values (sorted), as ``pandas.factorize``.

    A missing value gets code −1 and is not among the values. pandas columns use
    ``pandas.factorize`` itself; numpy arrays give the same codes and labels for text and
    numbers (``sort`` is implied: numpy's distinct values are sorted).
    """
    if is_pandas(values):
        import pandas as pd
        codes, labels = pd.factorize(values, sort=sort)
        return np.asarray(codes, dtype=np.int64), list(labels)
    if isinstance(values, Labels):
        return values.codes, values.values
    values = np.asarray(as_array(values))
    absent = missing(values)
    present = values[~absent] if absent.any() else values
    labels, inverse = np.unique(present, return_inverse=True)
    codes = np.full(len(values), -1, dtype=np.int64)
    codes[~absent] = inverse.ravel()
    return codes, [v.item() if isinstance(v, np.generic) else v for v in labels]


def as_frame(frame: pd.DataFrame | Columns, names: list[str]) -> pd.DataFrame:
    """The ``names`` columns as a DataFrame (``Columns`` converted: text as text, "" and NaN
    missing), for the parts of the library that work on frames (weighting, reliability)."""
    import pandas as pd

    if is_pandas(frame):
        return frame[names]
    data = {}
    for name in names:
        values = as_array(frame[name])
        data[name] = pd.Series(values).replace("", None) if values.dtype.kind in "US" \
            else values
    return pd.DataFrame(data)


def value_at(values: Any, row: int) -> Any:
    """The value of a column at a 0-based position (for error messages)."""
    value = values.iloc[row] if is_pandas(values) else values[row]
    return value.item() if isinstance(value, np.generic) else value


def numeric_column(frame: pd.DataFrame | Columns, name: str, role: str) -> np.ndarray:
    """A column as float64; a non-numeric value raises DesignError naming the column and row."""
    if name not in frame.columns:
        raise DesignError(f"missing column {name!r} ({role})", column=name)
    values = as_array(frame[name])
    if values.dtype.kind in "biuf":
        return values.to_numpy(dtype=float) if is_pandas(values) else \
            np.asarray(values, dtype=float)
    import pandas as pd  # text where numbers belong: pandas' coercion for both kinds
    if not is_pandas(values):
        values = pd.Series(values).replace("", None)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = (numbers.isna() & values.notna() & (values.astype(str).str.strip() != "")).to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DesignError(f"column {name!r}, row {row + 1}: {values.iloc[row]!r} is not a number",
                          column=name, row=row + 1)
    return numbers.to_numpy(dtype=float)
