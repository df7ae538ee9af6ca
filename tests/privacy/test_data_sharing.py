"""What was shared (issue 23): every third party that received a person's data (a
delegate, a verifier, a partner platform, staff), which fields, when and under which
grant or consent, generated from the real records; and the collection list as data."""

from __future__ import annotations

import pytest

from nanhaitong import db
from nanhaitong.authorizations.decide import Resource, record_access
from nanhaitong.kernel import Principal
from tests.support.citizens import CHEN, HUANG, LI, OU, user_id, verified
from tests.support.grants import act_under, create_grant
from tests.support.licences import present, sync, verify, wallet
from tests.support.partners import Receiver, code_flow, register

SHARING = "/api/v1/me/data-sharing"


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def test_every_recipient_with_its_fields_and_basis(app, client, live_server, operator, sign_in, receiver):
    chen = verified(sign_in, CHEN)
    sync(chen)
    licence = wallet(chen, "?limit=100")[0]

    # A delegate reads the wallet under a grant.
    ou = verified(sign_in, OU)
    delegation = create_grant(chen, {"phone": ou.phone}, ["licences:read"])
    assert act_under(ou, delegation["id"]).get(f"/api/v1/licences/{licence['id']}").status_code == 200
    # A verifier checks a presentation that discloses only the holder's name.
    shown = present(chen, licence["id"], ["holder_name"])
    huang = verified(sign_in, HUANG)
    assert verify(huang, shown["token"])["valid"] is True
    # A partner platform reads the profile under the person's consent.
    partner = register(operator, webhook_url=receiver.url)
    session, _ = code_flow(app, live_server, partner, CHEN.phone, scope="openid profile:read")
    assert session.get(f"{live_server.url}/open/v1/userinfo", timeout=10).status_code == 200
    # ... and, the consent withdrawn in one call, is told so by webhook (the pairwise subject).
    [consent] = chen.get("/api/v1/me/consents").get_json()["partners"]
    withdrawn = chen.delete(f"/api/v1/me/consents/partners/{consent['grant_id']}")
    assert withdrawn.status_code == 200 and withdrawn.get_json()["partners"] == []
    assert session.get(f"{live_server.url}/open/v1/userinfo", timeout=10).status_code == 401
    assert len(receiver.received) == 1
    # A service-centre clerk looks the person up (recorded as every staff lookup is).
    with app.test_request_context():
        record_access(Resource("profile", "citizen", user_id(chen), user_id(chen)),
                      accessor=Principal(kind="staff", account_id="01ARZ3NDEKTSV4RRFFQ69G5FAV", session_id="-",
                                         audience="staff", assurance_level=3, role="operator"),
                      acting_as="staff", action="profile:read")
        db.session().commit()

    answer = chen.get(SHARING)
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    by_role = {}
    for item in body["disclosures"]:
        by_role.setdefault(item["recipient_role"], []).append(item)
        assert item["at"].endswith("Z")
    assert set(by_role) == {"delegate", "verifier", "partner", "staff"}

    [read] = by_role["delegate"]
    assert read["recipient"]["id"] == user_id(ou) and "*" in read["recipient"]["display"]
    assert read["action"] == "licences:read" and read["object_id"] == licence["id"]
    assert "licence.number" in read["fields"]
    assert read["basis"] == {"kind": "delegation", "id": delegation["id"], "scopes": ["licences:read"],
                             "purpose": delegation["purpose"], "status": "active"}

    [check] = by_role["verifier"]
    assert check["recipient"]["id"] == user_id(huang)
    assert check["fields"] == ["licence.holder_name"]  # what the presentation disclosed, no more
    assert check["basis"]["kind"] == "presentation" and check["basis"]["id"] == shown["id"]

    webhook, profile = by_role["partner"]  # newest first
    assert profile["recipient"] == {"kind": "partner", "id": partner["id"], "display": partner["name"]}
    assert profile["action"] == "profile:read" and "real_name" in profile["fields"]
    assert profile["basis"]["kind"] == "consent" and profile["basis"]["scopes"] == ["profile:read"]
    assert profile["basis"]["id"] == consent["grant_id"] and profile["basis"]["status"] == "revoked"
    assert webhook["action"] == "webhook:consent.revoked" and webhook["recipient"] == profile["recipient"]
    assert webhook["fields"] == ["pairwise_subject", "consent_id"] and webhook["basis"]["id"] == consent["grant_id"]

    [lookup] = by_role["staff"]
    assert lookup["basis"]["kind"] == "staff_duty"

    grants = {g["id"]: g for g in body["grants"]}
    assert grants[delegation["id"]]["kind"] == "delegation"
    assert grants[profile["basis"]["id"]]["grantee"]["display"] == partner["name"]
    assert any(item["category"] == "身份信息" for item in body["collection_list"])

    # Pages: newest first, the cursor continues where the page ended.
    first = chen.get(f"{SHARING}?limit=2").get_json()
    rest = chen.get(f"{SHARING}?limit=50&cursor={first['next_cursor']}").get_json()
    assert [d["id"] for d in first["disclosures"] + rest["disclosures"]] == [d["id"] for d in body["disclosures"]]
    assert rest["next_cursor"] is None

    # Nobody else's: another citizen sees only their own (nothing).
    li = sign_in(LI.phone)
    assert li.get(SHARING).get_json()["disclosures"] == []


def test_the_collection_list_is_public_data(client):
    answer = client.get("/api/v1/personal-information/collection-list")
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert {"手机号码", "居民身份证号码"} <= {name for item in items for name in item["items"]}
    assert all(item["purpose"] and item["retention"] for item in items)
