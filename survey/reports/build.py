"""Former home of the report computation, now ``compute``: names kept for the exports."""
from .compute import PeriodTables, Report, build_report, domain_mask, load_frame  # noqa: F401
