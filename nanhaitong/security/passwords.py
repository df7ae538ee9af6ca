"""Password hashing with Argon2id, by default at OWASP's recommended minimum (m = 19 MiB,
t = 2, p = 1; issue 26). NHT_PASSWORD_HASH_PROFILE picks another profile:

- ``owasp`` (default): 19 MiB, 2 passes, 1 lane: ~¼ of the RFC profile's CPU and memory
  per sign-in, which is what most of a password sign-in's cost is.
- ``rfc9106``: RFC 9106's second recommendation (argon2-cffi's default): 64 MiB, 3 passes,
  4 lanes.
- ``cheap``: 1 MiB, 1 pass: for tests and demos only, refused in production.

A hash keeps the parameters it was made with, so hashes of any profile keep verifying; a
successful sign-in whose stored hash was made under other parameters than the current
profile's hashes the password again (``upgraded_hash``), so a change of profile reaches
every active account without a reset.

Each hash holds its memory for its duration, and a gunicorn worker runs several threads:
a burst of sign-ins would otherwise hash on every thread at once while each hash gets a
sliver of the cores. At most ``HASHES_AT_ONCE`` hashes run per process. A caller that
finds every turn taken waits for one at most ``TURN_WAIT_SECONDS`` (a few hashes' time), then
is refused (503 with Retry-After). Refused at once, an ordinary burst (more sign-ins in one
worker than it has turns, while the next worker idles) was mostly refused: 166 of 200 from
16 concurrent clients. Queued without a bound, an attacker's logins held every request
thread of a worker for seconds (hardening finding 1); the bound keeps that to half a second.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import RFC_9106_LOW_MEMORY
from flask import current_app, has_app_context

from ..errors import AppError

HASHES_AT_ONCE = 2
TURN_WAIT_SECONDS = 0.5
RETRY_AFTER_SECONDS = 1
DEFAULT_PROFILE = "owasp"
PROFILES = {
    "owasp": {"memory_cost": 19 * 1024, "time_cost": 2, "parallelism": 1},
    "rfc9106": {"memory_cost": RFC_9106_LOW_MEMORY.memory_cost, "time_cost": RFC_9106_LOW_MEMORY.time_cost,
                "parallelism": RFC_9106_LOW_MEMORY.parallelism},
    "cheap": {"memory_cost": 1024, "time_cost": 1, "parallelism": 1},
}


class HashingBusy(AppError):
    status, code, message = 503, "password_hashing_busy", "Too many sign-ins at this moment; try again in a second."

    def __init__(self):
        super().__init__(headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
                         details={"retry_after": RETRY_AFTER_SECONDS})


class _Profile:
    """One profile's hasher, and the hash verified against when an account does not exist
    (made under the same parameters, so both answers take as long)."""

    def __init__(self, parameters: dict):
        self.hasher = PasswordHasher(**parameters, type=Type.ID)
        self._dummy: str | None = None

    @property
    def dummy(self) -> str:
        if self._dummy is None:  # on first use: an app start costs no hash
            self._dummy = self.hasher.hash("nanhaitong-dummy-password")
        return self._dummy


_profiles = {name: _Profile(parameters) for name, parameters in PROFILES.items()}
_turns = threading.BoundedSemaphore(HASHES_AT_ONCE)


def _profile() -> _Profile:
    name = current_app.config.get("PASSWORD_HASH_PROFILE", DEFAULT_PROFILE) if has_app_context() else DEFAULT_PROFILE
    return _profiles[name]


def _hasher() -> PasswordHasher:
    return _profile().hasher


@contextmanager
def _turn():
    if not _turns.acquire(timeout=TURN_WAIT_SECONDS):
        raise HashingBusy()
    try:
        yield
    finally:
        _turns.release()


def hash_password(password: str) -> str:
    with _turn():
        return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; raises HashingBusy (503) when every turn is taken."""
    with _turn():
        try:
            return _hasher().verify(password_hash or _profile().dummy, password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False


def upgraded_hash(password_hash: str, password: str) -> str | None:
    """After ``password`` verified against ``password_hash``: a new hash under the current
    profile when the stored one was made under other parameters, else None.

    Also None when every hashing turn is taken: the sign-in that verified must not fail
    for an upgrade that can wait for the next one.
    """
    hasher = _hasher()
    try:
        if not hasher.check_needs_rehash(password_hash):
            return None
    except InvalidHashError:
        return None
    if not _turns.acquire(blocking=False):
        return None
    try:
        return hasher.hash(password)
    finally:
        _turns.release()
