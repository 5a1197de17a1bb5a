"""Times the follow-up tests share."""
from datetime import UTC, datetime, timedelta

# A Monday morning in Asia/Ho_Chi_Minh (09:00 local); five working days later closes
# Monday 2026-08-17 at 17:00 local = 10:00 UTC.
OPENED = datetime(2026, 8, 10, 2, 0, tzinfo=UTC)
DUE = datetime(2026, 8, 17, 10, 0, tzinfo=UTC)


def days(n: float) -> timedelta:
    """``n`` days, for moving a time around a deadline."""
    return timedelta(days=n)
