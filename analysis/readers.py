"""Reading a CSV file of responses for the command line: answers as small integers, no pandas.

``read_columns`` reads with pyarrow's CSV reader (multi-threaded): answers as 8-bit integers
(or as text whose few distinct values are converted), labels (strata, clusters, domains) as
text, weights as floats, into ``Columns``. A file it cannot take as it stands (an answer that is not a small
whole number, a weight that is not a number, a duplicated column name, rows of unequal length)
is read by pandas instead (``read_frame``), whose messages name the column and the row. Both
readers treat the same values as missing, so the numbers and the errors do not depend on which
one read the file.
"""
from __future__ import annotations

import csv
import mmap
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .columns import Columns, DesignError, Labels, SmallInts

if TYPE_CHECKING:
    import pandas as pd

#: An answer as the fast reader takes it: a whole number in decimals, "4.0" included.
WHOLE_NUMBER = re.compile(r"\s*([+-]?\d+)(?:\.0*)?\s*")
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
    ``SmallInts`` (whole numbers from −128 to 127, written "4" or "4.0"); ``number_columns``
    are float64.
    """
    names = _columns_present(path, needed)
    wanted = list(dict.fromkeys(needed))
    if len(set(names)) < len(names):
        return read_frame(path, wanted, text_columns)
    # answers as int8 (fastest), unless the file holds "0x" (pyarrow's integers include
    # hexadecimal, pandas' do not) or a value int8 refuses ("4.0"); then as text, strictly
    attempts = (("text",) if _holds_hexadecimal(path) else ("int8", "text"))
    for answers_as in attempts:
        try:
            table = _arrow_table(path, wanted, text_columns, answer_columns, number_columns,
                                 answers_as)
            break
        except ValueError:   # pyarrow.ArrowInvalid: a value or a row it cannot take
            continue
    else:
        return read_frame(path, wanted, text_columns)
    if table.num_rows == 0:
        raise DesignError(f"{path} has no data rows")
    text, answers = set(text_columns), set(answer_columns) - set(text_columns)
    data = {}
    for name in wanted:
        if name in text:
            data[name] = _text(table[name])
        elif name in answers:
            data[name] = _answers(table[name])
            if data[name] is None:   # a value that is not a small whole number: pandas says which
                return read_frame(path, wanted, text_columns)
        else:
            data[name] = _numbers(table[name])
    return Columns(data)


def _holds_hexadecimal(path: str) -> bool:
    """Does "0x" or "0X" appear anywhere in the file (a hexadecimal number could)?"""
    with open(path, "rb") as handle:
        try:
            view = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:   # an empty file cannot be mapped
            return False
        with view:
            return view.find(b"0x") >= 0 or view.find(b"0X") >= 0


def _arrow_table(path: str, wanted: list[str], text_columns: Sequence[str],
                 answer_columns: Sequence[str], number_columns: Sequence[str],
                 answers_as: str):
    from pyarrow import csv as arrow_csv
    from pyarrow import dictionary, float64, int8, int32, string

    types = {name: float64() for name in number_columns}
    types.update({name: int8() if answers_as == "int8" else dictionary(int32(), string())
                  for name in answer_columns})
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
    parts = [_decoded(index, valid, [position.get(v, -1) for v in labels], -1, np.int64)
             for labels, index, valid in chunks]
    return Labels(np.concatenate(parts) if parts else np.zeros(0, np.int64), values)


def _decoded(index: np.ndarray, valid: np.ndarray | None, mapped: list, absent,
             dtype) -> np.ndarray:
    """A chunk's dictionary indices turned into ``mapped`` values, ``absent`` where missing."""
    lookup = np.array([*mapped, absent], dtype=dtype)
    return lookup[index if valid is None else np.where(valid, index, len(mapped))]


def _answers(column) -> SmallInts | None:
    """A pyarrow int8 or dictionary-encoded column of answers as ``SmallInts``; None when a
    text answer is not a whole number from −128 to 127 in decimals ("4", " 4", "4.0").

    Text answers have few distinct values; only those are converted, strictly (pyarrow's float
    parser would also take "NAN", which pandas refuses).
    """
    if str(column.type) == "int8":
        return SmallInts(*_buffers(column.combine_chunks(), np.int8))
    parts, present = [], []
    for chunk in column.chunks:
        numbers = []
        for label in chunk.dictionary.to_pylist():
            match = WHOLE_NUMBER.fullmatch(label)
            if match is None or not -128 <= int(match[1]) <= 127:
                return None
            numbers.append(int(match[1]))
        index, valid = _buffers(chunk.indices, np.int32)
        parts.append(_decoded(index, valid, numbers, 0, np.int8))
        present.append(np.ones(len(index), dtype=bool) if valid is None else valid)
    if not parts:
        return SmallInts(np.zeros(0, dtype=np.int8))
    mask = np.concatenate(present)
    return SmallInts(np.concatenate(parts), None if mask.all() else mask)


def _numbers(column) -> np.ndarray:
    """A pyarrow float64 column as float64, NaN where missing."""
    array = column.combine_chunks()
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
    dtypes = {c: str for c in text_columns if c in names}
    try:
        frame = pd.read_csv(path, usecols=list(dict.fromkeys(needed)), dtype=dtypes,
                            keep_default_na=True, low_memory=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError,
            ValueError) as e:
        raise DesignError(f"cannot read {path}: {str(e).splitlines()[0]}") from None
    if frame.empty:
        raise DesignError(f"{path} has no data rows")
    for name in label_columns:   # after reading: read as "category", "05" would become 5
        if name in dtypes:
            frame[name] = frame[name].astype("category")
    return frame
