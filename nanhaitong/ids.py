"""Public identifiers: ULIDs (opaque, sortable by creation), never autoincrement integers."""

from ulid import ULID


def new_id() -> str:
    return str(ULID())
