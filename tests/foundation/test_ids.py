"""new_ids (bulk inserts) makes what new_id makes: valid ULIDs of the current millisecond."""

from __future__ import annotations

import re
import time

from ulid import ULID

from nanhaitong.ids import new_id, new_ids
from schemas.common import ULID_PATTERN


def test_new_ids_are_ulids_of_now_and_distinct() -> None:
    before = time.time()
    ids = new_ids(2000)
    after = time.time()
    assert len(set(ids)) == 2000
    for value in ids[:50] + ids[-50:]:
        assert re.fullmatch(ULID_PATTERN, value) and len(value) == 26
        parsed = ULID.from_str(value)
        assert str(parsed) == value
        assert before - 0.002 <= parsed.timestamp <= after + 0.002
    assert len({value[10:] for value in ids}) == 2000  # the random part differs
    assert new_ids(0) == []
    assert abs(ULID.from_str(new_ids(1)[0]).timestamp - ULID.from_str(new_id()).timestamp) < 1  # the same clock
