"""A copy of one's data (issue 23): built by a job with progress, announced in the inbox,
downloaded with one's own token after an SMS confirmation, for seven days only, and
complete: it holds what the API shows the person, unmasked."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from datetime import timedelta

from sqlalchemy import update

from nanhaitong import db
from nanhaitong.privacy.jobs import expire_exports
from nanhaitong.privacy.models import DataExport
from nanhaitong.timeutil import utcnow
from tests.support.citizens import CHEN, LI, OU, read_code, request_code, user_id, verified
from tests.support.documents import make_pdf
from tests.support.errors import assert_error
from tests.support.esign import issue, sign
from tests.support.gov_services import SAMPLES, apply, load_catalogue
from tests.support.grants import act_under, create_grant
from tests.support.licences import sync, wallet
from tests.support.one_stop import matter_body
from tests.support.payments import bind, created

from .conftest import publish, sign_up

EXPORTS = "/api/v1/me/data-exports"
ONE_STOP = "/api/v1/one-stop"
SERVICE = "yss.social_insurance.certificate"


def step_up(citizen) -> str:
    assert request_code(citizen.client, citizen.phone, "step_up").status_code == 202
    return read_code(citizen.app, citizen.phone)


def test_the_copy_is_complete_confirmed_by_sms_and_only_for_its_owner(app, sign_in, tmp_path):
    chen = verified(sign_in, CHEN)
    sync(chen)
    mine = wallet(chen, "?limit=100")
    ou = verified(sign_in, OU)
    grant = create_grant(chen, {"phone": ou.phone}, ["licences:read"])
    assert act_under(ou, grant["id"]).get(f"/api/v1/licences/{mine[0]['id']}").status_code == 200
    _, signed_pdf = sign(chen, issue(chen)["id"], make_pdf(text="Lease"))
    bind(chen)

    answer = chen.post(EXPORTS)
    assert answer.status_code == 202, answer.get_json()
    made = answer.get_json()
    assert (made["status"], made["progress"], made["confirmed"]) == ("ready", 100, False)  # eager: built at once
    assert made["expires_at"].endswith("Z") and made["download_url"] == f"{EXPORTS}/{made['id']}/archive"
    [notice] = [m for m in chen.get("/api/v1/messages").get_json()["items"] if m["data"].get("export_id") == made["id"]]
    assert notice["title"] == "您的个人信息副本已生成"

    # Not before the SMS confirmation, and never for anyone else.
    assert_error(chen.get(made["download_url"]), 428, "sms_confirmation_required")
    li = sign_in(LI.phone)
    assert_error(li.get(f"{EXPORTS}/{made['id']}"), 404, "export_not_found")
    assert_error(li.post(f"{EXPORTS}/{made['id']}/confirmation", json={"code": step_up(li)}), 404)
    assert_error(li.get(made["download_url"]), 404, "export_not_found")
    assert_error(chen.post(f"{EXPORTS}/{made['id']}/confirmation", json={"code": "000000"}), 401, "invalid_code")
    confirmed = chen.post(f"{EXPORTS}/{made['id']}/confirmation", json={"code": step_up(chen)})
    assert confirmed.status_code == 200 and confirmed.get_json()["confirmed"] is True
    assert_error(li.get(made["download_url"]), 404, "export_not_found")
    # Nor for someone acting on the person's behalf: a copy is the person's own right.
    delegate = act_under(ou, grant["id"])
    assert_error(delegate.get(made["download_url"]), 403, "not_authorized")
    assert_error(delegate.get(f"{EXPORTS}/{made['id']}"), 403, "not_authorized")

    download = chen.get(made["download_url"])
    assert download.status_code == 200 and download.mimetype == "application/zip"
    assert hashlib.sha256(download.data).hexdigest() == made["sha256"]
    path = tmp_path / "copy.zip"
    path.write_bytes(download.data)
    tested = subprocess.run(["unzip", "-t", str(path)], capture_output=True, text=True, check=False)
    assert tested.returncode == 0 and "No errors detected" in tested.stdout, tested.stdout + tested.stderr

    archive = zipfile.ZipFile(io.BytesIO(download.data))
    names = set(archive.namelist())
    assert {"README.txt", "索引.html", "index.json", "access_log.json", "data/account.json", "data/licences.json",
            "data/authorizations.json", "data/messages.json", "data/esign.json", "data/payments.json",
            "data/gov_services.json", "data/privacy.json"} <= names
    index = json.loads(archive.read("index.json"))
    for entry in index["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    assert "电子证照" in archive.read("索引.html").decode()

    def data(name):
        return json.loads(archive.read(f"data/{name}.json"))

    # The same as the API shows, unmasked.
    me = chen.get("/api/v1/me").get_json()
    account = data("account")["account"]
    assert account["id"] == me["id"] == user_id(chen)
    assert (account["phone"], account["real_name"], account["id_number"]) == (CHEN.phone, CHEN.name, CHEN.id_number)
    assert {lic["code"] for lic in data("licences")["licences"]} == {lic["code"] for lic in mine}
    for lic in mine:
        assert json.loads(archive.read(f"licences/{lic['code']}.json"))["id"] == lic["id"]
    log = chen.get("/api/v1/me/access-log?limit=100").get_json()["items"]
    assert [e["id"] for e in json.loads(archive.read("access_log.json"))] == [e["id"] for e in log] != []
    given = chen.get("/api/v1/authorizations?direction=granted").get_json()["items"]
    assert [g["id"] for g in data("authorizations")["grants_given"]] == [g["id"] for g in given]
    inbox = {m["id"] for m in chen.get("/api/v1/messages?limit=100").get_json()["items"]}
    assert inbox - {m["id"] for m in data("messages")["messages"]} == {notice["id"]}  # the notice came after
    accounts = chen.get("/api/v1/utility-accounts").get_json()["items"]
    assert [a["id"] for a in data("payments")["utility_accounts"]] == [a["id"] for a in accounts]
    [signed_name] = [n for n in names if n.startswith("signed/")]
    assert archive.read(signed_name) == signed_pdf
    assert data("privacy")["agreements"] == []

    # Seven days on, the link is gone and the job deletes the archive.
    with app.app_context():
        db.session().execute(update(DataExport).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.session().commit()
    assert_error(chen.get(made["download_url"]), 410, "export_expired")
    assert chen.get(f"{EXPORTS}/{made['id']}").get_json()["status"] == "expired"
    with app.app_context():
        assert expire_exports.delay() is not None
        row = db.session().get(DataExport, made["id"])
        assert row.status == "expired" and row.archive is None
    assert_error(chen.get(made["download_url"]), 410, "export_expired")


def download_copy(citizen) -> zipfile.ZipFile:
    made = citizen.post(EXPORTS)
    assert made.status_code == 202 and made.get_json()["status"] == "ready", made.get_json()
    export_id = made.get_json()["id"]
    assert citizen.post(f"{EXPORTS}/{export_id}/confirmation", json={"code": step_up(citizen)}).status_code == 200
    download = citizen.get(made.get_json()["download_url"])
    assert download.status_code == 200, download.get_json()
    return zipfile.ZipFile(io.BytesIO(download.data))


def test_every_domain_of_the_copy_matches_what_the_api_shows(app, client, operator, sign_in):
    """Something in each domain the person can read through the API, then the copy: the
    same records, each as the API shows it or with the same ids and states."""
    load_catalogue(app)
    publish(operator, "terms")
    publish(operator, "privacy_policy")
    ou = sign_up(app, client, OU.phone)  # signs up first, so the grant below finds OU's account
    assert ou.post("/api/v1/me/real-name-verification", json={"name": OU.name, "id_number": OU.id_number}
                   ).status_code == 200
    chen = sign_up(app, client, CHEN.phone, "miniprogram")
    assert chen.post("/api/v1/me/real-name-verification", json={"name": CHEN.name, "id_number": CHEN.id_number}
                     ).status_code == 200
    received = create_grant(ou, {"phone": CHEN.phone}, ["licences:read"])
    assert chen.put("/api/v1/me/consents/marketing").status_code == 200
    applied = apply(chen, SERVICE, SAMPLES[SERVICE]).get_json()
    matter = operator.post("/api/v1/admin/one-stop/matters", json=matter_body(name="居住证申领", online=True))
    case = chen.post(f"{ONE_STOP}/cases", json={"matter_id": matter.get_json()["id"],
                                                 "form": {"申请人": CHEN.name, "居住地址": "桂城街道南海大道1号"}})
    assert case.status_code == 201, case.get_json()
    order = created(chen, bind(chen)["id"])
    cert = issue(chen)
    signed, _pdf = sign(chen, cert["id"], make_pdf(text="Lease"))

    archive = download_copy(chen)

    def data(name):
        return json.loads(archive.read(f"data/{name}.json"))

    assert data("one_stop")["cases"] == chen.get(f"{ONE_STOP}/cases").get_json()["items"]
    assert data("one_stop")["cases"][0]["form"]["申请人"] == CHEN.name  # unmasked, as filled in
    assert data("one_stop")["appointments"] == chen.get(f"{ONE_STOP}/appointments").get_json()["items"] == []
    shown = chen.get("/api/v1/applications").get_json()["items"]
    assert [(a["id"], a["status"]) for a in data("gov_services")["applications"]] == [
        (a["id"], a["status"]) for a in shown] == [(applied["id"], applied["status"])]
    shown = chen.get("/api/v1/payment-orders").get_json()["items"]
    assert [(o["id"], o["status"], o["amount_fen"]) for o in data("payments")["orders"]] == [
        (o["id"], o["status"], o["amount_fen"]) for o in shown] == [(order["id"], "awaiting_payment", 5000)]
    shown = chen.get("/api/v1/esign/certificates").get_json()["items"]
    assert [(c["id"], c["serial"], c["status"]) for c in data("esign")["certificates"]] == [
        (c["id"], c["serial"], c["status"]) for c in shown]
    [request] = data("esign")["signing_requests"]
    shown = chen.get(f"/api/v1/esign/signing-requests/{signed['id']}").get_json()
    assert (request["id"], request["status"], request["signed_sha256"]) == (
        shown["id"], shown["status"], shown["signed_sha256"])
    shown = chen.get("/api/v1/authorizations?direction=received").get_json()["items"]
    assert [g["id"] for g in data("authorizations")["grants_received"]] == [g["id"] for g in shown] == [
        received["id"]]
    shown = chen.get("/api/v1/me/agreements").get_json()["agreements"]
    key = ("kind", "version", "context", "channel", "client", "agreed_at")
    assert sorted(tuple(a[k] for k in key) for a in data("privacy")["agreements"]) == sorted(
        tuple(a[k] for k in key) for a in shown)
    assert {a["channel"] for a in data("privacy")["agreements"]} == {"miniprogram"}
    shown = {c["name"]: c["granted"] for c in chen.get("/api/v1/me/consents").get_json()["optional"]}
    assert {c["name"]: c["granted"] for c in data("privacy")["optional_consents"]} == {"marketing": True}
    assert shown["marketing"] is True
    me = chen.get("/api/v1/me").get_json()
    assert data("account")["account"]["id"] == me["id"] and data("account")["account"]["real_name"] == CHEN.name
