"""SIPAS sufficient sums computed by the database: one SQLAlchemy Core ``GROUP BY`` query.

``sipas_sums(engine, table, "sipas", stratum="agency", psu="counter", domain="service_area",
weight="weight")`` returns the sums DataFrame that ``analysis.sipas.indices_from_sums`` turns
into the SIPAS table; only one row per (stratum, PSU, domain) leaves the database. Works on
SQLite and PostgreSQL (SQLAlchemy Core only).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from .design import DesignError
from .sums import SUM_KINDS


def _columns(selectable):
    if isinstance(selectable, sa.Select):
        selectable = selectable.subquery()
    return selectable, selectable.c


def sipas_sums(bind, selectable, structure="sipas", *, psu: str, stratum: str | None = None,
               domain: str | None = None, weight: str | None = None, fpc: str | None = None,
               columns: dict | None = None) -> pd.DataFrame:
    """Per-(stratum, PSU, domain) sums of a table, subquery or select with one column per
    criterion (``columns`` maps criterion code → column name when they differ).

    ``bind``: an Engine or Connection. ``psu`` is required (for an unclustered design pass the
    response id). Answers must already be valid (1..5 or NULL = unanswered).
    """
    from .sipas import load_structure
    structure = load_structure(structure)
    if psu is None:
        raise DesignError("psu column required (the response id for an unclustered design)")
    source, c = _columns(selectable)
    names = columns or {}

    def col(name):
        if name not in c:
            raise DesignError(f"missing column {name!r}", column=name)
        return c[name]

    w = col(weight) if weight else None
    as_float = sa.Float().with_variant(sa.Double(), "postgresql")

    def wsum(expr):
        return sa.cast(sa.func.coalesce(sa.func.sum(expr if w is None else w * expr), 0),
                       as_float)

    keys = [(name, label) for name, label in ((stratum, "stratum"), (psu, "psu"),
                                              (domain, "domain"), (fpc, "fpc")) if name]
    key_columns = [col(name).label(label) for name, label in keys]
    answers = {code: col(names.get(code, code)) for code in structure.criteria}
    measures = [sa.func.count().label("rows")]
    one, zero = sa.literal(1.0), sa.literal(0.0)
    for kind in SUM_KINDS:
        for code, x in answers.items():
            if kind == "n":
                expr = sa.func.count(x)
            elif kind == "a":
                expr = wsum(sa.case((x.is_not(None), one), else_=zero))
            elif kind == "s":
                expr = wsum(sa.case((x >= structure.satisfied_min, one), else_=zero))
            elif kind == "y":
                expr = wsum(sa.cast(x, as_float))
            else:
                expr = wsum(sa.cast(x, as_float) * sa.cast(x, as_float))
            measures.append(expr.label(f"{kind}_{code}"))
    for element in structure.elements:
        anyone = sa.or_(*(answers[code].is_not(None) for code in element.criteria))
        measures.append(sa.func.sum(sa.case((anyone, 1), else_=0)).label(f"ne_{element.code}"))
    anyone = sa.or_(*(x.is_not(None) for x in answers.values()))
    measures.append(sa.func.sum(sa.case((anyone, 1), else_=0)).label("n_any"))
    query = sa.select(*key_columns, *measures).select_from(source).group_by(
        *(col(name) for name, _ in keys))
    if isinstance(bind, sa.engine.Engine):
        with bind.connect() as connection:
            result = connection.execute(query)
            rows, labels = result.fetchall(), list(result.keys())
    else:
        result = bind.execute(query)
        rows, labels = result.fetchall(), list(result.keys())
    frame = pd.DataFrame(rows, columns=labels)
    for name in labels:
        if name not in ("stratum", "psu", "domain"):
            frame[name] = frame[name].astype(np.float64)
    return frame
