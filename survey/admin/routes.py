"""Views of the admin blueprint, one module per managed thing."""
from . import (  # noqa: F401
    agencies,
    audit_log,
    bp,
    counters,
    quality,
    questionnaires,
    service_areas,
    setaside,
    totals,
    users,
)
