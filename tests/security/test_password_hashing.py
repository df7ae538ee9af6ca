"""Argon2id hashing: real hashes (checked by argon2-cffi's own verifier and parameters),
and at most HASHES_AT_ONCE of them at a time per process, however many threads ask: the
others wait for a turn at most TURN_WAIT_SECONDS, then are refused (503)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import argon2
import pytest

from nanhaitong.config import ConfigError, load
from nanhaitong.security import passwords


def test_hashes_are_argon2id_at_owasp_cost_by_default_and_verify(tmp_path):
    hashed = passwords.hash_password("Correct-horse-2026")
    parameters = argon2.extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    # OWASP Password Storage Cheat Sheet's minimum for Argon2id: 19 MiB, 2 iterations, 1 lane.
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (19 * 1024, 2, 1)
    assert load({"ENV": "test", "DATA_DIR": str(tmp_path)}, environ={})["PASSWORD_HASH_PROFILE"] == "owasp"
    assert argon2.PasswordHasher().verify(hashed, "Correct-horse-2026")  # argon2-cffi's own verifier
    assert passwords.verify_password(hashed, "Correct-horse-2026")
    assert not passwords.verify_password(hashed, "correct-horse-2026")
    assert not passwords.verify_password(None, "Correct-horse-2026")  # no account: same work, no


def test_rfc_9106_profile_by_setting(make_app):
    app = make_app(PASSWORD_HASH_PROFILE="rfc9106")
    with app.app_context():
        hashed = passwords.hash_password("Correct-horse-2026")
        assert passwords.verify_password(hashed, "Correct-horse-2026")
    parameters = argon2.extract_parameters(hashed)
    # RFC 9106 section 4, second recommended option (argon2-cffi's RFC_9106_LOW_MEMORY).
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (65536, 3, 4)


def test_unknown_or_test_profiles_are_refused_where_they_do_not_belong(tmp_path):
    with pytest.raises(ConfigError, match="PASSWORD_HASH_PROFILE"):
        load({"ENV": "test", "DATA_DIR": str(tmp_path), "PASSWORD_HASH_PROFILE": "fast"}, environ={})
    with pytest.raises(ConfigError, match="PASSWORD_HASH_PROFILE is 'cheap'"):
        load({"ENV": "production", "DATA_DIR": str(tmp_path), "PASSWORD_HASH_PROFILE": "cheap"}, environ={})


def test_at_most_the_turns_hash_at_once(monkeypatch):
    running, most = 0, 0
    lock = threading.Lock()

    class CountingHasher:
        def verify(self, _hash, _password):
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            time.sleep(0.02)
            with lock:
                running -= 1
            return True

    def verify(_):
        try:
            return passwords.verify_password("$argon2id$x", "pw")
        except passwords.HashingBusy:
            return "busy"

    monkeypatch.setattr(passwords, "_hasher", lambda: CountingHasher())
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(verify, range(16)))
    assert set(answers) <= {True, "busy"} and True in answers
    assert most <= passwords.HASHES_AT_ONCE


def test_a_caller_waits_for_a_turn_then_is_refused(monkeypatch):
    monkeypatch.setattr(passwords, "_hasher", lambda: argon2.PasswordHasher(memory_cost=8, time_cost=1, parallelism=1))
    hashed = argon2.PasswordHasher(memory_cost=8, time_cost=1, parallelism=1).hash("pw")
    for _ in range(passwords.HASHES_AT_ONCE):  # every turn taken, as by hashes in flight
        assert passwords._turns.acquire(blocking=False)
    try:
        # A turn given back within the wait is taken: a burst queues briefly instead of failing.
        threading.Timer(passwords.TURN_WAIT_SECONDS / 5, passwords._turns.release).start()
        assert passwords.verify_password(hashed, "pw")
        assert passwords._turns.acquire(blocking=False)  # the turn it gave back, taken again
        # None given back: refused once the wait is over, not held longer.
        started = time.monotonic()
        with pytest.raises(passwords.HashingBusy):
            passwords.verify_password(hashed, "pw")
        assert time.monotonic() - started >= passwords.TURN_WAIT_SECONDS * 0.9
    finally:
        for _ in range(passwords.HASHES_AT_ONCE):
            passwords._turns.release()
