"""The command line's reader: pyarrow for well-formed files, pandas for the rest, same numbers.

The pandas reader is the reference here: it is how the command line read every file before, and
the R reference tests (``test_analysis_cli.py``) were computed through it.
"""
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from analysis import SurveyDesign, readers, sipas
from analysis.cli import main
from analysis.columns import Columns, Labels, SmallInts, factorize, missing

DESIGN = {"weights": "weight", "strata": "agency", "clusters": "counter"}
TEXT = ["agency", "counter", "service_area"]


def fast(path, structure):
    return readers.read_columns(path, [*TEXT, "weight", *structure.criteria], TEXT,
                                structure.criteria, ["weight"])


def test_missing_values_are_pandas_defaults():
    from pandas._libs.parsers import STR_NA_VALUES

    assert set(readers.NA_VALUES) == set(STR_NA_VALUES)


@pytest.mark.parametrize("written", ["integers", "floats"])
def test_fast_reader_gives_the_pandas_numbers(example_csv, sipas_frame, structure, written):
    frame = sipas_frame.copy()
    if written == "integers":   # blanks and 4, not 4.0
        frame = frame.astype({c: "Int64" for c in structure.criteria})
    frame["agency"] = frame["agency"].str.replace("AG", "0")   # codes such as "01" stay text
    frame.loc[3, "service_area"] = "NA"                        # read as missing by both
    frame.loc[4, "TC1"] = np.nan
    path = example_csv(frame)
    columns = fast(path, structure)
    assert isinstance(columns, Columns)
    assert isinstance(columns["TC2"], SmallInts)   # "4" and "4.0" alike
    assert isinstance(columns["agency"], Labels) and columns["agency"][0].startswith("0")
    reference = readers.read_frame(path, [*TEXT, "weight", *structure.criteria], TEXT)
    assert missing(columns["service_area"])[3] and reference["service_area"].isna()[3]
    keep = ~missing(columns["service_area"])
    by = np.where(keep, columns["service_area"].to_numpy(), "none")
    got = sipas.indices(SurveyDesign(columns, **DESIGN), structure, by=by).to_frame()
    want = sipas.indices(SurveyDesign(reference, **DESIGN), structure, by=by).to_frame()
    assert list(got["measure"]) == list(want["measure"]) and list(got["by"]) == list(want["by"])
    for name in ("estimate", "se", "ci_low", "ci_high", "deff"):
        assert np.allclose(got[name], want[name], rtol=1e-12, atol=0, equal_nan=True), name
    assert (got["n"] == want["n"]).all()


@pytest.mark.parametrize("change", ["answer x", "weight abc",
                                    "ragged row", "duplicate header"])
def test_files_the_fast_reader_cannot_take_are_read_by_pandas(tmp_path, sipas_frame, structure,
                                                              change):
    frame = sipas_frame.head(50).copy()
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    lines = path.read_text().splitlines()
    header, first = lines[0].split(","), lines[1].split(",")
    if change.startswith("answer"):
        first[header.index("TT2")] = change.split()[1]
    elif change == "weight abc":
        first[header.index("weight")] = "abc"
    elif change == "ragged row":
        first.append("5")
    else:
        header[-1] = "TC1"
    path.write_text("\n".join([",".join(header), ",".join(first), *lines[2:]]) + "\n")
    read = readers.read_columns(str(path), [*TEXT, "weight", "TC1", "TT2"], TEXT, ["TC1", "TT2"],
                                ["weight"])
    assert isinstance(read, pd.DataFrame)


def test_a_quoted_line_break_stays_in_its_value(tmp_path, sipas_frame):
    frame = sipas_frame.head(50).copy()
    frame.loc[[0, 30], "response_id"] = ["r\nx", 'say "hi",\nbye']
    frame.loc[1, "service_area"] = "LV\n01"
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    read = readers.read_columns(str(path), ["service_area", "TC1"], ["service_area"], ["TC1"])
    assert isinstance(read, Columns) and len(read) == 50
    assert read["service_area"].to_numpy().tolist() == frame["service_area"].tolist()
    assert np.array_equal(read["TC1"], frame["TC1"], equal_nan=True)


@pytest.mark.parametrize("value", ["4.5", "300", "0x3", "NAN", "5e0", "four"])
def test_answers_that_are_not_small_whole_numbers_are_read_by_pandas(tmp_path, sipas_frame,
                                                                     value):
    """pyarrow's number parsers take hexadecimal and "NAN"; pandas does not, so such a file
    goes to pandas, which reads what it reads (5e0 is 5) and names the rest."""
    frame = sipas_frame.head(50).astype({"TT2": object})
    frame.loc[0, "TT2"] = value
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    read = readers.read_columns(str(path), ["TT2"], (), ["TT2"])
    assert isinstance(read, pd.DataFrame)


@pytest.mark.parametrize("value, answer", [("4", 4), (" 4 ", 4), ("+4", 4), ("04", 4),
                                           ("4.0", 4), ("4.", 4), ("-3", -3)])
