"""Design-based estimation for SIPAS surveys: a pure library (numpy, scipy, pandas; no Flask).

Shape after R's ``survey`` package::

    design = SurveyDesign(frame, weights="weight", strata="agency", clusters="counter")
    design.mean("TC1", by="service_area")               # EstimateTable
    table = sipas.indices(design, "sipas", by="service_area")   # SipasTable
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
