"""Fixtures and plain helpers for the e-licence tests (issue 5).

Everything goes through the API and the sandbox over real HTTP, as a client would:
citizens sign in by SMS and verify their real name against the sandbox, the wallet is
pulled from the sandbox licence library, which tests mutate through its control
endpoint. A few shortcuts go through the ORM or an app context where the API has no
way (signing an already-expired presentation, moving a grant's expiry).
"""

from __future__ import annotations

import base64
import json
import re

import pytest
import requests

from integrations.sandbox.licence_data import EXPIRING_CODE, REVOKED_CODE, TAMPERED_CODE  # noqa: F401
from tests.support.citizens import Citizen, request_code
from tests.support.licences import sandbox, sms_texts, wallet
from tests.support.settings import APP_SETTINGS

ACCESS_LOG = "/api/v1/me/access-log"


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS)


# -- the sandbox ----------------------------------------------------------------------


def library_change(app, code: str, **change) -> dict:
    """Have the sandbox licence library change a licence (re-signed by its issuer unless sign=False)."""
    answer = requests.post(f"{sandbox(app)}/_control/licences/{code}", json=change, timeout=5)
    assert answer.status_code == 200, answer.text
    return answer.json()


def library_drop(app, code: str) -> None:
    answer = requests.delete(f"{sandbox(app)}/_control/licences/{code}", timeout=5)
    assert answer.status_code == 204, answer.text


def step_up_code(citizen: Citizen) -> str:
    """Ask for a step_up code for the citizen's phone and read it from the sandbox SMS gateway."""
    answer = request_code(citizen.client, citizen.phone, "step_up")
    assert answer.status_code == 202, answer.get_json()
    return re.search(r"\d{6}", sms_texts(citizen.app, citizen.phone)[0]).group(0)


# -- the wallet -----------------------------------------------------------------------

def by_type(citizen: Citizen, type_code: str) -> dict:
    [licence] = wallet(citizen, f"?type_code={type_code}")
    return licence


def access_log(citizen: Citizen) -> list[dict]:
    answer = citizen.get(ACCESS_LOG + "?limit=100")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


# -- presentations ----------------------------------------------------------------------


# -- tokens ------------------------------------------------------------------------------

def b64url_json(value: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(value, ensure_ascii=False).encode()).rstrip(b"=").decode()


def unb64url_json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def with_payload(token: str, change) -> str:
    """The token with its payload changed by ``change(claims)`` and the old signature kept."""
    header, payload, signature = token.split(".")
    claims = unb64url_json(payload)
    change(claims)
    return f"{header}.{b64url_json(claims)}.{signature}"


def with_header(token: str, **changes) -> str:
    header, payload, signature = token.split(".")
    return f"{b64url_json({**unb64url_json(header), **changes})}.{payload}.{signature}"
