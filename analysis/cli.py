"""Command line: ``python -m analysis sipas FILE …`` and ``python -m analysis estimate FILE …``.

Bad input (missing column, non-numeric answer, answer off the scale, empty domain, non-positive
weight, lonely PSU under ``fail``, unreadable file) prints one line on stderr naming the column,
the 1-based data row or the stratum, and exits with status 2.
"""
from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from collections.abc import Mapping, Sequence

import numpy as np

from . import intervals, readers
from .columns import DesignError, missing
from .design import LONELY_RULES, SurveyDesign
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


def _design(frame, args) -> SurveyDesign:
    if args.by is not None:
        blank = missing(frame[args.by])
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


def run_sipas(args) -> dict[str, np.ndarray]:
    """Records of ``python -m analysis sipas``, as columns."""
    from . import sipas
    structure = sipas.load_structure(args.questionnaire)
    data = readers.read_columns(args.file, _design_columns(args) + structure.criteria,
                                text_columns=_text_columns(args),
                                answer_columns=structure.criteria,
                                number_columns=[c for c in (args.weight, args.fpc) if c])
    design = _design(data, args)
    table = sipas.indices(design, structure, by=args.by, ci=args.ci or "logit",
                          level=args.level).columns
    empty = np.flatnonzero((table["level"] == "index") & (table["n"] == 0))
    if len(empty):
        raise DesignError(f"column {args.by!r}: empty domain {str(table['by'][empty[0]])!r} "
                          "(no answered criterion)", column=args.by)
    return table


def run_estimate(args) -> dict[str, np.ndarray]:
    """Records of ``python -m analysis estimate``, as columns."""
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
    frame = readers.read_frame(args.file, needed, _text_columns(args) + compared, labels)
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
    return {name: np.array([row[name] for row in rows], dtype=object) for name in RECORD_FIELDS}


def _plain(value):
    """A Python value for output: numpy scalars unboxed, NaN and infinities as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write(table: Mapping[str, Sequence], fmt: str, stream) -> None:
    """Write records (columns of equal length) as a JSON list or as CSV (missing: empty)."""
    names = [c for c in RECORD_FIELDS if c in table] + [c for c in table if c not in RECORD_FIELDS]
    rows = zip(*([_plain(v) for v in np.asarray(table[name], dtype=object)] for name in names))
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(["" if v is None else v for v in row] for row in rows)
        return
    json.dump([dict(zip(names, row)) for row in rows], stream, ensure_ascii=False,
              allow_nan=False)
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
