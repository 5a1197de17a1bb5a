"""The national roll-up without microdata: a province exports its slice sums and dossier
totals for a period; a national instance imports those of many provinces and reports the
national and per-province figures from them.

The file (``FORMAT``, JSON) carries the province, the period, the questionnaire (code, version
and definition checksum: an import into an instance whose version differs is refused), the
criterion and element codes, one entry per slice (quarter, agency, counter, service area,
channel, status, rows, counts in ``analysis.slices``'s layout) and the totals of every weighting
cell. It holds no response. National estimates use the same design as a province's report
(cells quarter × agency × service area, stratum = cell, fpc = dossiers), with agencies and
counters prefixed by their province, so they equal those computed from the pooled rows.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from . import queries, slices
from . import questionnaires as qdefs
from .models import ImportedSlice, ImportedSums, ImportedTotal, Questionnaire

FORMAT = "sipas-sums/1"
EXPORT_KEYS = ["quarter", "agency", "counter", "service_area", "channel", "status"]
CODE_MAX = 32


class RollupError(ValueError):
    """A file that cannot be imported, or a roll-up that cannot be computed; says why."""


def export_sums(session: Session, period: str, province_code: str, province_name: str,
                questionnaire: str = "sipas") -> dict:
    """The export document of ``period`` (a dict ready for ``json.dump``)."""
    from . import periods

    periods.parse(period)
    latest = queries.latest_questionnaire(session, questionnaire)
    if latest is None:
        raise RollupError(f"questionnaire {questionnaire!r} is not loaded")
    found = slices.report_slices(session, questionnaire, period, None)
    if found is None:
        raise RollupError("the period mixes questionnaire versions whose elements differ; "
                          "it cannot be exported as sums")
    sums = found.sums.grouped(EXPORT_KEYS) if len(found.sums) else found.sums
    vectors = sums.pack()
    keys = sums.keys
    totals = queries.cell_totals(session, period, keys["quarter"].unique()) if len(keys) else \
        None
    structure = slices._structure(latest.definition)
    return {
        "format": FORMAT,
        "province": {"code": province_code, "name": province_name},
        "period": period,
        "questionnaire": {"code": latest.code, "version": latest.version,
                          "checksum": qdefs.checksum(latest.definition)},
        "criteria": structure.criteria,
        "elements": [e.code for e in structure.elements],
        "responses": int(keys["rows"].sum()) if len(keys) else 0,
        "slices": [{**{name: str(keys[name].iat[i]) for name in EXPORT_KEYS},
                    "rows": int(keys["rows"].iat[i]), "counts": vectors[i].tolist()}
                   for i in range(len(keys))],
        "totals": [] if totals is None else [
            {"quarter": str(r.quarter), "agency": str(r.agency),
             "service_area": str(r.service_area), "dossiers": float(r.dossiers),
             "prorated": bool(r.prorated)}
            for r in totals.itertuples(index=False) if r.agency is not None
            and r.service_area is not None]}


def _content_hash(document: dict) -> str:
    canonical = json.dumps({k: document[k] for k in ("slices", "totals", "responses")},
                           sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(value: Any, name: str, limit: int = 64) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise RollupError(f"{name}: a text of 1–{limit} characters is required")
    return value


def _validate(session: Session, document: Any) -> tuple[Questionnaire, int]:
    """The national questionnaire version the document was made with, and the vector size."""
    from analysis.slices import vector_size

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
        if isinstance(version, int) else None
    if here is None or qdefs.checksum(here.definition) != asked.get("checksum"):
        raise RollupError(f"questionnaire {asked.get('code')!r} version {version!r} of the file "
                          "is not the one published here (code, version or content differ): "
                          "nothing imported")
    structure = slices._structure(here.definition)
    if document.get("criteria") != structure.criteria or \
            document.get("elements") != [e.code for e in structure.elements]:
        raise RollupError("criteria or elements of the file differ from the questionnaire's")
    size = vector_size(len(structure.criteria), len(structure.elements))
    total = 0
    for i, entry in enumerate(document.get("slices") or []):
        place = f"slices[{i}]"
        if not isinstance(entry, dict):
            raise RollupError(f"{place}: an object is required")
        for name in EXPORT_KEYS:
            _text(entry.get(name), f"{place}.{name}")
        if entry["status"] not in ("valid", "flagged"):
            raise RollupError(f"{place}.status: valid or flagged")
        rows, counts = entry.get("rows"), entry.get("counts")
        if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
            raise RollupError(f"{place}.rows: a positive whole number is required")
        if not isinstance(counts, list) or len(counts) != size or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in counts):
            raise RollupError(f"{place}.counts: {size} non-negative whole numbers are required")
        total += rows
    if document.get("responses") != total:
        raise RollupError(f"responses: {document.get('responses')!r}, but the slices hold {total}")
    for i, entry in enumerate(document.get("totals") or []):
        place = f"totals[{i}]"
        if not isinstance(entry, dict):
            raise RollupError(f"{place}: an object is required")
        for name in ("quarter", "agency", "service_area"):
            _text(entry.get(name), f"{place}.{name}")
        dossiers = entry.get("dossiers")
        if not isinstance(dossiers, (int, float)) or isinstance(dossiers, bool) or dossiers < 0:
            raise RollupError(f"{place}.dossiers: a non-negative number is required")
    return here, size


def import_sums(session: Session, document: Any, replace: bool = False) -> str:
    """Store a province's sums; "imported", "unchanged" (the same file again) or "replaced"
    (only with ``replace``). A different file for a province and period already imported is
    refused without ``replace``; a refused file stores nothing."""
    questionnaire, _size = _validate(session, document)
    code, period = document["province"]["code"], document["period"]
    digest = _content_hash(document)
    existing = session.scalars(sa.select(ImportedSums).where(
        ImportedSums.province_code == code, ImportedSums.period == period,
        ImportedSums.questionnaire_code == questionnaire.code)).first()
    outcome = "imported"
    if existing is not None:
        if existing.content_hash == digest and existing.checksum == qdefs.checksum(
                questionnaire.definition):
            return "unchanged"
        if not replace:
            raise RollupError(f"sums of {code} for {period} are already imported (on "
                              f"{existing.imported_at:%Y-%m-%d %H:%M}) and differ from this "
                              "file: nothing imported; use --replace to replace them")
        session.delete(existing)
        session.flush()
        outcome = "replaced"
    record = ImportedSums(province_code=code, province_name=document["province"]["name"],
                          period=period, questionnaire_code=questionnaire.code,
                          questionnaire_version=questionnaire.version,
                          checksum=qdefs.checksum(questionnaire.definition),
                          content_hash=digest, responses=document["responses"])
    record.slices = [ImportedSlice(**{k: e[k] for k in EXPORT_KEYS}, rows=e["rows"],
                                   counts=e["counts"]) for e in document["slices"]]
    record.totals = [ImportedTotal(quarter=t["quarter"], agency=t["agency"],
                                   service_area=t["service_area"], dossiers=float(t["dossiers"]),
                                   prorated=bool(t.get("prorated", False)))
                     for t in document.get("totals") or []]
    session.add(record)
    session.flush()
    return outcome


def national_tables(session: Session, period: str, questionnaire: str = "sipas",
                    min_responses: int = 2) -> dict:
    """National (ALL) and per-province SIPAS tables of ``period`` from the imported sums, with
    the provinces ranked (rank bands) and the design's summary."""
    import numpy as np
    import pandas as pd

    from analysis import breakdowns, cells
    from analysis.slices import SliceSums

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
    names = {i.id: i.province_code for i in imports}
    table = ImportedSlice.__table__
    rows = session.execute(sa.select(table).where(table.c.import_id.in_(list(names)))).all()
    if not rows:
        raise RollupError(f"the imported sums of {period} hold no response")
    keys = pd.DataFrame([{**{k: getattr(r, k) for k in EXPORT_KEYS}, "rows": r.rows,
                          "province": names[r.import_id]} for r in rows])
    vectors = np.array([r.counts for r in rows], dtype=np.int64)
    for column in ("agency", "counter"):
        keys[column] = keys["province"] + ":" + keys[column]
    sums = SliceSums.unpack(keys, vectors, len(structure.criteria), len(structure.elements))
    totals = pd.DataFrame([{"quarter": t.quarter, "agency": f"{names[t.import_id]}:{t.agency}",
                            "service_area": t.service_area, "dossiers": t.dossiers}
                           for t in session.scalars(sa.select(ImportedTotal).where(
                               ImportedTotal.import_id.in_(list(names))))])
    plan = cells.counter_design(sums.keys, totals if len(totals) else None,
                                min_responses=min_responses, count="rows", sums=sums)
    design = plan.design()
    overall = breakdowns.overall_table(design, structure)
    overall = breakdowns.with_coverage(overall, plan.frame, None, None, 0.0, plan.count)
    by_province = breakdowns.breakdown_table(design, structure, "province")
    by_province = breakdowns.with_coverage(by_province, plan.frame, "province", None, 0.0,
                                           plan.count)
    return {"national": overall, "province": by_province,
            "ranking": breakdowns.ranking(by_province, model="none"),
            "summary": plan.summary(),
            "provinces": [{"code": i.province_code, "name": i.province_name,
                           "responses": i.responses} for i in imports]}


def records(tables: dict) -> list[dict]:
    """The national report as records (``section`` national | province | ranking)."""
    import math

    out = []
    for section in ("national", "province", "ranking"):
        for row in tables[section].to_dict("records"):
            clean = {k: (None if isinstance(v, float) and math.isnan(v) else
                         v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            out.append({"section": section, **clean})
    return out
