"""Design-based estimation for SIPAS surveys: a pure library (numpy, scipy, pandas; no Flask).

Shaped after R's ``survey`` package and checked against it (``tests/fixtures/reference``)::

    from analysis import SurveyDesign, sipas, weighting, compare

    design = SurveyDesign(frame, weights="weight", strata="agency", clusters="counter")
    design.mean("TC1", by="service_area")            # EstimateTable (R: svyby(svymean))
    design.proportion("TC1", 5, ci="beta")           # Estimate (R: svyciprop)
    table = sipas.indices(design, "sipas", by="service_area")   # SipasTable
    table.records()                                  # [{"by", "level", "measure", ...}]
    calibrated = weighting.post_stratify(design, totals)        # totals: cells + "total"
    compare.rank(units, estimates, ses)              # rank bands

Modules: ``design`` (SurveyDesign, linearised variance), ``estimators``, ``intervals``,
``weighting``, ``sipas``, ``sums`` (sufficient sums), ``calibration``, ``sql`` (GROUP BY
loader, imported on demand), ``compare``, ``reliability``, ``cli`` (``python -m analysis``).
"""
from . import compare, estimators, intervals, reliability, sipas, sums, weighting
from .design import DesignError, PsuLayout, SurveyDesign, linearised_variance

__all__ = [
           "DesignError",
           "PsuLayout",
           "SurveyDesign",
           "compare",
           "estimators",
           "intervals",
           "linearised_variance",
           "reliability",
           "sipas",
           "sums",
           "weighting",
]
