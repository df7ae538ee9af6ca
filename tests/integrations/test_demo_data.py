"""The sandbox's demo citizens and enterprises: valid numbers, consistent links, listed by /demo."""

from __future__ import annotations

import pytest
import requests
from stdnum.cn import ric, uscc
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from integrations.sandbox import DEFAULT_API_KEYS, create_sandbox_app
from integrations.sandbox.demo_data import CITIZENS, CITIZENS_BY_ID_NUMBER, ENTERPRISES
from schemas.identity_numbers import check_resident_id, check_uscc

NANHAI = "440605"
# Nanhai's address code at a birth date (GB/T 2260): county, county, city, district.
NANHAI_AT_BIRTH = ((1983, "442722"), (1992, "440622"), (2002, "440682"), (9999, "440605"))
NANHAI_TOWNS = {"桂城街道", "九江镇", "西樵镇", "丹灶镇", "狮山镇", "大沥镇", "里水镇"}


def org_code_check(first8: str) -> str:
    """GB 11714 check of the organisation code held in USCC positions 9-17."""
    values = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    c9 = 11 - sum(values.index(c) * w for c, w in zip(first8, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


@pytest.mark.parametrize("citizen", CITIZENS, ids=lambda c: c.phone)
def test_citizens_have_valid_nanhai_numbers(citizen):
    assert check_resident_id(citizen.id_number) is None
    assert ric.is_valid(citizen.id_number)  # python-stdnum: check and the region as it was at birth
    born = int(citizen.id_number[6:10])
    assert citizen.id_number[:6] == next(code for until, code in NANHAI_AT_BIRTH if born < until)
    assert "南海" in ric.get_birth_place(citizen.id_number)["county"]
    assert len(citizen.phone) == 11 and citizen.phone.startswith("1") and citizen.phone.isdigit()
    assert 2 <= len(citizen.name) <= 4


@pytest.mark.parametrize("enterprise", ENTERPRISES, ids=lambda e: e.uscc)
def test_enterprises_have_valid_nanhai_codes_and_a_demo_representative(enterprise):
    assert check_uscc(enterprise.uscc) is None
    assert uscc.is_valid(enterprise.uscc)
    assert enterprise.uscc[2:8] == NANHAI
    assert org_code_check(enterprise.uscc[8:16]) == enterprise.uscc[16]
    assert enterprise.legal_representative_id_number in CITIZENS_BY_ID_NUMBER
    assert enterprise.town in NANHAI_TOWNS
    assert enterprise.name.startswith("佛山市南海区")
    assert enterprise.status in {"active", "revoked", "cancelled"}
    assert enterprise.size in {"micro", "small", "medium", "large"}
    assert enterprise.industry_code[0].isalpha() and enterprise.industry_code[1:].isdigit()


def test_enough_varied_demo_data():
    assert len(CITIZENS) >= 5 and len(ENTERPRISES) >= 3
    assert len({c.id_number for c in CITIZENS}) == len(CITIZENS)
    assert len({c.phone for c in CITIZENS}) == len(CITIZENS)
    assert len({e.uscc for e in ENTERPRISES}) == len(ENTERPRISES)
    assert "revoked" in {e.status for e in ENTERPRISES}
    assert len({e.town for e in ENTERPRISES}) >= 3
    assert len({e.industry_code for e in ENTERPRISES}) >= 3
    assert len({e.size for e in ENTERPRISES}) >= 3
    assert any(c.id_number.endswith("X") for c in CITIZENS)  # exercises the X check character


def test_demo_lists_citizens_enterprises_and_how_to_get_a_liveness_token(sandbox):
    demo = sandbox.demo()

    assert demo["citizens"] == [
        {"name": c.name, "id_number": c.id_number, "phone": c.phone} for c in CITIZENS
    ]
    listed = demo["enterprises"]
    assert [e["uscc"] for e in listed] == [e.uscc for e in ENTERPRISES]
    for entry, enterprise in zip(listed, ENTERPRISES):
        assert entry["name"] == enterprise.name
        assert entry["legal_representative_id_number"] == enterprise.legal_representative_id_number
        assert {entry[k] for k in ("status", "industry_code", "town", "size")} == {
            enterprise.status, enterprise.industry_code, enterprise.town, enterprise.size}
    token = demo["face"]["liveness_token"]
    assert (token["method"], token["path"]) == ("POST", "/face/liveness-tokens")
    assert token["body"]["id_number"] in CITIZENS_BY_ID_NUMBER and token["body"]["outcome"] == "pass"
    for name in ("idv", "face", "yueshangtong"):
        assert demo[name]["api_key_hint"] and demo[name]["api_key_hint"] != DEFAULT_API_KEYS[name]


def test_demo_paths_carry_the_mount_point():
    mounted = Client(DispatcherMiddleware(NotFound(), {"/sandbox": create_sandbox_app()}))

    how = mounted.get("/sandbox/demo").json["face"]["liveness_token"]
    issued = mounted.post(how["path"], json=how["body"])

    assert how["path"] == "/sandbox/face/liveness-tokens"
    assert issued.status_code == 201 and issued.json["expires_in"] == 300


def test_demo_follows_a_token_request_end_to_end(sandbox, make_face_client):
    how = sandbox.demo()["face"]["liveness_token"]
    token = requests.post(sandbox.url + how["path"], json=how["body"], timeout=5).json()["liveness_token"]
    citizen = CITIZENS_BY_ID_NUMBER[how["body"]["id_number"]]

    assert make_face_client().verify(token, name=citizen.name, id_number=citizen.id_number).passed
