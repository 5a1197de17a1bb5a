"""The method note every report carries, in plain words: weights, design, coverage, flags."""
from __future__ import annotations

from flask_babel import gettext as _

from analysis import reliability

from .filters import ReportFilters
from .numbers import fmt


def count(value) -> str:
    """A whole number in the reader's format (thousands separated: 1.312 in Vietnamese)."""
    return fmt(value, 0)


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
    text = _("Weights: each response stands for the dossiers handled in its cell (quarter, "
             "agency, service area): weight = dossiers of the cell ÷ responses counted in the "
             "cell. %(known)s of %(cells)s cells have a known total (%(dossiers)s dossiers).",
             known=info.get("cells_with_total", 0), cells=info.get("cells", 0),
             dossiers=fmt(info.get("dossiers"), 0))
    if info.get("responses_without_total"):
        text += " " + _("%(n)s responses lie in cells without a known total and have "
                        "weight 1.", n=count(info["responses_without_total"]))
    return text


def design_note(info: dict) -> str:
    """How the uncertainty is computed: the design of counter data or counters as a sample."""
    if info.get("variance") == "counters":
        return _("Design chosen by the analyst: counters as a sample — agencies are strata "
                 "and counters the sampled clusters, to generalise to counters not observed. "
                 "It has few degrees of freedom (%(df)s), so its intervals are wide.",
                 df=count(info.get("design_df", 0)))
    text = _("Design: every counter is observed; what is sampled is which citizens answer. "
             "Each cell is a stratum, each respondent a unit, and the dossiers of the cell "
             "give the finite-population correction (%(strata)s strata, %(df)s degrees of "
             "freedom). The estimates assume that in each cell those who answer resemble those "
             "served; the coverage (responses per 100 dossiers) shows how strong this "
             "assumption is.", strata=count(info.get("strata", 0)),
             df=count(info.get("df", 0)))
    merged = int(info.get("merged_cells") or 0)
    if merged:
        text += " " + _("%(merged)s cells with fewer than %(min)s responses were merged with "
                        "the agency's other small cells of the quarter (%(whole)s of them with "
                        "the agency's whole quarter).", merged=merged,
                        min=info.get("min_cell_responses", 2),
                        whole=info.get("merged_into_agency", 0))
    return text


def cell_warnings(info: dict) -> list[str]:
    """Cells with more responses than dossiers, and a questionnaire that changed version."""
    out = []
    over = info.get("over_covered") or []
    if over:
        out.append(_("%(count)s cells have more responses than dossiers (%(cells)s): check "
                     "their totals; they get no finite-population correction.",
                     count=len(over), cells=", ".join(over[:10])))
    lonely = info.get("lonely_strata") or []
    if lonely:
        out.append(_("%(count)s cells have a single response even after merging (%(cells)s): "
                     "one answer says nothing about the spread, so such a cell is compared with "
                     "the overall mean instead of its own (the 'adjust' rule).",
                     count=len(lonely), cells=", ".join(lonely[:10])))
    stale = info.get("stale_months") or []
    if stale:
        out.append(_("The stored sums of %(months)s did not match the responses (a restore "
                     "or an interrupted rebuild): those months were computed from the "
                     "responses themselves. Run \"flask sipas rebuild-sums\" to repair the "
                     "sums.", months=", ".join(stale)))
    if len(info.get("questionnaire_versions") or []) > 1:
        out.append(_("The period mixes versions %(versions)s of the questionnaire: only the "
                     "criteria of the newest version are reported.",
                     versions=", ".join(str(v) for v in info["questionnaire_versions"])))
    return out


def flagged_note(info: dict, sensitivity: dict | None) -> str:
    """How many flagged responses count, and the index without them."""
    flagged = int(info.get("flagged") or 0)
    if not flagged:
        return _("No counted response carries an automatic quality flag.")
    text = _("%(flagged)s of the %(counted)s responses counted carry a quality flag (too fast, "
             "all answers alike, bursts): flags are advice, so they count until an analyst "
             "excludes them.", flagged=count(flagged), counted=count(info.get("counted", 0)))
    if sensitivity and sensitivity.get("estimate") is not None:
        text += " " + _("Without them the SIPAS index would be %(value)s %% (95%% CI "
                        "%(low)s–%(high)s).", value=fmt(sensitivity.get("estimate")),
                        low=fmt(sensitivity.get("ci_low")), high=fmt(sensitivity.get("ci_high")))
    return text


def coverage_note(low: float | None) -> str:
    """What the coverage column means."""
    if low is None:
        return ""
    return _("Coverage: responses per 100 dossiers handled. Below %(low)s the estimate leans "
             "on few citizens and is marked.", low=fmt(low, 0))


def kish_note(filters: ReportFilters, info: dict) -> str:
    """Kish's design effect of weighting."""
    if not filters.weighted:
        return ""
    return _("Unequal weights widen the intervals by the factor 1 + CV²(w) (Kish's design "
             "effect of weighting): %(kish)s.", kish=fmt(info.get("kish"), 2))


def domain_note() -> str:
    """Domains are not subsets."""
    return _("A service area, channel, agency or counter is computed as a part of the whole "
             "sample (a domain): every response of the period stays in the variance "
             "computation, with value zero outside the part; the data are not cut first.")


def flags_note() -> str:
    """Intervals and reliability flags."""
    return _("Intervals: 95%% confidence intervals computed on the log-odds scale (logit), so "
             "they stay between 0 and 100. Fewer than %(min)s answers: the number is hidden. "
             "Fewer than %(reliable)s answers or an effective sample size under %(reliable)s: "
             "marked 'few answers'. Intervals wider than %(wide)s points: marked 'wide'.",
             min=reliability.MIN_N, reliable=reliability.MIN_N_RELIABLE,
             wide=fmt(reliability.MAX_WIDTH_POINTS, 0))


def model_note() -> str:
    """Model-based estimates for small units."""
    return _("Model-based estimates (marked 'model'): a small unit's index is pulled toward "
             "its parent (a counter toward its agency, an agency toward the whole) as far as "
             "its few answers warrant (empirical Bayes); the interval includes the "
             "uncertainty of the model. The direct estimate is always shown beside it; "
             "rankings of counters, and of agencies with fewer than %(reliable)s answers, use "
             "the model-based one.", reliable=reliability.MIN_N_RELIABLE)


def comparison_note() -> str:
    """Change and ranking."""
    return _("Change: the two periods are parts of one design, and a change is significant "
             "when p < 0.05. Ranking: units ordered by their SIPAS index with the range of "
             "plausible ranks (95%%). Two units count as different only when their confidence "
             "intervals do not overlap; the lowest plausible rank is 1 + the units clearly "
             "better, the highest is the number ranked − the units clearly worse. Units with "
             "fewer than %(min)s answers or without an interval are listed below the table.",
             min=reliability.MIN_N)


def method_notes(filters: ReportFilters, info: dict, previous: dict | None = None,
                 sensitivity: dict | None = None) -> list[str]:
    """Every paragraph of the method note, in order (warnings first)."""
    parts = [weighting_warning(filters, info),
             change_warning(filters, info, previous) if previous is not None else "",
             *cell_warnings(info), weighting_note(filters, info), design_note(info),
             flagged_note(info, sensitivity), coverage_note(info.get("low_coverage")),
             kish_note(filters, info), domain_note(), flags_note(), model_note(),
             comparison_note()]
    return [p for p in parts if p]
