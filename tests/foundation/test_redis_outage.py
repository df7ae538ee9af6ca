"""When Redis (the store every instance shares for limits, nonces and replay guards) is down
or hangs, requests answer 503 store_unavailable in the one error shape, within seconds."""

from __future__ import annotations

import io
import json
import logging
import socket
import threading
import time

import pytest

from tests.support.errors import assert_error

CATALOGUE = "/api/v1/gov-services"


@pytest.fixture
def silent_redis():
    """A port that accepts connections and never answers, as a hung Redis does."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    for conn in held:
        conn.close()


def test_refused_connection_is_503_logged_in_one_line(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    stream = io.StringIO()
    handler = logging.getLogger("nanhaitong").handlers[0]
    previous = handler.setStream(stream)
    try:
        answer = app.test_client().get(CATALOGUE)
    finally:
        handler.setStream(previous)
    assert_error(answer, 503, "store_unavailable")
    assert answer.headers["Retry-After"] == "5"
    [line] = [json.loads(line) for line in stream.getvalue().splitlines()
              if json.loads(line)["logger"] == "nanhaitong.errors"]
    assert line["message"] == "redis unavailable: ConnectionError" and "exception" not in line


def test_a_hung_redis_answers_503_within_seconds(make_app, silent_redis):
    app = make_app(REDIS_URL=silent_redis)
    started = time.monotonic()
    answer = app.test_client().post("/api/v1/auth/sms-codes", json={"phone": "13800138001", "purpose": "login"})
    assert_error(answer, 503, "store_unavailable")
    assert time.monotonic() - started < 15
