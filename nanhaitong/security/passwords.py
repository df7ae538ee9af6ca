"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106: 64 MiB, 3 passes,
4 lanes).

Each hash holds 64 MiB for its duration, and a gunicorn worker runs several threads: a
burst of sign-ins would otherwise hash on every thread at once (workers × threads × 64 MiB,
over a gigabyte with the default settings) while each hash gets a sliver of the cores. At
most ``HASHES_AT_ONCE`` hashes run per process; the rest wait their turn, which costs no
throughput because hashing is CPU-bound and the cores are busy anyway.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from ..errors import AppError

HASHES_AT_ONCE = 2
RETRY_AFTER_SECONDS = 1


class HashingBusy(AppError):
    status, code, message = 503, "password_hashing_busy", "Too many sign-ins at this moment; try again in a second."

    def __init__(self):
        super().__init__(headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                         details={"retry_after": RETRY_AFTER_SECONDS})

_hasher = PasswordHasher()
_turns = threading.BoundedSemaphore(HASHES_AT_ONCE)
# Verified against when the account does not exist, so both answers take as long.
_DUMMY_HASH = _hasher.hash("nanhaitong-dummy-password")


@contextmanager
def _turn():
    if not _turns.acquire(blocking=False):
        raise HashingBusy()
    try:
        yield
    finally:
        _turns.release()


def hash_password(password: str) -> str:
    with _turn():
        return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; raises HashingBusy (503) when every turn is taken."""
    with _turn():
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False
