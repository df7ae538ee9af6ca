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
from tests.support.grants import act_under, create_grant
from tests.support.licences import sync, wallet
from tests.support.payments import bind

EXPORTS = "/api/v1/me/data-exports"


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
