"""The one error shape (nanhaitong/errors.py), asserted the same way everywhere."""

from __future__ import annotations

ERROR_KEYS = {"code", "message", "details", "request_id"}


def assert_error(response, status: int, code: str | set | tuple | None = None) -> dict:
    """Assert the one error shape with ``status`` and (one of) ``code``; returns the body.

    ``response`` is a Flask test client's answer. The body has exactly the four keys, a
    readable message, a details object and the request id the ``X-Request-ID`` header
    echoes; a 401 says how to authenticate, a 429 when to come back.
    """
    body = response.get_json()
    assert response.status_code == status, (response.status_code, body)
    assert response.is_json, response.get_data(as_text=True)
    assert isinstance(body, dict) and set(body) == ERROR_KEYS, body
    assert isinstance(body["details"], dict) and isinstance(body["message"], str) and body["message"], body
    assert body["request_id"] and body["request_id"] == response.headers.get("X-Request-ID"), body
    if code is not None:
        codes = {code} if isinstance(code, str) else set(code)
        assert body["code"] in codes, body
    if status == 401:
        assert response.headers.get("WWW-Authenticate", "").startswith("Bearer"), dict(response.headers)
    if status == 429:
        retry_after = response.headers.get("Retry-After")
        assert retry_after and retry_after.isdigit() and int(retry_after) >= 1, dict(response.headers)
    return body


def assert_error_http(answer, status: int, code: str) -> dict:
    """The error shape on a ``requests`` answer from a live server (the open API).

    Not the same as ``assert_error``: the open API may carry OAuth's own fields
    (``error``, ``error_description``) beside the four keys, so only their presence is
    asserted.
    """
    body = answer.json()
    assert answer.status_code == status, (answer.status_code, body)
    assert {"code", "message", "details", "request_id"} <= set(body) and body["code"] == code, body
    return body
