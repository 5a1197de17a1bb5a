"""Command line: ``python -m analysis sipas FILE …`` and ``python -m analysis estimate FILE …``.

Bad input (missing column, non-numeric answer, answer off the scale, empty domain, non-positive
weight, lonely PSU under ``fail``, unreadable file) prints one line on stderr naming the column,
the 1-based data row or the stratum, and exits with status 2.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import intervals
from .design import LONELY_RULES, DesignError, SurveyDesign
from .estimators import mean, proportion, total

RECORD_FIELDS = ["by", "level", "measure", "estimate", "se", "ci_low", "ci_high", "n", "n_eff",
                 "flag", "deff", "ci_method", "df"]


class UsageError(Exception):
    """A command-line usage error (reported on one line, exit 2)."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def _design_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="CSV file, one row per response")
    parser.add_argument("--weight", help="weight column")
    parser.add_argument("--strata", help="stratum column")
    parser.add_argument("--cluster", help="cluster (PSU) column, nested in strata")
    parser.add_argument("--fpc", help="population PSUs per stratum (or sampling fraction)")
    parser.add_argument("--lonely-psu", default="adjust", choices=LONELY_RULES)
    parser.add_argument("--by", help="domain column: ALL rows plus one block per value")
    parser.add_argument("--ci", choices=intervals.METHODS, default=None,
                        help="interval for shares (default logit); means and totals use wald")
    parser.add_argument("--level", type=float, default=0.95)
    parser.add_argument("--format", choices=("json", "csv"), default="json")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m analysis``."""
    parser = _Parser(prog="python -m analysis", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sip = commands.add_parser("sipas", help="SIPAS indices of a responses file")
    _design_options(sip)
    sip.add_argument("--questionnaire", default="sipas", help="code or path of a .json file")
    est = commands.add_parser("estimate", help="means, proportions, totals of survey data")
    _design_options(est)
    est.add_argument("--mean", nargs="+", default=[], metavar="COL")
    est.add_argument("--proportion", nargs="+", default=[], metavar="COL=VALUE")
    est.add_argument("--total", nargs="+", default=[], metavar="COL")
    return parser


def _read(path: str, needed: Sequence[str], text_columns: Sequence[str] = (),
          label_columns: Sequence[str] = ()) -> pd.DataFrame:
    """The ``needed`` columns of the CSV file at ``path``.

    ``text_columns`` are read as text (codes such as "05" stay codes), and those of them in
    ``label_columns`` (strata, clusters and domains, only ever grouped by) as categories of that
    text: the same labels in the same sorted order, each held once, so reading them and grouping
    by them is much cheaper than with text at a million rows. Answers keep pandas' own parsing:
    forcing a small integer or float32 type was measured slower to read, and ``analysis``
    turns answers into float64 for the estimates either way.
    """
    header = _header(path)
    for name in needed:
        if name not in header:
            raise DesignError(f"missing column {name!r} in {path}", column=name)
    dtypes: dict[str, object] = {c: str for c in text_columns if c in header}
    dtypes.update({c: "category" for c in label_columns if c in dtypes})
    try:
        frame = pd.read_csv(path, usecols=list(dict.fromkeys(needed)), dtype=dtypes,
                            keep_default_na=True, low_memory=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as e:
        raise DesignError(f"cannot read {path}: {str(e).splitlines()[0]}") from None
    if frame.empty:
        raise DesignError(f"{path} has no data rows")
    return frame


def _header(path: str) -> pd.Index:
    """The column names of the CSV file at ``path``; an unreadable file is a DesignError."""
    try:
        return pd.read_csv(path, nrows=0).columns
    except FileNotFoundError:
        raise DesignError(f"cannot read {path}: no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise DesignError(f"cannot read {path}: {str(e).splitlines()[0] if str(e) else e}") \
            from None


def _design(frame: pd.DataFrame, args) -> SurveyDesign:
    if args.by is not None:
        blank = frame[args.by].isna().to_numpy()
        if blank.any():
            row = int(np.flatnonzero(blank)[0]) + 1
            raise DesignError(f"column {args.by!r}, row {row}: empty domain value",
                              column=args.by, row=row)
    return SurveyDesign(frame, weights=args.weight, strata=args.strata, clusters=args.cluster,
                        fpc=args.fpc, lonely_psu=args.lonely_psu)


def _design_columns(args) -> list[str]:
    return [c for c in (args.weight, args.strata, args.cluster, args.fpc, args.by) if c]


def _text_columns(args) -> list[str]:
    """The columns read as text: strata, clusters and domains."""
    return [c for c in (args.strata, args.cluster, args.by) if c]


def _label_columns(args, used_otherwise: Sequence[str]) -> list[str]:
    """The text columns only grouped by, read as categories: all but those also read as numbers
    or matched as text (``used_otherwise``), which stay plain text as they always were."""
    return [c for c in _text_columns(args)
            if c not in used_otherwise and c not in (args.weight, args.fpc)]


def run_sipas(args) -> pd.DataFrame:
    """Records of ``python -m analysis sipas``."""
    from . import sipas
    structure = sipas.load_structure(args.questionnaire)
    labels = _label_columns(args, structure.criteria)
    frame = _read(args.file, _design_columns(args) + structure.criteria, _text_columns(args),
                  labels)
    design = _design(frame, args)
    table = sipas.indices(design, structure, by=args.by, ci=args.ci or "logit",
                          level=args.level).to_frame()
    empty = table[(table["level"] == "index") & (table["n"] == 0)]
    if len(empty):
        raise DesignError(f"column {args.by!r}: empty domain {empty['by'].iloc[0]!r} "
                          "(no answered criterion)", column=args.by)
    return table


def run_estimate(args) -> pd.DataFrame:
    """Records of ``python -m analysis estimate``."""
    pairs = []
    for spec in args.proportion:
        if "=" not in spec:
            raise UsageError(f"--proportion expects COL=VALUE, not {spec!r}")
        pairs.append(tuple(spec.split("=", 1)))
    if not (args.mean or args.total or pairs):
        raise UsageError("give at least one of --mean, --proportion, --total")
    compared = [c for c, _ in pairs]  # matched as text ("5" = 5)
    labels = _label_columns(args, args.mean + args.total + compared)
    needed = _design_columns(args) + args.mean + args.total + compared
    frame = _read(args.file, needed, _text_columns(args) + compared, labels)
    design = _design(frame, args)
    jobs = [(mean, (c,), args.ci if args.ci == "wald" else "wald") for c in args.mean]
    jobs += [(proportion, pair, args.ci or "logit") for pair in pairs]
    jobs += [(total, (c,), "wald") for c in args.total]
    rows = []
    for function, params, ci in jobs:
        results = [function(design, *params, ci=ci, level=args.level)]
        if args.by:
            results += list(function(design, *params, by=args.by, ci=ci, level=args.level))
        for result in results:
            if result.n == 0:
                raise DesignError(f"column {params[0]!r}: empty domain {result.by!r} of "
                                  f"{args.by!r} (no values)", column=params[0])
            row = result.to_dict()
            rows.append({**row, "by": row["by"] if args.by else "ALL",
                         "level": row["statistic"], "measure": row["variable"]})
    return pd.DataFrame(rows)[RECORD_FIELDS]


def _jsonable(value):
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def write(table: pd.DataFrame, fmt: str, stream) -> None:
    """Write records as a JSON list or as CSV."""
    columns = RECORD_FIELDS + [c for c in table.columns if c not in RECORD_FIELDS]
    table = table[[c for c in columns if c in table.columns]]
    if fmt == "csv":
        table.to_csv(stream, index=False)
        return
    records = [{k: _jsonable(v) for k, v in r.items()} for r in table.to_dict("records")]
    json.dump(records, stream, ensure_ascii=False, allow_nan=False)
    stream.write("\n")


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        if not 0 < args.level < 1:
            raise UsageError(f"--level must be between 0 and 1, not {args.level}")
        table = run_sipas(args) if args.command == "sipas" else run_estimate(args)
    except UsageError as error:
        print(f"usage error: {error}", file=sys.stderr)
        return 2
    except DesignError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except (ValueError, KeyError, TypeError, OSError) as error:   # bad input we did not foresee
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"error: {message}", file=sys.stderr)
        return 2
    try:
        write(table, args.format, sys.stdout)
        sys.stdout.flush()
    except BrokenPipeError:
        sys.stderr.close()
    return 0
