"""Account deletion (注销, issue 23): blockers listed, a cooling-off period that signing in
cancels, then a job that erases the person from every domain, keeping only what the law
requires under an unlinkable id; the phone is free for a new, empty account."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from integrations.sandbox.demo_data import BUS_CARDS
from nanhaitong import db
from nanhaitong.partners.models import WebhookDelivery
from nanhaitong.privacy.jobs import run_due_deletions
from nanhaitong.privacy.models import DeletionRequest
from nanhaitong.timeutil import utcnow
from tests.support.citizens import CHEN, HUANG, OU, user_id, verified
from tests.support.documents import make_pdf
from tests.support.enterprises import GUICHENG, add_member, registered
from tests.support.errors import assert_error
from tests.support.esign import issue, request_signing, sign
from tests.support.gov_services import SAMPLES, advance, apply, load_catalogue
from tests.support.grants import create_grant
from tests.support.licences import present, sms_texts, sync, verify, wallet
from tests.support.one_stop import matter_body
from tests.support.partners import Browser, Receiver, authorize_url, check_signature, code_flow, oauth_session, register
from tests.support.payments import CARD, bind, created, pay, status_of, stuck_in_refunding, wait_for
from tests.support.settings import APP_SETTINGS
from tests.support.signing import pyhanko, write

from .scan import find_person

DELETION = "/api/v1/me/account-deletion"
SERVICE = "yss.social_insurance.certificate"
ONE_STOP, ONE_STOP_ADMIN = "/api/v1/one-stop", "/api/v1/admin/one-stop"


@pytest.fixture
def app(make_app):
    app = make_app(**APP_SETTINGS)
    load_catalogue(app)
    return app


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def end_cooling_off(app) -> None:
    """Time passing: every cooling-off period ends now; then the beat's job runs."""
    with app.app_context():
        db.session().execute(update(DeletionRequest).values(effective_at=utcnow() - timedelta(seconds=1)))
        db.session().commit()
        run_due_deletions.delay()


def one_stop_case(operator, citizen, form: dict) -> dict:
    """An online application at the district's centre (a one-stop case), as the person files it."""
    matter = operator.post(f"{ONE_STOP_ADMIN}/matters", json=matter_body(name="居住证申领", online=True))
    assert matter.status_code == 201, matter.get_json()
    answer = citizen.post(f"{ONE_STOP}/cases", json={"matter_id": matter.get_json()["id"], "form": form})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_blocked_deletion_lists_every_blocker(app, operator, sign_in):
    chen = verified(sign_in, CHEN)
    # The legal representative of an enterprise that has another member,
    add_member(app, registered(chen, GUICHENG))
    # a payment not yet paid (on a second card), a refund the gateway has not carried out,
    waiting = created(chen, bind(chen, number=BUS_CARDS[1].card_no)["id"])
    refunding = stuck_in_refunding(app, chen, 1000)
    # an application still with the province, another at the district's centre,
    applied = apply(chen, SERVICE, SAMPLES[SERVICE]).get_json()
    case = one_stop_case(operator, chen, {"居住地址": "桂城街道南海大道1号"})
    # and a document awaiting the person's SMS code.
    asked = request_signing(chen, issue(chen)["id"], make_pdf()).get_json()

    body = assert_error(chen.post(DELETION), 409, "account_deletion_blocked")
    blockers = {(b["code"], b["object_id"]) for b in body["details"]["blockers"]}
    assert {code for code, _ in blockers} == {"legal_representative_of_enterprise", "refund_in_progress",
                                              "payment_unfinished", "application_in_progress",
                                              "signing_request_pending"}
    assert ("refund_in_progress", refunding["id"]) in blockers and ("payment_unfinished", waiting["id"]) in blockers
    assert ("application_in_progress", applied["id"]) in blockers and ("application_in_progress", case["id"]) in blockers
    assert ("signing_request_pending", asked["id"]) in blockers
    assert len(blockers) == 6 and all(b["message"] for b in body["details"]["blockers"])
    assert chen.get(DELETION).get_json()["request"] is None
    assert len(chen.get(DELETION).get_json()["blockers"]) == 6
    assert chen.get("/api/v1/me").status_code == 200  # nothing started


