"""Argon2id hashing: real hashes (checked by argon2-cffi's own verifier and parameters),
and at most HASHES_AT_ONCE of them at a time per process, however many threads ask: the
others are refused at once (503), not queued."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import argon2

from nanhaitong.security import passwords


def test_hashes_are_argon2id_at_rfc_9106_cost_and_verify():
    hashed = passwords.hash_password("Correct-horse-2026")
    parameters = argon2.extract_parameters(hashed)
    assert hashed.startswith("$argon2id$")
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (65536, 3, 4)
    assert passwords.verify_password(hashed, "Correct-horse-2026")
    assert not passwords.verify_password(hashed, "correct-horse-2026")
    assert not passwords.verify_password(None, "Correct-horse-2026")  # no account: same work, no


def test_hashes_beyond_the_turns_are_refused_at_once(monkeypatch):
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

    monkeypatch.setattr(passwords, "_hasher", CountingHasher())
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(verify, range(16)))
    assert set(answers) <= {True, "busy"} and True in answers
    assert most <= passwords.HASHES_AT_ONCE
