"""``presentation.records`` gives what ``DataFrame.to_dict("records")`` gives."""
import numpy as np
import pandas as pd

from survey.reports.presentation import records


def test_records_equal_pandas_records_for_every_column_kind():
    table = pd.DataFrame({
        "by": pd.Series(["A", None, "C"], dtype="str"), "estimate": [81.5, np.nan, 70.0],
        "n": np.array([3, 0, 12], dtype=np.int64), "shown": [True, False, True],
        "note": pd.Series(["x", None, ""], dtype=object),
        "when": pd.to_datetime(["2026-01-01", "2026-02-01", None]),
        "flag": pd.Categorical(["ok", "suppressed", "ok"])})
    ours, theirs = records(table), table.to_dict("records")
    assert len(ours) == len(theirs) == 3
    for mine, expected in zip(ours, theirs):
        assert mine.keys() == expected.keys()
        for key, value in expected.items():
            if isinstance(value, float) and np.isnan(value):
                assert isinstance(mine[key], float) and np.isnan(mine[key]), key
            elif value is pd.NaT:
                assert mine[key] is pd.NaT, key
            else:
                assert mine[key] == value and type(mine[key]) is type(value), key


def test_an_empty_table_has_no_records():
    assert records(pd.DataFrame(columns=["by", "estimate"])) == []
