"""Identity numbers to the standards (issue 21): a resident ID whose region code did not
exist at the holder's birth, and a USCC whose embedded organisation code has a wrong check
character, are each refused over HTTP with a 422 that names the rule."""

from __future__ import annotations

import pytest
import requests

from integrations.sandbox.demo_data import CITIZENS
from schemas.identity_numbers import org_code_check_char, resident_id_check_char, uscc_check_char

CHEN = CITIZENS[0]


@pytest.fixture
def app(relaxed_app):
    return relaxed_app


def _post(live_server, citizen, path, body):
    # In English: the test reads the reason's words (Chinese is the default).
    return requests.post(f"{live_server.url}{path}", timeout=10, json=body,
                         headers={**citizen.headers, "Accept-Language": "en"})


def _field_message(answer, field):
    body = answer.json()
    assert answer.status_code == 422 and body["code"] == "validation_failed", answer.text
    return " ".join(body["details"]["fields"][field])


def test_a_region_code_that_did_not_exist_at_birth_is_a_clear_422(app, live_server, sign_in):
    citizen = sign_in(CHEN.phone)
    # Chen was born in Nanhai in 1985, when its code was 440622: 440605 only exists from 2002.
    first17 = "440605" + CHEN.id_number[6:17]
    answer = _post(live_server, citizen, "/api/v1/me/real-name-verification",
                   {"name": CHEN.name, "id_number": first17 + resident_id_check_char(first17)})
    assert "region code did not exist on the date of birth" in _field_message(answer, "id_number")
    # The number as it really is passes.
    assert _post(live_server, citizen, "/api/v1/me/real-name-verification",
                 {"name": CHEN.name, "id_number": CHEN.id_number}).status_code == 200


def test_a_wrong_organisation_code_check_character_is_a_clear_422(app, live_server, sign_in):
    citizen = sign_in(CHEN.phone)
    assert _post(live_server, citizen, "/api/v1/me/real-name-verification",
                 {"name": CHEN.name, "id_number": CHEN.id_number}).status_code == 200
    right = org_code_check_char("MA4UJ2K8")
    wrong17 = "91440605MA4UJ2K8" + ("4" if right != "4" else "5")
    answer = _post(live_server, citizen, "/api/v1/enterprises", {"uscc": wrong17 + uscc_check_char(wrong17)})
    assert "embedded organisation code" in _field_message(answer, "uscc")