def test_whole_numbers_take_the_fast_reader(tmp_path, sipas_frame, value, answer):
    frame = sipas_frame.head(50).astype({"TT2": object})
    frame.loc[0, "TT2"] = value
    frame.loc[1, "TT2"] = None
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    read = readers.read_columns(str(path), ["TT2"], (), ["TT2"])
    assert isinstance(read, Columns) and isinstance(read["TT2"], SmallInts)
    assert read["TT2"][0] == answer and np.isnan(read["TT2"][1])


@pytest.mark.parametrize("value, message", [("4.5", "'TT2', row 1"), ("x", "'TT2', row 1"),
                                            ("9", "'TT2', row 1"), ("-3", "'TT2', row 1"),
                                            ("0x3", "'TT2', row 1"), ("NAN", "'TT2', row 1")])
def test_a_bad_answer_names_the_column_and_row_on_either_reader(capsys, tmp_path, sipas_frame,
                                                               value, message):
    frame = sipas_frame.head(50).astype({"TT2": object})
    frame.loc[0, "TT2"] = value
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    status = main(["sipas", str(path), "--weight", "weight", "--strata", "agency"])
    err = capsys.readouterr().err
    assert status == 2 and message in err and err.count("\n") == 1


def test_text_chunks_with_their_own_dictionaries_are_merged():
    chunks = [pa.array(["b", None, "a", "b"]).dictionary_encode(),
              pa.array(["c", "a", None]).dictionary_encode()]
    labels = readers._text(pa.chunked_array(chunks))
    assert labels.values == ["a", "b", "c"]
    assert labels.codes.tolist() == [1, -1, 0, 1, 2, 0, -1]
    codes, values = factorize(labels)
    want_codes, want_values = pd.factorize(pd.Series(["b", None, "a", "b", "c", "a", None]),
                                           sort=True)
    assert codes.tolist() == want_codes.tolist() and values == list(want_values)


def test_answers_and_numbers_from_sliced_chunks_keep_their_missing_values():
    whole = pa.array(["1", None, "3", "4", None, "6.0"]).dictionary_encode()
    column = pa.chunked_array([whole.slice(1, 3), whole.slice(4, 2)])
    answers = readers._answers(column)
    assert isinstance(answers, SmallInts)
    assert np.array_equal(answers.to_numpy(), [np.nan, 3, 4, np.nan, 6], equal_nan=True)
    weights = readers._numbers(pa.chunked_array([pa.array([0.5, None, 2.0]).slice(1)]))
    assert np.array_equal(weights, [np.nan, 2.0], equal_nan=True)


def test_columns_of_unequal_length_are_refused():
    with pytest.raises(ValueError, match="different lengths"):
        Columns({"a": np.zeros(3), "b": np.zeros(2)})


def test_both_commands_keep_codes_with_leading_zeros_apart(tmp_path, sipas_frame):
    """"01" and "1" are two strata for ``sipas`` (pyarrow) and ``estimate`` (pandas)."""
    frame = sipas_frame.head(200).copy()
    frame["agency"] = np.where(np.arange(200) % 2, "01", "1")
    path = tmp_path / "responses.csv"
    frame.to_csv(path, index=False)
    fast_read = readers.read_columns(str(path), ["agency"], ["agency"])
    pandas_read = readers.read_frame(str(path), ["agency"], ["agency"], ["agency"])
    assert fast_read["agency"].values == ["01", "1"]
    assert sorted(pandas_read["agency"].cat.categories) == ["01", "1"]


def test_the_whole_library_takes_columns_as_it_takes_a_frame(example_csv, sipas_frame,
                                                             structure):
    """Reliability, weighting and comparisons on a design of ``Columns`` give the numbers of
    the same design on the DataFrame pandas reads."""
    from analysis import compare, reliability, weighting

    frame = sipas_frame.astype({c: "Int64" for c in structure.criteria})
    path = example_csv(frame)
    designs = [SurveyDesign(read, **DESIGN) for read in (
        fast(path, structure), readers.read_frame(path, [*TEXT, "weight", *structure.criteria],
                                                  TEXT))]
    alphas = [reliability.cronbach_alpha(d, structure) for d in designs]
    assert np.allclose(alphas[0]["alpha"], alphas[1]["alpha"], rtol=1e-12)
    totals = sipas_frame.groupby("service_area")["weight"].sum().to_dict()
    means = [weighting.post_stratify(d, totals, cells="service_area")
             .mean("TC1") for d in designs]
    assert means[0].estimate == pytest.approx(means[1].estimate, rel=1e-12)
    assert means[0].se == pytest.approx(means[1].se, rel=1e-12)
    gaps = [compare.design_difference(d, "TC1", "service_area", "LV01", "LV02", value=5)
            for d in designs]
    assert gaps[0].estimate == pytest.approx(gaps[1].estimate, rel=1e-12)
