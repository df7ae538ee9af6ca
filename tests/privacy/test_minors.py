"""Minors (issue 23): under 14 by the birth date in the verified ID number, face
verification, signing and payments need a verified adult guardian's consent, given as a
guardian:consent grant."""

from __future__ import annotations

from datetime import date

from integrations.sandbox.demo_data import BUS_CARDS
from nanhaitong import db
from nanhaitong.identity.models import User
from nanhaitong.identity.verification import id_number_index
from nanhaitong.privacy.minors import age
from nanhaitong.timeutil import china_today
from schemas.identity_numbers import resident_id_check_char
from tests.support.citizens import CHEN, fresh_phone, user_id, verified
from tests.support.documents import make_pdf
from tests.support.errors import assert_error
from tests.support.esign import issue, request_signing
from tests.support.grants import create_grant, revoke
from tests.support.payments import bind

FACE = "/api/v1/me/face-verification"


def id_number_born(born: date, sequence: str = "321") -> str:
    first17 = f"440605{born:%Y%m%d}{sequence}"
    return first17 + resident_id_check_char(first17)


def years_ago(years: int, days: int = 0) -> date:
    today = china_today()
    return date(today.year - years, today.month, min(today.day, 28))


def really_verified(app, citizen, name: str, id_number: str) -> None:
    """Real-name verified as ``name`` (the sandbox register knows only the six demo adults)."""
    with app.app_context():
        user = db.session().get(User, user_id(citizen))
        user.real_name, user.id_number, user.id_number_index = name, id_number, id_number_index(id_number)
        user.assurance_level = 2
        db.session().commit()


def minor(app, sign_in, years: int = 10, sequence: str = "321"):
    child = sign_in(fresh_phone())
    really_verified(app, child, "陈小宝", id_number_born(years_ago(years), sequence))
    return child


def test_age_counts_birthdays_in_china_time():
    assert age(date(2012, 12, 5), date(2026, 12, 4)) == 13
    assert age(date(2012, 12, 4), date(2026, 12, 4)) == 14


def test_a_minor_needs_a_guardians_consent_for_face_signing_and_payments(app, sign_in):
    child = minor(app, sign_in)
    for answer in (child.post(FACE, json={"liveness_token": "x" * 32}),
                   child.post("/api/v1/esign/certificates", json={"kind": "personal"}),
                   child.post("/api/v1/utility-accounts", json={"kind": "bus_card", "number": BUS_CARDS[1].card_no})):
        body = assert_error(answer, 403, "guardian_consent_required")
        assert body["details"]["scope"] == "guardian:consent"
    # Reading is not sensitive processing.
    assert child.get("/api/v1/me").status_code == 200

    guardian = verified(sign_in, CHEN)
    consent = create_grant(guardian, {"phone": child.phone}, ["guardian:consent"], purpose="监护人同意")
    cert = issue(child)
    assert request_signing(child, cert["id"], make_pdf()).status_code == 202
    assert bind(child)["id"]
    # Past the guardian's check, the face upstream decides (it knows only demo people).
    assert child.post(FACE, json={"liveness_token": "x" * 32}).get_json()["code"] != "guardian_consent_required"

    revoke(guardian, consent["id"])
    assert_error(child.post("/api/v1/utility-accounts", json={"kind": "bus_card", "number": BUS_CARDS[2].card_no}), 403,
                 "guardian_consent_required")


def test_a_guardian_must_be_a_verified_adult(app, sign_in):
    child = minor(app, sign_in)
    teen = sign_in(fresh_phone())
    really_verified(app, teen, "陈大宝", id_number_born(years_ago(16), "456"))
    create_grant(teen, {"phone": child.phone}, ["guardian:consent"])
    assert_error(child.post("/api/v1/esign/certificates", json={"kind": "personal"}), 403, "guardian_consent_required")


def test_fourteen_and_over_need_no_consent(app, sign_in):
    older = minor(app, sign_in, years=15, sequence="654")
    assert issue(older)["id"]
