"""The e-licence library simulator: its demo licences, certificates, /demo section and control."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID
from werkzeug.test import Client

from integrations.china_time import china_today
from integrations.licence_library import (
    LICENCE_KEYS,
    LICENCE_TYPES,
    parse_licence_code,
)
from integrations.sandbox import DEFAULT_API_KEYS, create_sandbox_app
from integrations.sandbox.demo_data import CITIZENS, CITIZENS_BY_ID_NUMBER, ENTERPRISES, ENTERPRISES_BY_USCC
from integrations.sandbox.licence_data import (
    ADDRESSES,
    ENTERPRISE_ADDRESSES,
    EXPIRING_CODE,
    ISSUERS,
    LICENCES,
    REVOKED_CODE,
    SPOUSE_ID_NUMBER,
    TAMPERED_CODE,
)
from integrations.sandbox.licence_library import LicenceLibrarySimulator
from schemas.identity_numbers import check_resident_id, check_uscc

KEY = {"X-Api-Key": DEFAULT_API_KEYS["licence_library"]}
CITIZEN_TYPES = {"resident_id_card", "driver_licence", "household_register", "social_security_card",
                 "marriage_certificate", "degree_certificate"}


def luhn_ok(number: str) -> bool:
    total = 0
    for position, digit in enumerate(int(c) for c in reversed(number)):
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


@pytest.fixture
def client():
    return Client(create_sandbox_app())


def holder_types(holder_id: str) -> list[str]:
    return [d.type_code for d in LICENCES if d.holder_id == holder_id]


# -- the demo licences ----------------------------------------------------------------


def test_every_holder_is_a_demo_citizen_or_enterprise_and_the_kinds_agree():
    for demo in LICENCES:
        holders = CITIZENS_BY_ID_NUMBER if demo.holder_kind == "citizen" else ENTERPRISES_BY_USCC
        assert demo.holder_id in holders, demo.code
        assert LICENCE_TYPES[demo.type_code].holder_kind == demo.holder_kind


def test_who_holds_what():
    kinds = Counter(d.type_code for d in LICENCES)
    for citizen in CITIZENS:
        assert holder_types(citizen.id_number).count("resident_id_card") == 1
    for enterprise in ENTERPRISES:
        assert holder_types(enterprise.uscc).count("business_licence") == 1
    assert kinds["driver_licence"] >= 3 and kinds["household_register"] >= 3
    assert kinds["social_security_card"] >= 3
    assert kinds["marriage_certificate"] == kinds["degree_certificate"] == 1
    assert kinds["food_business_permit"] == kinds["construction_permit"] == 1
    assert set(kinds) == set(LICENCE_TYPES)


def test_codes_are_valid_unique_and_name_their_issuer():
    codes = [d.code for d in LICENCES]
    assert len(set(codes)) == len(codes)
    for demo in LICENCES:
        parsed = parse_licence_code(demo.code)
        assert (parsed.issuer_code, parsed.type_code) == (demo.issuer.code, demo.type_code)
    assert len({i.code for i in ISSUERS}) == len(ISSUERS)


@pytest.mark.parametrize("demo", LICENCES, ids=lambda d: d.code)
def test_each_licence_has_its_types_fields_and_agrees_with_its_holder(demo):
    fields = demo.fields
    assert list(fields) == list(LICENCE_TYPES[demo.type_code].fields)
    assert all(isinstance(v, str) and v for v in fields.values())
    if demo.holder_kind == "citizen":
        number = demo.holder_id
        for name in ("id_number", "licence_number", "social_security_number"):
            if name in fields:
                assert fields[name] == number
        if "sex" in fields:
            assert fields["sex"] == ("男" if int(number[16]) % 2 else "女")
        if "birth_date" in fields:
            assert fields["birth_date"] == f"{number[6:10]}-{number[10:12]}-{number[12:14]}"
        if "address" in fields:
            assert fields["address"] == ADDRESSES[number] and "佛山市南海区" in fields["address"]
        if "bank_account" in fields:
            assert len(fields["bank_account"]) == 19 and luhn_ok(fields["bank_account"])
    else:
        enterprise = ENTERPRISES_BY_USCC[demo.holder_id]
        for name in ("uscc",):
            if name in fields:
                assert fields[name] == enterprise.uscc
        for name in ("name", "operator", "construction_unit"):
            if name in fields:
                assert fields[name] == enterprise.name
        if "legal_representative" in fields:
            assert fields["legal_representative"] == enterprise.legal_representative.name
        if "address" in fields:
            assert fields["address"] == ENTERPRISE_ADDRESSES[enterprise.uscc]
            assert enterprise.town in fields["address"]
        assert check_uscc(enterprise.uscc) is None


def test_the_spouse_has_a_valid_nanhai_number_and_no_demo_account():
    (marriage,) = [d for d in LICENCES if d.type_code == "marriage_certificate"]

    assert marriage.fields["spouse_id_number"] == SPOUSE_ID_NUMBER
    assert check_resident_id(SPOUSE_ID_NUMBER) is None and SPOUSE_ID_NUMBER.startswith("440682")  # born 1992: Nanhai city
    assert SPOUSE_ID_NUMBER not in CITIZENS_BY_ID_NUMBER


def test_the_revoked_licence_belongs_to_the_revoked_enterprise():
    (revoked,) = [d for d in LICENCES if d.status == "revoked"]

    assert revoked.code == REVOKED_CODE and revoked.type_code == "business_licence"
    assert ENTERPRISES_BY_USCC[revoked.holder_id].status == "revoked"


def test_exactly_one_licence_is_tampered_and_one_expiring():
    assert [d.code for d in LICENCES if d.tampered_fields] == [TAMPERED_CODE]
    assert [d.code for d in LICENCES if d.expires_in_days] == [EXPIRING_CODE]
    today = date(2026, 11, 22)
    (expiring,) = [d for d in LICENCES if d.expires_in_days]
    valid_from, valid_until = expiring.validity(today)
    assert 0 < (date.fromisoformat(valid_until) - today).days <= 30
    assert date.fromisoformat(valid_from) < today


def test_other_licences_are_within_their_validity_now():
    today = china_today()
    for demo in LICENCES:
        valid_from, valid_until = demo.validity(today)
        assert date.fromisoformat(valid_from) <= today, demo.code
        assert valid_until is None or date.fromisoformat(valid_until) > today, demo.code


# -- certificates ---------------------------------------------------------------------


def test_anchor_is_a_ca_and_issuer_certificates_chain_to_it():
    simulator = LicenceLibrarySimulator(api_key="k")
    anchor = simulator.ca.certificate

    assert anchor.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    for issuer in ISSUERS:
        certificate = x509.load_pem_x509_certificate(simulator.ca.issuer_pems[issuer.code].encode())
        certificate.verify_directly_issued_by(anchor)
        subject = certificate.subject
        assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)[0].value == issuer.code
        assert subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == issuer.name
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage)
        assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign


def test_every_start_makes_new_keys_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first, second = LicenceLibrarySimulator(api_key="k"), LicenceLibrarySimulator(api_key="k")

    assert first.ca.pem != second.ca.pem
    assert list(tmp_path.iterdir()) == []


def test_trust_anchor_is_served_as_pem_without_a_key(client):
    response = client.get("/elic/v1/trust-anchor.pem")

    assert response.status_code == 200 and response.mimetype == "application/x-pem-file"
    assert x509.load_pem_x509_certificate(response.data).extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca


# -- endpoints ------------------------------------------------------------------------


def test_holders_licences_need_the_api_key(client):
    response = client.get(f"/elic/v1/holders/citizen/{CITIZENS[0].id_number}/licences")

    assert response.status_code == 401 and response.json["code"] == "invalid_api_key"


def test_holders_licences_answer_signed_entries(client):
    response = client.get(f"/elic/v1/holders/citizen/{CITIZENS[0].id_number}/licences", headers=KEY)

    entries = response.json["licences"]
    assert [e["licence"]["code"] for e in entries] == [
        d.code for d in LICENCES if d.holder_id == CITIZENS[0].id_number]
    for entry in entries:
        assert set(entry) == {"licence", "signature", "issuer_certificate"}
        assert set(entry["licence"]) == LICENCE_KEYS
        assert "=" not in entry["signature"]


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/elic/v1/holders/citizen/440682199204183321/licences", 404, "holder_not_found"),
    ("/elic/v1/holders/citizen/4406051992041833/licences", 400, "invalid_holder_id"),
    ("/elic/v1/holders/enterprise/91440605MA4UJ2K8OY/licences", 400, "invalid_holder_id"),
    ("/elic/v1/holders/person/440622198503121234/licences", 404, "not_found"),
])
def test_holder_refusals_never_echo_the_id(client, path, status, code):
    response = client.get(path, headers=KEY)

    assert response.status_code == status and response.json["code"] == code
    assert path.split("/")[5] not in response.get_data(as_text=True)


def test_demo_section_lists_holders_and_the_special_licences(client):
    demo = client.get("/demo").json["licence_library"]

    assert demo["api_key_hint"] and demo["api_key_hint"] != DEFAULT_API_KEYS["licence_library"]
    assert demo["tampered"]["code"] == TAMPERED_CODE and demo["tampered"]["expected_refusal"] == "bad_signature"
    assert (demo["expiring"], demo["revoked"]) == (EXPIRING_CODE, REVOKED_CODE)
    listed = {(h["kind"], h["holder_id"]): [l["code"] for l in h["licences"]] for h in demo["holders"]}
    assert listed == {
        (kind, holder): [d.code for d in LICENCES if d.holder_id == holder]
        for kind, holder in {(d.holder_kind, d.holder_id): None for d in LICENCES}
    }
    assert {h["holder_id"] for h in demo["holders"]} == (
        {c.id_number for c in CITIZENS} | {e.uscc for e in ENTERPRISES})
    assert {i["code"] for i in demo["issuers"]} == {i.code for i in ISSUERS}
    assert demo["trust_anchor"] == "GET /elic/v1/trust-anchor.pem"
    notes = {l["code"]: l.get("note") for h in demo["holders"] for l in h["licences"]}
    assert "tampered" in notes[TAMPERED_CODE] and "expires" in notes[EXPIRING_CODE]


@pytest.mark.parametrize(("body", "status"), [
    ({}, 400),
    ({"sign": False}, 400),
    ({"status": "suspended"}, 400),
    ({"valid_until": "2030-02-30"}, 400),
    ({"valid_from": None}, 400),
    ({"fields": {"address": 1}}, 400),
    ({"fields": ["x"]}, 400),
    ({"status": "revoked", "sign": "no"}, 400),
    ({"status": "revoked", "colour": "red"}, 400),
])
def test_control_refuses_bad_changes(client, body, status):
    response = client.post(f"/_control/licences/{LICENCES[0].code}", json=body)

    assert response.status_code == status and response.json["code"] == "invalid_change"


def test_control_on_an_unknown_licence_is_404(client):
    code = "440000GA0001-resident_id_card-2019999999998"

    changed = client.post(f"/_control/licences/{code}", json={"status": "revoked"})
    dropped = client.delete(f"/_control/licences/{code}")

    assert (changed.status_code, changed.json["code"]) == (404, "licence_not_found")
    assert (dropped.status_code, dropped.json["code"]) == (404, "licence_not_found")


def test_control_changes_answer_the_new_entry_and_reset_undoes_them(client):
    code = LICENCES[0].code

    changed = client.post(f"/_control/licences/{code}", json={"status": "revoked", "valid_until": None})
    assert changed.status_code == 200
    assert (changed.json["licence"]["status"], changed.json["licence"]["valid_until"]) == ("revoked", None)
    assert client.post("/_control/reset").status_code == 204

    entries = client.get(f"/elic/v1/holders/citizen/{LICENCES[0].holder_id}/licences", headers=KEY).json
    assert entries["licences"][0]["licence"]["status"] == "valid"


def test_a_holder_whose_licences_are_all_dropped_is_unknown(client):
    uscc = ENTERPRISES[0].uscc
    for demo in LICENCES:
        if demo.holder_id == uscc:
            assert client.delete(f"/_control/licences/{demo.code}").status_code == 204

    assert client.get(f"/elic/v1/holders/enterprise/{uscc}/licences", headers=KEY).status_code == 404
