"""The code lists of the domain (channels, statuses, roles, …): imported by the models, the forms
and the ``flask`` commands, whose options list them without loading the models."""
from __future__ import annotations

CHANNELS = ("kiosk", "qr", "import")
REPORT_CHANNELS = ("all", *CHANNELS)
REPORT_WEIGHTS = ("dossiers", "none")
REPORT_VARIANCES = ("design", "counters")
STATUSES = ("valid", "flagged", "excluded")
ROLES = ("admin", "analyst", "agency_viewer", "officer")
FOLLOW_UP_KINDS = ("low_rating", "complaint")
FOLLOW_UP_STATUSES = ("open", "in_progress", "done")
IMPORT_MODES = ("paper", "phone")
ALERT_KINDS = ("drop", "silent", "top_burst", "off_hours", "identical")
ALERT_STATUSES = ("open", "dismissed", "confirmed")
DELIVERY_STATUSES = ("pending", "sent", "failed")
AGENCY_LEVELS = (1, 2, 3)  # 1 tỉnh/sở, 2 huyện, 3 xã
