"""A response's slice vector computed in plain Python (the submission path) equals the one
``analysis.slices`` packs from the same answers with numpy."""
from datetime import date

import numpy as np
import pandas as pd
import pytest

from analysis import sipas, slices
from survey.questionnaires import load_file, shipped_files
from survey.sums import VectorLayout, month_of


def load_definition(code: str) -> dict:
    return next(load_file(p) for p in shipped_files() if p.stem == code)


@pytest.mark.parametrize("code", ["sipas", "sipas-2023"])
def test_python_vector_equals_the_packed_slice_of_one_respondent(code):
    definition = load_definition(code)
    layout = VectorLayout.from_definition(definition)
    structure = sipas.Structure.from_definition(definition)
    assert list(layout.criteria) == structure.criteria
    rng = np.random.default_rng(1)
    for _ in range(25):
        values = rng.integers(1, 6, len(layout.criteria)).astype(float)
        values[rng.random(len(values)) < 0.3] = np.nan
        answers = {c: int(v) for c, v in zip(layout.criteria, values) if not np.isnan(v)}
        one = slices.from_answers(pd.DataFrame({"k": [0]}), values[None, :], structure, ["k"])
        assert layout.contribution(answers) == one.pack()[0].tolist()
        assert len(layout.contribution(answers)) == layout.size == slices.vector_size(
            len(structure.criteria), len(structure.elements))


def test_nothing_answered_counts_a_row_and_nothing_else():
    layout = VectorLayout.from_definition(load_definition("sipas"))
    assert set(layout.contribution({})) == {0}


def test_month_of_pads():
    assert month_of(date(2026, 3, 9)) == "2026-03"


def _array_send(values: list[int]) -> bytes:
    """PostgreSQL's binary form of a one-dimensional bigint[] (its documented wire format)."""
    import struct

    head = struct.pack(">iiiii", 1, 0, 20, len(values), 1)
    return head + b"".join(struct.pack(">iq", 8, v) for v in values)


def test_binary_arrays_from_postgresql_decode_to_their_integers():
    from survey.slices import unpack_array_send

    rows = [[0, 1, -1, 2**40, -(2**62)], [5, 4, 3, 2, 1], [7, 0, 0, 0, 9]]
    decoded = unpack_array_send([_array_send(r) for r in rows])
    assert decoded.dtype == np.int64
    assert decoded.tolist() == rows


@pytest.mark.parametrize("blobs", [
    [_array_send([1, 2, 3]), _array_send([1, 2])],              # lengths differ
    [_array_send([1, 2, 3])[:-1]],                              # cut short
    [_array_send([1, 2, 3]).replace(b"\x00\x00\x00\x14", b"\x00\x00\x00\x17", 1)],  # int4
    [_array_send([1, 2, 3])[:4] + b"\x00\x00\x00\x01" + _array_send([1, 2, 3])[8:]],  # NULLs
])
def test_binary_arrays_of_another_form_are_refused(blobs):
    from survey.slices import unpack_array_send

    with pytest.raises(ValueError):
        unpack_array_send(blobs)
