"""Minors (issue 23): under 14 by the birth date in the verified ID number, face
verification, signing and paying need a verified adult guardian's consent, given as a
guardian:consent grant; everything around them (reading orders, bills, certificates,
cancelling, revoking, downloading what was signed) stays open."""

from __future__ import annotations

from datetime import date

from nanhaitong import db
from nanhaitong.identity.models import User
from nanhaitong.identity.verification import id_number_index
from nanhaitong.privacy.minors import age
from nanhaitong.timeutil import china_today
from schemas.identity_numbers import resident_id_check_char
from tests.support.audit import audit_rows, details
from tests.support.citizens import CHEN, fresh_phone, user_id, verified
from tests.support.documents import make_pdf
from tests.support.errors import assert_error
from tests.support.esign import ESIGN, esign_code, issue, request_signing, sign
from tests.support.grants import create_grant, revoke
from tests.support.payments import ACCOUNTS, GAS, ORDERS, bind, create, created

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


def test_without_a_guardians_consent_a_minor_is_refused_only_the_sensitive_operations(app, sign_in):
    child = minor(app, sign_in)
    for answer in (child.post(FACE, json={"liveness_token": "x" * 32}),
                   child.post(f"{ESIGN}/certificates", json={"kind": "personal"})):
        body = assert_error(answer, 403, "guardian_consent_required")
        assert body["details"]["scope"] == "guardian:consent"
    # The payments feature is open up to the payment itself.
    card = bind(child)
    assert [a["id"] for a in child.get(ACCOUNTS).get_json()["items"]] == [card["id"]]
    assert child.get(f"{ACCOUNTS}/{card['id']}/balance").status_code == 200
    gas = bind(child, kind="gas", number=GAS.account_no)
    assert child.get(f"{ACCOUNTS}/{gas['id']}/bills").status_code == 200
    assert_error(create(child, card["id"]), 403, "guardian_consent_required")
    assert child.get(ORDERS).get_json()["items"] == []
    # Reading esign (nothing yet) and one's own account is not sensitive processing either.
    assert child.get(f"{ESIGN}/certificates").status_code == 200
    assert child.get("/api/v1/me").status_code == 200
    denied = [details(e) for e in audit_rows(app, "authorization.denied")]
    assert sorted(d["action"] for d in denied if d.get("reason") == "guardian_consent_required") == [
        "esign:sign", "identity:face", "payments:pay"]


def test_with_a_guardians_consent_a_minor_signs_and_pays_until_it_is_revoked(app, sign_in):
    child = minor(app, sign_in)
    guardian = verified(sign_in, CHEN)
    consent = create_grant(guardian, {"phone": child.phone}, ["guardian:consent"], purpose="监护人同意")
    cert = issue(child)
    signed, _pdf = sign(child, cert["id"], make_pdf())
    pending = request_signing(child, cert["id"], make_pdf())
    assert pending.status_code == 202, pending.get_json()
    card = bind(child)
    paid = created(child, card["id"], amount_fen=1000)
    # Past the guardian's check, the face upstream decides (it knows only demo people).
    assert child.post(FACE, json={"liveness_token": "x" * 32}).get_json()["code"] != "guardian_consent_required"

    revoke(guardian, consent["id"])
    # Revoked: at once no new payment, no signature, not even of a request made before.
    assert_error(create(child, card["id"]), 403, "guardian_consent_required")
    assert_error(request_signing(child, cert["id"], make_pdf()), 403, "guardian_consent_required")
    code = esign_code(child)
    assert_error(child.post(f"{ESIGN}/signing-requests/{pending.get_json()['id']}/confirm", json={"code": code}),
                 403, "guardian_consent_required")
    assert_error(child.post(f"{ESIGN}/certificates/{cert['id']}/renew"), 403, "guardian_consent_required")
    # What was done stays the minor's to read, download, cancel and revoke.
    assert child.get(f"{ORDERS}/{paid['id']}").get_json()["status"] == "awaiting_payment"
    assert [o["id"] for o in child.get(ORDERS).get_json()["items"]] == [paid["id"]]
    assert child.post(f"{ORDERS}/{paid['id']}/cancel").get_json()["status"] == "cancelled"
    document = child.get(f"{ESIGN}/signing-requests/{signed['id']}/document")
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    assert [c["id"] for c in child.get(f"{ESIGN}/certificates").get_json()["items"]] == [cert["id"]]
    revoked = child.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={"reason": "unspecified"})
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked", revoked.get_json()


def test_a_guardian_must_be_a_verified_adult(app, sign_in):
    child = minor(app, sign_in)
    teen = sign_in(fresh_phone())
    really_verified(app, teen, "陈大宝", id_number_born(years_ago(16), "456"))
    create_grant(teen, {"phone": child.phone}, ["guardian:consent"])
    assert_error(child.post("/api/v1/esign/certificates", json={"kind": "personal"}), 403, "guardian_consent_required")


def test_fourteen_and_over_need_no_consent(app, sign_in):
    older = minor(app, sign_in, years=15, sequence="654")
    assert issue(older)["id"]
