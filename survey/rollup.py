"""The national roll-up without microdata: a province exports the design moments of a period;
a national instance imports those of many provinces and reports national and per-province
figures from them.

Why moments are enough: a province's weighting cells (the strata) lie inside the province, so
every number of the national design is a sum over provinces of terms each province can compute
alone (``analysis.slices.Moments``: weighted totals and the centred cross-products of the
satisfied/answered indicators per stratum, weighted by the design). The file (``FORMAT``, JSON)
carries the province, the period, the questionnaire (code, version and definition checksum: an
instance whose version differs refuses it), the criterion and element codes, the counts and
coverage, and two moment vectors: all counted responses and the valid ones (the sensitivity
line without flagged responses). It holds no response, no counter and no cell; national figures
equal those computed from the pooled rows (same design: cells quarter × agency × service area,
stratum = cell, fpc = dossiers).
"""
from __future__ import annotations

import hashlib
import json
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import queries, slices
from . import questionnaires as qdefs
from .models import ImportedSums, Questionnaire

FORMAT = "sipas-sums/2"
DOMAINS = ("all", "valid")
CODE_MAX = 32


class RollupError(ValueError):
    """A file that cannot be imported, or a roll-up that cannot be computed; says why."""


def export_sums(session: Session, period: str, province_code: str, province_name: str,
                questionnaire: str = "sipas", min_responses: int = 2) -> dict:
    """The export document of ``period`` (a dict ready for ``json.dump``)."""
    import numpy as np

    from analysis import cells
    from analysis.slices import domain_moments

    from . import periods

    periods.parse(period)
    latest = queries.latest_questionnaire(session, questionnaire)
    if latest is None:
        raise RollupError(f"questionnaire {questionnaire!r} is not loaded")
    found = slices.report_slices(session, questionnaire, period, None)
    if found is None:
        raise RollupError("the period mixes questionnaire versions whose elements differ; "
                          "it cannot be exported as sums")
    if not len(found.sums):
        raise RollupError(f"no counted response in {period}: nothing to export")
    keys = found.sums.keys
    totals = queries.cell_totals(session, period, keys["quarter"].unique())
    plan = cells.counter_design(keys, totals, min_responses=min_responses, count="rows",
                                sums=found.sums)
    design = plan.design()
    status = plan.frame["status"].to_numpy()
    moments = {"all": domain_moments(design, np.zeros(design.n, dtype=np.int64), 1)[0],
               "valid": domain_moments(design, np.where(status == "valid", 0, -1), 1)[0]}
    cover = cells.coverage(plan.frame, None, plan.count).iloc[0]
    counts = plan.counts()
    structure = slices._structure(latest.definition)
    return {
        "format": FORMAT,
        "province": {"code": province_code, "name": province_name},
        "period": period,
        "questionnaire": {"code": latest.code, "version": latest.version,
                          "checksum": qdefs.checksum(latest.definition)},
        "criteria": structure.criteria,
        "elements": [e.code for e in structure.elements],
        "responses": int(counts.sum()),
        "flagged": int(counts[status == "flagged"].sum()),
        "dossiers": float(cover["dossiers"]),
        "responses_with_total": int(counts[plan.frame["has_total"].to_numpy(bool)].sum()),
        "design": {name: plan.summary()[name] for name in (
            "cells", "strata", "merged_cells", "cells_without_total", "weighted", "df")},
        "moments": {name: value.to_list() for name, value in moments.items()}}


