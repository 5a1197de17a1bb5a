"""The method note every report carries: weights, design, domains, intervals, flags."""
from __future__ import annotations

from flask_babel import gettext as _

from .filters import ReportFilters
from .present import fmt


def weighting_status(info: dict | None) -> str:
    """``full`` (every cell has a dossier total), ``partial``, ``none`` or ``empty`` (no data)."""
    info = info or {}
    cells = int(info.get("cells") or 0)
    known = int(info.get("cells_with_total") or 0)
    if not info.get("responses") or not cells:
        return "empty"
    return "full" if known >= cells else ("partial" if known else "none")


def weighting_warning(filters: ReportFilters, info: dict | None) -> str:
    """A visible warning when some or all cells of the period have no dossier total."""
    if not filters.weighted or weighting_status(info) not in ("partial", "none"):
        return ""
    cells = int(info.get("cells") or 0)
    missing = cells - int(info.get("cells_with_total") or 0)
    text = _("This period has no dossier totals (population) yet for %(missing)s of %(cells)s "
             "cells: their responses have weight 1", missing=missing, cells=cells)
    if weighting_status(info) == "none":
        return text + " — " + _("the results are not weighted.")
    return text + " — " + _("the results are only partly weighted.")


def change_warning(filters: ReportFilters, current: dict | None, previous: dict | None) -> str:
    """A warning on the change table when the two periods are not weighted the same way."""
    if not filters.weighted:
        return ""
    now, before = weighting_status(current), weighting_status(previous)
    if "empty" in (now, before) or now == before:
        return ""
    names = {"full": _("weighted"), "partial": _("partly weighted"), "none": _("unweighted")}
    return _("The two periods are not weighted the same way (this period: %(now)s; previous "
             "period: %(before)s): part of the change may come from the weighting, not from "
             "the citizens' answers.", now=names[now], before=names[before])


def weighting_note(filters: ReportFilters, info: dict) -> str:
    """Which totals the weights come from (or that the view is unweighted)."""
    if not filters.weighted:
        return _("Unweighted view: every response counts the same. The weighted report "
                 "is the default.")
    text = _("Weights: each response stands for the dossiers handled in its (period, agency, "
             "service area) cell: weight = dossiers of the cell ÷ responses collected in the "
             "cell. %(known)s of %(cells)s cells have a known total (%(dossiers)s dossiers).",
             known=info.get("cells_with_total", 0), cells=info.get("cells", 0),
             dossiers=fmt(info.get("dossiers"), 0))
    if info.get("responses_without_total"):
        text += " " + _("%(n)s responses lie in cells without a known total and have "
                        "weight 1.", n=info["responses_without_total"])
    return text


def design_note(info: dict) -> str:
    """Strata, clusters, lonely-PSU rule."""
    text = _("Design: strata = agencies (%(strata)s), clusters (primary sampling units) = "
             "counters (%(psus)s); variance by linearisation (Taylor series), as in R's "
             "survey package.", strata=info.get("strata", 0), psus=info.get("psus", 0))
    lonely = info.get("lonely_strata") or []
    if lonely:
        text += " " + _("Agencies with a single counter (%(list)s) are handled by the "
                        "'%(rule)s' rule: centred on the overall mean.",
                        list=", ".join(lonely), rule=info.get("lonely_psu", "adjust"))
    return text


def kish_note(filters: ReportFilters, info: dict) -> str:
    """Kish's design effect of weighting."""
    if not filters.weighted:
        return ""
    return _("Kish design effect of weighting, 1 + CV²(w): %(kish)s.",
             kish=fmt(info.get("kish"), 2))


def variance_note(filters: ReportFilters) -> str:
    """Design-based or calibrated variance."""
    if filters.variance == "calibrated" and filters.weighted:
        return _("Variance: calibrated — the weights are post-stratified to the dossier totals "
                 "of the agency × service area cells, and the variance uses the residuals "
                 "from the cell means.")
    return _("Variance: design-based, with the weights taken as given (no calibration).")


def domain_note(filters: ReportFilters) -> str:
    """Domains are not subsets."""
    return _("Service area and channel filters are domains of the full design: every response "
             "and every counter of the period stays in the variance computation (with value "
             "zero outside the domain); the data are not cut to a subset first.")


def flags_note() -> str:
    """Intervals and reliability flags."""
    return _("All intervals are 95% (logit) confidence intervals. Fewer than 10 answers: the "
             "number is suppressed. Fewer than 30 answers or an effective sample size under "
             "30: marked 'few answers'. Intervals wider than 20 points: marked 'wide'. "
             "No interval (×): inside the unit every agency has a single counter, so the "
             "variance has no degrees of freedom (the estimate is shown, its interval is not).")


def comparison_note() -> str:
    """Change and ranking."""
    return _("Change: the previous period is an independent sample; a change is significant "
             "when p < 0.05. Ranking: agencies ordered by their SIPAS index with the range "
             "of plausible ranks (95%). Two agencies count as different only when their "
             "displayed confidence intervals (95%, the same t(df) intervals as in the tables) "
             "do not overlap; the lowest plausible rank is 1 + the agencies clearly better, "
             "the highest is the number ranked − the agencies clearly worse. Agencies with "
             "fewer than 10 answers, without a confidence interval (no degrees of freedom, "
             "SE = 0) or with a single counter are not ranked and are listed below the table.")


def method_notes(filters: ReportFilters, info: dict, previous: dict | None = None) -> list[str]:
    """Every paragraph of the method note, in order (warnings on the weighting first)."""
    parts = [weighting_warning(filters, info), change_warning(filters, info, previous)
             if previous is not None else "", weighting_note(filters, info), design_note(info), kish_note(filters, info),
             variance_note(filters), domain_note(filters), flags_note(), comparison_note()]
    return [p for p in parts if p]
