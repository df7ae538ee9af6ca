"""Request ids are echoed; logs are JSON lines without personal data."""

import io
import json
import logging

import pytest


@pytest.fixture
def log_lines(app):
    stream = io.StringIO()
    handler = logging.getLogger("nanhaitong").handlers[0]
    previous = handler.setStream(stream)
    logging.getLogger("nanhaitong").setLevel("INFO")
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line]
    handler.setStream(previous)


def test_request_id_generated_and_echoed(client):
    response = client.get("/health/live")
    assert len(response.headers["X-Request-ID"]) >= 16


def test_client_request_id_is_kept(client):
    response = client.get("/health/live", headers={"X-Request-ID": "app-7f3a.1"})
    assert response.headers["X-Request-ID"] == "app-7f3a.1"


def test_forged_request_id_is_replaced(client):
    response = client.get("/health/live", headers={"X-Request-ID": 'x" {\"level\":\"error\"}'})
    assert response.headers["X-Request-ID"] != 'x" {\"level\":\"error\"}'
    assert response.headers["X-Request-ID"].isalnum()


def test_access_log_is_structured_and_has_no_query_string(client, log_lines):
    client.get("/health/live?phone=13812345678", headers={"X-Request-ID": "trace-1"})
    entries = [e for e in log_lines() if e["logger"] == "nanhaitong.access"]
    assert entries, "no access log line"
    entry = entries[-1]
    assert entry["request_id"] == "trace-1"
    assert entry["method"] == "GET" and entry["path"] == "/health/live" and entry["status"] == 200
    assert isinstance(entry["latency_ms"], float)
    assert entry["time"].endswith("Z")
    assert "13812345678" not in json.dumps(entry)


def test_personal_data_slipping_into_a_log_is_redacted(app, log_lines):
    with app.test_request_context():
        logging.getLogger("nanhaitong.test").warning("user %s with id %s", "13812345678", "44062219900101023X",
                                                      extra={"fields": {"phone": "13987654321"}})
    text = json.dumps(log_lines())
    for secret in ("13812345678", "44062219900101023X", "13987654321"):
        assert secret not in text
