"""Reading a CSV file of responses for the command line: answers as small integers, no pandas.

``read_columns`` reads with pyarrow's CSV reader (multi-threaded): answers as 8-bit integers
(as floats when written so, "4.0"), labels (strata, clusters, domains) as text, weights as
floats, into ``Columns``. A file it cannot take as it stands (an answer that is not a number, a
weight that is not a number,
a duplicated column name, rows of unequal length) is read
by pandas instead (``read_frame``), whose messages name the column and the row. Both readers
treat the same values as missing, so the numbers and the errors do not depend on which one
read the file.
"""
from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .columns import Columns, DesignError, Labels, SmallInts

if TYPE_CHECKING:
    import pandas as pd

#: Values read as missing: pandas' default ``na_values`` (``pandas._libs.parsers.STR_NA_VALUES``;
#: a test keeps the two equal), so both readers agree.
NA_VALUES = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
             "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


def header(path: str) -> list[str]:
    """The column names of the CSV file at ``path``; an unreadable file is a DesignError."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            names = next(csv.reader(handle), None)
    except FileNotFoundError:
        raise DesignError(f"cannot read {path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise DesignError(f"cannot read {path}: {str(error).splitlines()[0]}") from None
    if not names:
        raise DesignError(f"cannot read {path}: no columns to parse from the file")
    return names


def _columns_present(path: str, needed: Sequence[str]) -> list[str]:
    """The header of the file, after checking that every ``needed`` column is in it."""
    names = header(path)
    for name in needed:
        if name not in names:
            raise DesignError(f"missing column {name!r} in {path}", column=name)
    return names


def read_columns(path: str, needed: Sequence[str], text_columns: Sequence[str] = (),
                 answer_columns: Sequence[str] = (),
                 number_columns: Sequence[str] = ()) -> Columns | pd.DataFrame:
    """The ``needed`` columns of the CSV file at ``path``, as ``Columns`` (or, for a file the
    fast reader cannot take, as pandas reads it: ``read_frame``).

    ``text_columns`` stay text ("05" stays "05"), as ``Labels``; ``answer_columns`` are
    ``SmallInts`` (−128..127), or float64 with NaN for unanswered when the file holds other
    numbers there; ``number_columns`` are float64.
    """
    names = _columns_present(path, needed)
    wanted = list(dict.fromkeys(needed))
    if len(set(names)) < len(names):
        return read_frame(path, wanted, text_columns)
    # answers as int8; written as floats ("4.0", as pandas writes a column with blanks), as
    # float64; anything else by pandas
    for answers, numbers in ((answer_columns, number_columns),
                             ((), [*number_columns, *answer_columns])):
        try:
            table = _arrow_table(path, wanted, text_columns, answers, numbers)
            break
        except ValueError:   # pyarrow.ArrowInvalid: a value or a row it cannot take
            continue
    else:
        return read_frame(path, wanted, text_columns)
    if table.num_rows == 0:
        raise DesignError(f"{path} has no data rows")
    text = set(text_columns)
    return Columns({name: _text(table[name]) if name in text else _numbers(table[name])
                    for name in wanted})


def _arrow_table(path: str, wanted: list[str], text_columns: Sequence[str],
                 answer_columns: Sequence[str], number_columns: Sequence[str]):
    from pyarrow import csv as arrow_csv
    from pyarrow import dictionary, float64, int8, int32, string

    types = {name: float64() for name in number_columns}
    types.update({name: int8() for name in answer_columns})
    types.update({name: dictionary(int32(), string()) for name in text_columns})
    convert = arrow_csv.ConvertOptions(
        include_columns=wanted, column_types={n: t for n, t in types.items() if n in wanted},
        null_values=list(NA_VALUES), strings_can_be_null=True, quoted_strings_can_be_null=True)
    parse = arrow_csv.ParseOptions(newlines_in_values=True)   # a quoted value may hold one
    return arrow_csv.read_csv(path, parse_options=parse, convert_options=convert)


def _text(column) -> Labels:
    """A pyarrow dictionary-encoded text column as ``Labels`` (each chunk has its own
    dictionary: codes are mapped to the sorted union)."""
    chunks = [(chunk.dictionary.to_pylist(), *_buffers(chunk.indices, np.int32))
              for chunk in column.chunks]
    values = sorted({v for labels, _, _ in chunks for v in labels if v is not None})
    position = {v: code for code, v in enumerate(values)}
    parts = []
    for labels, index, valid in chunks:
        known = np.array([position.get(v, -1) for v in labels] + [-1], dtype=np.int64)
        parts.append(known[index if valid is None else np.where(valid, index, len(labels))])
    return Labels(np.concatenate(parts) if parts else np.zeros(0, np.int64), values)


def _numbers(column) -> np.ndarray | SmallInts:
    """A pyarrow int8 column as ``SmallInts``, a float64 one as float64 with NaN where missing."""
    array = column.combine_chunks()
    if str(array.type) == "int8":
        return SmallInts(*_buffers(array, np.int8))
    values, valid = _buffers(array, np.float64)
    if valid is None:
        return values
    values = values.copy()
    values[~valid] = np.nan
    return values


def _buffers(array, dtype) -> tuple[np.ndarray, np.ndarray | None]:
    """The values and the validity (None: no value missing) of a primitive pyarrow array.

    Read from its buffers (Arrow's layout: a validity bitmap, least significant bit first, and
    the values), because pyarrow's own conversions to numpy and its scalars load pandas.
    """
    start, stop = array.offset, array.offset + len(array)
    validity, data = array.buffers()[:2]
    values = np.frombuffer(data, dtype=dtype)[start:stop]
    if array.null_count == 0 or validity is None:
        return values, None
    bits = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
    return values, bits[start:stop].astype(bool)


def read_frame(path: str, needed: Sequence[str], text_columns: Sequence[str] = (),
               label_columns: Sequence[str] = ()) -> pd.DataFrame:
    """The ``needed`` columns of the CSV file at ``path`` as pandas reads them.

    ``text_columns`` are read as text (codes such as "05" stay codes), and those of them in
    ``label_columns`` (only ever grouped by) as categories of that text, which are cheaper to
    group by than text at a million rows.
    """
    import pandas as pd

    names = _columns_present(path, needed)
    dtypes: dict[str, object] = {c: str for c in text_columns if c in names}
    dtypes.update({c: "category" for c in label_columns if c in dtypes})
    try:
        frame = pd.read_csv(path, usecols=list(dict.fromkeys(needed)), dtype=dtypes,
                            keep_default_na=True, low_memory=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError,
            ValueError) as e:
        raise DesignError(f"cannot read {path}: {str(e).splitlines()[0]}") from None
    if frame.empty:
        raise DesignError(f"{path} has no data rows")
    return frame