def _content_hash(document: dict) -> str:
    canonical = json.dumps({k: document.get(k) for k in (
        "responses", "flagged", "dossiers", "responses_with_total", "moments")},
        sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(value: Any, name: str, limit: int = 64) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise RollupError(f"{name}: a text of 1–{limit} characters is required")
    return value


def _count(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RollupError(f"{name}: a non-negative whole number is required")
    return value


def _validate(session: Session, document: Any) -> Questionnaire:
    """The questionnaire version published here that the document was made with."""
    from analysis.design import DesignError
    from analysis.slices import Moments

    from . import periods

    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise RollupError(f"not a SIPAS sums file (format {FORMAT!r} expected)")
    province = document.get("province")
    if not isinstance(province, dict):
        raise RollupError("province: an object with code and name is required")
    _text(province.get("code"), "province.code", CODE_MAX)
    _text(province.get("name"), "province.name", 200)
    try:
        periods.parse(_text(document.get("period"), "period", 32))
    except periods.PeriodError as error:
        raise RollupError(f"period: {error}") from error
    asked = document.get("questionnaire")
    if not isinstance(asked, dict):
        raise RollupError("questionnaire: an object with code, version and checksum is required")
    version = asked.get("version")
    here = session.scalars(sa.select(Questionnaire).where(
        Questionnaire.code == asked.get("code"), Questionnaire.version == version)).first() \
        if isinstance(version, int) and not isinstance(version, bool) else None
    if here is None or qdefs.checksum(here.definition) != asked.get("checksum"):
        raise RollupError(f"questionnaire {asked.get('code')!r} version {version!r} of the file "
                          "is not the one published here (code, version or content differ): "
                          "nothing imported")
    structure = slices._structure(here.definition)
    if document.get("criteria") != structure.criteria or \
            document.get("elements") != [e.code for e in structure.elements]:
        raise RollupError("criteria or elements of the file differ from the questionnaire's")
    responses = _count(document.get("responses"), "responses")
    if _count(document.get("flagged"), "flagged") > responses:
        raise RollupError("flagged: more than the responses")
    if _count(document.get("responses_with_total"), "responses_with_total") > responses:
        raise RollupError("responses_with_total: more than the responses")
    dossiers = document.get("dossiers")
    if not isinstance(dossiers, (int, float)) or isinstance(dossiers, bool) or \
            not math.isfinite(dossiers) or dossiers < 0:
        raise RollupError("dossiers: a non-negative number is required")
    moments = document.get("moments")
    if not isinstance(moments, dict) or set(moments) != set(DOMAINS):
        raise RollupError(f"moments: an object with {' and '.join(DOMAINS)} is required")
    for name in DOMAINS:
        values = moments[name]
        if not isinstance(values, list) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            raise RollupError(f"moments.{name}: a list of numbers is required")
        try:
            read = Moments.from_list(values, len(structure.criteria), len(structure.elements))
        except DesignError as error:
            raise RollupError(f"moments.{name}: {error}") from error
        if name == "all" and round(read.rows) != responses:
            raise RollupError(f"responses: {responses}, but the moments hold {read.rows:g}")
    return here


def import_sums(session: Session, document: Any, replace: bool = False) -> str:
    """Store a province's moments; "imported", "unchanged" (the same file again) or
    "replaced" (only with ``replace``). A different file for a province and period already
    imported is refused without ``replace``; a refused file stores nothing."""
    questionnaire = _validate(session, document)
    code, period = document["province"]["code"], document["period"]
    digest = _content_hash(document)
    existing = session.scalars(sa.select(ImportedSums).where(
        ImportedSums.province_code == code, ImportedSums.period == period,
        ImportedSums.questionnaire_code == questionnaire.code)).first()
    checksum = qdefs.checksum(questionnaire.definition)
    outcome = "imported"
    if existing is not None:
        if existing.content_hash == digest and existing.checksum == checksum:
            return "unchanged"
        if not replace:
            raise RollupError(f"sums of {code} for {period} are already imported (on "
                              f"{existing.imported_at:%Y-%m-%d %H:%M}) and differ from this "
                              "file: nothing imported; use --replace to replace them")
        session.delete(existing)
        session.flush()
        outcome = "replaced"
    session.add(ImportedSums(province_code=code, province_name=document["province"]["name"],
                             period=period, questionnaire_code=questionnaire.code,
                             questionnaire_version=questionnaire.version, checksum=checksum,
                             content_hash=digest, responses=document["responses"],
                             document=document))
    session.flush()
    return outcome


def national_tables(session: Session, period: str, questionnaire: str = "sipas") -> dict:
    """National (ALL) and per-province SIPAS tables of ``period`` from the imported moments,
    the provinces ranked with rank bands, and the sensitivity line without flagged responses."""
    import numpy as np
    import pandas as pd

    from analysis import breakdowns, sipas
    from analysis.slices import Moments, moments_results

    imports = session.scalars(sa.select(ImportedSums).where(
        ImportedSums.period == period, ImportedSums.questionnaire_code == questionnaire)
        .order_by(ImportedSums.province_code)).all()
    if not imports:
        raise RollupError(f"no province's sums are imported for {period}")
    versions = {(i.questionnaire_version, i.checksum) for i in imports}
    if len(versions) > 1:
        raise RollupError("the provinces used different questionnaire versions: "
                          + ", ".join(f"{i.province_code} v{i.questionnaire_version}"
                                      for i in imports))
    definition = session.scalars(sa.select(Questionnaire.definition).where(
        Questionnaire.code == questionnaire,
        Questionnaire.version == imports[0].questionnaire_version)).one()
    structure = slices._structure(definition)
    k, e = len(structure.criteria), len(structure.elements)
    read = {name: [Moments.from_list(i.document["moments"][name], k, e) for i in imports]
            for name in DOMAINS}
    whole = {name: sum(values[1:], values[0]) for name, values in read.items()}
    labels = [i.province_code for i in imports] + [breakdowns.WHOLE]
    results = moments_results(read["all"] + [whole["all"]], structure)
    table = sipas.records([(label, res, df) for label, (res, df) in zip(labels, results)],
                          structure)
    dossiers = {i.province_code: float(i.document["dossiers"]) for i in imports}
    covered = {i.province_code: int(i.document["responses_with_total"]) for i in imports}
    dossiers[breakdowns.WHOLE] = sum(dossiers.values())
    covered[breakdowns.WHOLE] = sum(covered.values())
    table["dossiers"] = table["by"].map(dossiers)
    table["coverage"] = np.where(table["dossiers"] > 0, 100.0 * table["by"].map(covered)
                                 / table["dossiers"].where(table["dossiers"] > 0), np.nan)
    valid = moments_results([whole["valid"]], structure)[0]
    sensitivity = sipas.records([(breakdowns.WHOLE, valid[0], valid[1])], structure)
    provinces = table[table["by"] != breakdowns.WHOLE].reset_index(drop=True)
    return {"national": table[table["by"] == breakdowns.WHOLE].reset_index(drop=True),
            "province": provinces, "ranking": breakdowns.ranking(provinces, model="none"),
            "sensitivity": sensitivity[sensitivity["level"] == "index"].reset_index(drop=True),
            "provinces": pd.DataFrame([{"code": i.province_code, "name": i.province_name,
                                        "responses": i.responses,
                                        "flagged": i.document["flagged"]} for i in imports])}


def records(tables: dict) -> list[dict]:
    """The national report as records (``section`` national | province | ranking |
    sensitivity)."""
    out = []
    for section in ("national", "province", "ranking", "sensitivity"):
        for row in tables[section].to_dict("records"):
            clean = {key: (None if isinstance(v, float) and math.isnan(v) else
                           v.item() if hasattr(v, "item") else v) for key, v in row.items()}
            out.append({"section": section, **clean})
    return out
