"""Public identifiers: ULIDs (opaque, sortable by creation), never autoincrement integers."""

from ulid import ULID
from werkzeug.routing import BaseConverter

from schemas.common import ULID_PATTERN


def new_id() -> str:
    return str(ULID())




class UlidConverter(BaseConverter):
    """``<ulid:name>`` matches only an id of ours, so a sibling literal such as
    ``/licences/sync`` is never mistaken for one."""

    regex = ULID_PATTERN


def ulid_parameter_schema(_converter) -> dict:
    return {"type": "string", "pattern": f"^{ULID_PATTERN}$"}
