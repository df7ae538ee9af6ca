"""Finding 1: password hashing starved every request thread. Two hashes ran at once and
every other caller queued holding a server thread, so unauthenticated password logins from
one address took an unrelated endpoint from 8 ms to 5 s. Now a caller that finds the
hashing turns taken waits at most TURN_WAIT_SECONDS for one, then is answered 503 with
Retry-After."""

from __future__ import annotations

import threading

import pytest
import requests

from nanhaitong.security import passwords


@pytest.fixture
def app(relaxed_app):
    return relaxed_app


class StalledHasher:
    """Verifies only when released: the hashes in flight hold their turns until then."""

    def __init__(self):
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def verify(self, _hash, _password):
        self.started.release()
        self.release.wait(20)
        return False

    def hash(self, password):
        return "$argon2id$stalled"


def _password_login(live_server, phone):
    return requests.post(f"{live_server.url}/api/v1/auth/tokens", timeout=10, json={
        "grant_type": "password", "phone": phone, "password": "guess-123456", "client": "app"})


def test_a_busy_hashing_pool_answers_503_after_a_short_wait(app, live_server, monkeypatch):
    hasher = StalledHasher()
    monkeypatch.setattr(passwords, "_hasher", lambda: hasher)
    in_flight = [threading.Thread(target=_password_login, args=(live_server, f"1380013800{i}"))
                 for i in range(passwords.HASHES_AT_ONCE)]
    try:
        for thread in in_flight:
            thread.start()
        for _ in in_flight:
            assert hasher.started.acquire(timeout=10), "the logins in flight never reached the hasher"
        # Every turn is taken: the next password login is refused once its short wait is
        # over (queued without a bound, it would wait for the stalled hashes and time out).
        answer = _password_login(live_server, "13800138009")
        assert answer.status_code == 503, answer.text
        assert answer.json()["code"] == "password_hashing_busy"
        assert int(answer.headers["Retry-After"]) >= 1
        # And the rest of the API answers meanwhile.
        assert requests.get(f"{live_server.url}/openapi.json", timeout=10).status_code == 200
    finally:
        hasher.release.set()
        for thread in in_flight:
            thread.join(20)
    # Turns given back: logins are answered normally again.
    assert _password_login(live_server, "13800138009").status_code == 401
