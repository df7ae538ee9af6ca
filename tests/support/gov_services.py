"""Status callbacks as the provincial platform (粤省事) sends them, signed with its secret."""

from __future__ import annotations

import json

import requests

from integrations.gov_gateway import sign_headers

CALLBACK_PATH = "/api/v1/gov-services/callbacks/status"


def report(created: dict, status: str = "accepted", version: int = 2) -> dict:
    """The callback body reporting ``status`` for an application the API ``created``."""
    return {"reference": created["upstream_reference"], "application_id": created["id"], "status": status,
            "version": version, "occurred_at": "2026-11-22T08:00:00.000Z", "note": None}


def send(app, payload: dict, *, secret: str | None = None, app_key: str = "yueshengshi", now: float | None = None,
         nonce: str | None = None, tamper: bytes | None = None, drop: str | None = None) -> requests.Response:
    """POST a signed callback to the live server (``tamper`` sends other bytes, ``drop`` omits a header)."""
    raw = json.dumps(payload, ensure_ascii=False).encode()
    headers = sign_headers(secret or app.config["YUESHENGSHI_CALLBACK_SECRET"], app_key, "POST", CALLBACK_PATH, "",
                           raw, now=now, nonce=nonce)
    if drop:
        headers.pop(drop)
    headers["Content-Type"] = "application/json"
    url = app.config["GOV_SERVICES_CALLBACK_URL"]
    return requests.post(url, timeout=5, data=tamper if tamper is not None else raw, headers=headers)


def load_catalogue(app) -> dict:
    result = app.test_cli_runner().invoke(args=["gov-services", "catalogue", "load"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)
