"""UTC time in the API's one format: ISO 8601 with a Z."""

from datetime import datetime, timezone


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def isoformat(moment: datetime) -> str:
    if moment.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC only
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")