def test_signing_in_within_the_cooling_off_period_cancels_and_keeps_everything(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    before = (chen.get("/api/v1/me").get_json(), wallet(chen, "?limit=100"))
    answer = chen.post(DELETION)
    assert answer.status_code == 202, answer.get_json()
    request = answer.get_json()
    assert request["status"] == "cooling_off"
    assert 14.9 < (_at(request["effective_at"]) - _at(request["requested_at"])).total_seconds() / 86400 <= 15
    assert "冷静期" in sms_texts(app, CHEN.phone)[0]
    assert_error(chen.get("/api/v1/me"), 401, "session_ended")  # signed out everywhere

    again = sign_in(CHEN.phone)
    assert again.get(DELETION).get_json()["request"] is None
    assert (again.get("/api/v1/me").get_json(), wallet(again, "?limit=100")) == before
    assert "已撤销" in sms_texts(app, CHEN.phone)[0]  # newest first
    titles = [m["title"] for m in again.get("/api/v1/messages").get_json()["items"]]
    assert "账号注销已撤销" in titles and "账号注销申请已提交" in titles
    end_cooling_off(app)  # nothing is due any more
    assert again.get("/api/v1/me").get_json() == before[0]


def test_signing_in_on_a_partners_consent_page_cancels_too(app, live_server, operator, sign_in):
    chen = verified(sign_in, CHEN)
    assert chen.post(DELETION).status_code == 202
    partner = register(operator)
    url = authorize_url(live_server, oauth_session(live_server, partner, scope="openid profile:read"), "v" * 50)
    Browser(app, live_server).sign_in(url, CHEN.phone)
    with app.app_context():
        assert db.session().execute(select(DeletionRequest.status)).scalar_one() == "cancelled"


def _at(value: str):
    from datetime import datetime

    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_after_deletion_nothing_of_the_person_remains_but_what_the_law_keeps(app, client, live_server, operator,
                                                                             sign_in, receiver, runner, tmp_path):
    chen = verified(sign_in, CHEN)
    chen_id = user_id(chen)
    sync(chen)
    licence = wallet(chen, "?limit=100")[0]
    assert verify(verified(sign_in, HUANG), present(chen, licence["id"], ["holder_name"])["token"])["valid"]
    create_grant(chen, {"phone": verified(sign_in, OU).phone}, ["licences:read"])
    partner = register(operator, webhook_url=receiver.url)
    code_flow(app, live_server, partner, CHEN.phone, scope="openid profile:read")
    applied = apply(chen, SERVICE, SAMPLES[SERVICE]).get_json()
    advance(app, applied["upstream_reference"], "accepted")
    advance(app, applied["upstream_reference"], "approved")
    order = created(chen, bind(chen, number=CARD)["id"])
    pay(app, "wechat", order["out_trade_no"])
    wait_for(lambda: status_of(chen, order["id"]) == "fulfilled")
    signed, signed_pdf = sign(chen, issue(chen)["id"], make_pdf())
    # A form at the district's centre holding all three (encrypted by one-stop itself), handled and rated.
    case = one_stop_case(operator, chen, {"申请人": CHEN.name, "身份证号": CHEN.id_number, "联系电话": CHEN.phone})
    for status in ("accepted", "completed"):
        assert operator.post(f"{ONE_STOP_ADMIN}/cases/{case['id']}/status", json={"status": status}).status_code == 200
    rated = chen.post(f"{ONE_STOP}/cases/{case['id']}/evaluation", json={"level": 1, "text": f"请回电{CHEN.phone}"})
    assert rated.status_code == 201 and rated.get_json()["followup"], rated.get_json()
    slots = {"centre": "guicheng", "matter_id": case["matter_id"], "days": 3}
    slot = next(s for s in client.get(f"{ONE_STOP}/slots", query_string=slots).get_json()["items"] if s["available"])
    booked = chen.post(f"{ONE_STOP}/appointments", json={"centre": "guicheng", "matter_id": case["matter_id"],
                                                         "day": slot["day"], "start": slot["start"]})
    assert booked.status_code == 201, booked.get_json()
    assert chen.post("/api/v1/me/devices", json={"platform": "android", "token": "push-token-of-chen-0001"}
                     ).status_code == 201
    assert chen.put("/api/v1/me/consents/marketing").status_code == 200
    # The search finds them where they are: in clear, encrypted, and by blind index.
    before = {(table, column, what) for table, column, what, _ in find_person(
        app, phone=CHEN.phone, id_number=CHEN.id_number, name=CHEN.name)}
    assert {("users", "phone", "phone"), ("users", "phone_index", "phone_index"), ("users", "real_name", "name"),
            ("users", "id_number_index", "id_number_index"), ("licences", "holder_name", "name"),
            ("licences", "fields", "id_number"), ("esign_certificates", "subject", "name"),
            ("one_time_codes", "phone_index", "phone_index"), ("one_stop_cases", "form", "id_number"),
            ("one_stop_evaluations", "text", "phone")} <= before, sorted(before)

    assert chen.post(DELETION).status_code == 202
    end_cooling_off(app)

    # Kept: the payment records, the signed document with its certificate, the audit log.
    def retained(table: str, row: dict) -> bool:
        return (table == "esign_certificates" and row["owner_id"] == chen_id) or (
            table == "esign_signing_requests" and row["status"] == "signed" and row["owner_id"] == chen_id)

    assert find_person(app, phone=CHEN.phone, id_number=CHEN.id_number, name=CHEN.name, retained=retained) == []
    with app.app_context():
        row = db.session().execute(select(DeletionRequest)).scalar_one()
        assert row.status == "completed" and row.user_id == chen_id
        assert db.session().execute(select(WebhookDelivery).where(WebhookDelivery.event == "consent.revoked")
                                    ).scalar_one()
        from nanhaitong.partners.webhooks import dispatch_due

        dispatch_due()
    [delivery] = receiver.received
    assert check_signature(partner["credentials"]["webhook_secret"], delivery)["event"] == "consent.revoked"
    assert "注销" in sms_texts(app, CHEN.phone)[0]

    # The retained records still verify: the audit chain, the order under its pseudonymous owner.
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        from nanhaitong.audit.models import AuditEvent
        from nanhaitong.payments.models import PaymentOrder

        assert db.session().get(PaymentOrder, order["id"]).owner_id == chen_id
        assert db.session().get(PaymentOrder, order["id"]).status == "fulfilled"
        [event] = db.session().execute(select(AuditEvent).where(AuditEvent.action == "privacy.account_deleted")
                                       ).scalars().all()
        assert event.object_id == chen_id and event.actor == "system:account-deletion"
    assert signed["status"] == "signed"
    with app.app_context():
        from nanhaitong.esign.models import SigningRequest

        kept = db.session().get(SigningRequest, signed["id"])
        assert kept.status == "signed" and base64.b64decode(kept.signed_document) == signed_pdf
    # The signature made before the deletion still validates (pyhanko-cli, long-term), though
    # its certificate was revoked with the account.
    write(tmp_path, verified(sign_in, HUANG), signed_pdf)
    ades = pyhanko("adesverify", "--no-strict-syntax", "--trust-replace", "--trust", "root.pem", "--pretty-print",
                   "signed.pdf", tmp_path=tmp_path)  # the test PDF's own xref is not strict; the signature is
    assert ades.returncode == 0, ades.stdout + ades.stderr

    # The place booked at the centre is free again.
    [again] = [s for s in client.get(f"{ONE_STOP}/slots", query_string=slots).get_json()["items"]
               if (s["day"], s["start"]) == (slot["day"], slot["start"])]
    assert again["available"] == slot["available"]

    # Old tokens are dead; the same phone signs up as a new, empty account.
    assert_error(chen.get("/api/v1/me"), 401)
    fresh = sign_in(CHEN.phone)
    me = fresh.get("/api/v1/me").get_json()
    assert me["id"] != chen_id and me["assurance_level"] == 1 and me["enterprises"] == []
    assert wallet(fresh) == [] and fresh.get("/api/v1/me/data-sharing").get_json()["disclosures"] == []
    assert fresh.get("/api/v1/messages").get_json()["items"] == []
    reverified = verified(sign_in, CHEN)  # the same person, verified again: still nothing of before
    assert reverified.get(f"{ONE_STOP}/cases").get_json()["items"] == []
    assert reverified.get(f"{ONE_STOP}/appointments").get_json()["items"] == []
