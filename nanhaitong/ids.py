"""Public identifiers: ULIDs (opaque, sortable by creation), never autoincrement integers."""

import base64
import os
import time

from ulid import ULID
from werkzeug.routing import BaseConverter

from schemas.common import ULID_PATTERN


def new_id() -> str:
    return str(ULID())


_CROCKFORD = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", b"0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def new_ids(count: int) -> list[str]:
    """``count`` new ULIDs at once (what ``new_id`` makes, for bulk inserts): the current
    millisecond and 80 random bits each, in Crockford base32. Base32 turns 10 bytes into
    16 characters, so the 4 zero bytes and 6 of the timestamp give the ULID's first 10
    characters (after 6 zeros) and each 10 random bytes its last 16."""
    stamp = (time.time_ns() // 1_000_000).to_bytes(6, "big")
    head = base64.b32encode(b"\0\0\0\0" + stamp).translate(_CROCKFORD).decode("ascii")[6:]
    tails = base64.b32encode(os.urandom(10 * count)).translate(_CROCKFORD).decode("ascii")
    return [head + tails[i:i + 16] for i in range(0, 16 * count, 16)]


class UlidConverter(BaseConverter):
    """``<ulid:name>`` matches only an id of ours, so a sibling literal such as
    ``/licences/sync`` is never mistaken for one."""

    regex = ULID_PATTERN


def ulid_parameter_schema(_converter) -> dict:
    return {"type": "string", "pattern": f"^{ULID_PATTERN}$"}
