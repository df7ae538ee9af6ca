"""A delegate (代办) reads a citizen's licences only under a live licences:read grant (issue 5),
within the licence types it allows, and every read is in the grantor's access log."""

from __future__ import annotations

import pytest

from tests.support.citizens import CHEN, LI, OU, user_id, verified
from tests.support.errors import assert_error
from tests.support.grants import act_under, create_grant, expire, revoke
from tests.support.licences import LICENCES, sync, wallet

from .conftest import access_log, by_type


@pytest.fixture
def chen(sign_in):
    """The grantor, with five licences in the wallet."""
    citizen = verified(sign_in, CHEN)
    sync(citizen)
    return citizen


@pytest.fixture
def ou(sign_in):
    """The delegate: a family member acting for CHEN."""
    return verified(sign_in, OU)


def test_a_delegate_under_licences_read_sees_the_grantors_licences_and_each_read_is_logged(chen, ou):
    grant = create_grant(chen, {"phone": ou.phone}, ["licences:read"])
    acting = act_under(ou, grant["id"])
    mine = wallet(chen, "?limit=100")
    seen = wallet(acting, "?limit=100")
    assert seen == mine  # masked, as the grantor sees them
    one = acting.get(f"{LICENCES}/{mine[0]['id']}")
    assert one.status_code == 200 and one.get_json() == mine[0]

    entries = access_log(chen)
    assert len(entries) == len(mine) + 1
    for entry in entries:
        assert entry["accessor"] == {**entry["accessor"], "kind": "citizen", "id": user_id(ou)}
        assert (entry["acting_as"], entry["action"], entry["object_type"], entry["grant_id"]) == (
            "delegate", "licences:read", "licence", grant["id"])
    assert sorted(e["object_id"] for e in entries) == sorted([i["id"] for i in mine] + [mine[0]["id"]])
    assert access_log(ou) == []

    # With the personal token the delegate has no standing towards CHEN's licences.
    assert_error(ou.get(f"{LICENCES}/{mine[0]['id']}"), 404, "licence_not_found")
    assert wallet(ou) == []


def test_a_grant_limited_to_some_types_shows_only_those(chen, ou):
    grant = create_grant(chen, {"phone": ou.phone}, ["licences:read"],
                         constraints={"licence_types": ["driver_licence", "household_register"]})
    acting = act_under(ou, grant["id"])
    seen = wallet(acting, "?limit=100")
    assert sorted(i["type_code"] for i in seen) == ["driver_licence", "household_register"]
    assert wallet(acting, "?type_code=resident_id_card") == []
    card = by_type(chen, "resident_id_card")
    body = assert_error(acting.get(f"{LICENCES}/{card['id']}"), 403, "outside_grant_constraints")
    assert body["details"]["constraint"] == "licence_type"
    assert {e["object_id"] for e in access_log(chen)} == {i["id"] for i in seen}


def test_no_reads_after_the_grant_is_revoked_or_expired(app, chen, ou, sign_in):
    grant = create_grant(chen, {"phone": ou.phone}, ["licences:read"])
    acting = act_under(ou, grant["id"])
    licence = wallet(acting)[0]
    revoke(chen, grant["id"])
    assert_error(acting.get(LICENCES), 401, "authorization_ended")
    assert_error(acting.get(f"{LICENCES}/{licence['id']}"), 401, "authorization_ended")

    li = verified(sign_in, LI)
    other = create_grant(chen, {"phone": li.phone}, ["licences:read"])
    li_acting = act_under(li, other["id"])
    assert li_acting.get(f"{LICENCES}/{licence['id']}").status_code == 200
    expire(app, other["id"])
    assert_error(li_acting.get(f"{LICENCES}/{licence['id']}"), 401, "authorization_ended")
    assert_error(li.post("/api/v1/auth/act-as", json={"authorization_id": other["id"]}), 404, "authorization_not_found")
    before = len(access_log(chen))
    assert_error(li_acting.get(LICENCES), 401)
    assert len(access_log(chen)) == before


def test_a_grant_without_licences_read_shows_nothing(chen, ou):
    grant = create_grant(chen, {"phone": ou.phone}, ["gov_services:query"])
    acting = act_under(ou, grant["id"])
    assert wallet(acting) == []
    licence = wallet(chen)[0]
    assert_error(acting.get(f"{LICENCES}/{licence['id']}"), 403, "not_authorized")
    assert_error(acting.post(f"{LICENCES}/{licence['id']}/presentations", json={"fields": ["sex"]}), 403)
    assert access_log(chen) == []


def test_a_page_logs_only_the_licences_it_shows(chen, ou):
    grant = create_grant(chen, {"phone": ou.phone}, ["licences:read"])
    acting = act_under(ou, grant["id"])
    page = acting.get(f"{LICENCES}?limit=2").get_json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert sorted(e["object_id"] for e in access_log(chen)) == sorted(i["id"] for i in page["items"])
