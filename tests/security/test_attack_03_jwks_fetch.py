"""Finding 3: the partner JWKS fetch read the whole body before its 64 KiB check (a 300 MB
body grew a worker by 550 MB), had no overall deadline (a slow drip held a thread 53 s) and
no cache (every anonymous POST /oauth/token naming a partner's client_id fetched again)."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
import requests
from joserfc import jwt as jose_jwt

from tests.security.partner_servers import RawServer, jwks_answer, new_key, public_jwk
from tests.support.partners import register

CHUNK = b" " * 65536


@pytest.fixture
def app(relaxed_app):
    return relaxed_app


def _assertion(partner: dict, key, live_server) -> str:
    now = int(time.time())
    return jose_jwt.encode({"alg": "ES256", "kid": key.thumbprint()}, {
        "iss": partner["client_id"], "sub": partner["client_id"], "aud": f"{live_server.url}/oauth/token",
        "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}, key)


def _token(live_server, partner, key):
    return requests.post(f"{live_server.url}/oauth/token", timeout=30, data={
        "grant_type": "client_credentials", "scope": "licences:verify",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": _assertion(partner, key, live_server)})


def _partner(operator, server):
    return register(operator, auth_method="private_key_jwt", jwks_uri=server.url())


def test_a_huge_jwks_body_is_cut_at_the_cap(app, live_server, operator):
    def huge(conn, server):  # 300 MB announced, written until the reader hangs up
        server.write(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{\"keys\": [\"")
        for _ in range(300 * 16):
            server.write(conn, CHUNK)
        server.finished = True

    server = RawServer(huge)
    try:
        answer = _token(live_server, _partner(operator, server), new_key())
        assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client", answer.text
        assert not server.finished
        # What was written before we hung up: the cap plus what the socket buffers held.
        assert server.sent < 16 * 1024 * 1024, server.sent
    finally:
        server.close()


def test_a_slow_drip_meets_the_overall_deadline(app, live_server, operator):
    def drip(conn, server):  # a valid-looking answer, one byte every 0.2 s for 40 s
        server.write(conn, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n")
        for _ in range(200):
            server.write(conn, b" ")
            time.sleep(0.2)
        server.finished = True

    server = RawServer(drip)
    try:
        answer = _token(live_server, _partner(operator, server), new_key())
        assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client", answer.text
        assert not server.finished, "the fetch waited for the whole drip"
    finally:
        server.close()


def test_key_sets_are_cached_and_unknown_kids_do_not_drive_fetches(app, live_server, operator):
    key = new_key()
    server = RawServer(jwks_answer([public_jwk(key)], cache_control="public, max-age=600"))
    try:
        partner = _partner(operator, server)
        assert _token(live_server, partner, key).status_code == 200
        # Anonymous callers naming the partner, each with a key (kid) of their own.
        for _ in range(10):
            forged = _token(live_server, partner, new_key())
            assert forged.status_code in (400, 401) and forged.json()["error"] == "invalid_client"
        assert _token(live_server, partner, key).status_code == 200
        assert server.requests == 1, server.requests
    finally:
        server.close()


def test_concurrent_first_uses_share_one_fetch(app, live_server, operator):
    key = new_key()
    server = RawServer(jwks_answer([public_jwk(key)], delay=0.5))
    try:
        partner = _partner(operator, server)
        statuses = []
        threads = [threading.Thread(target=lambda: statuses.append(_token(live_server, partner, key).status_code))
                   for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert statuses == [200] * 6, statuses
        assert server.requests == 1, server.requests
    finally:
        server.close()
