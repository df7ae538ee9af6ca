"""UTC time in the API's one format (ISO 8601 with a Z), and China's date and clock for people."""

from datetime import datetime, timezone

from integrations.china_time import CHINA_STANDARD_TIME, china_now, china_today  # noqa: F401  (the one "today")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def isoformat(moment: datetime) -> str:
    return as_utc(moment).isoformat(timespec="microseconds").replace("+00:00", "Z")
