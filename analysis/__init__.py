"""Design-based estimation for SIPAS surveys: a pure library (numpy, scipy, pandas, pyarrow;
no Flask).

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
loader, imported on demand), ``compare``, ``reliability``, ``columns`` (a DataFrame or numpy
``Columns`` as input), ``readers`` (CSV files: pyarrow, else pandas), ``cli``
(``python -m analysis``, which loads neither pandas nor scipy for ``sipas``).

Nothing is imported with the package itself: each name above loads its module on first use
(PEP 562), so ``import analysis`` (or ``analysis.reliability`` from the web app, or the CLI,
which never compares) does not pay for scipy or pandas until a module really needs them.
"""
from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what the lazy names resolve to, for type checkers and editors
    from . import compare, estimators, intervals, reliability, sipas, sums, weighting
    from .design import DesignError, PsuLayout, SurveyDesign, linearised_variance

#: Names re-exported from a submodule: name -> module.
_NAMES = {"DesignError": "design", "PsuLayout": "design", "SurveyDesign": "design",
          "linearised_variance": "design"}

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


def __getattr__(name: str) -> Any:
    """Import a re-exported name or a submodule (``analysis.compare``) on first access (PEP 562).

    Any submodule resolves, as it did when the package imported most of them eagerly.
    """
    if name in _NAMES:
        value = getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}") is not None:
        module: ModuleType = importlib.import_module(f"{__name__}.{name}")
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The lazy names as well as the loaded ones (for ``dir()`` and completion)."""
    return sorted(set(globals()) | set(__all__))
