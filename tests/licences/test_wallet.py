"""The wallet (issue 5): pulling licences from the library, what changed, reading them masked.

The sandbox licence library holds the demo licences, each signed by its issuer; one of
them (何俊杰's driver licence) was tampered with after signing. Tests change licences at
the library through its control endpoint and pull again.
"""

from __future__ import annotations

import json
from datetime import timedelta

import requests
from sqlalchemy import func, select
from sqlalchemy import text as sql

from integrations.licence_library import LICENCE_TYPES
from integrations.sandbox.licence_data import LICENCES as DEMO_LICENCES
from nanhaitong import db
from nanhaitong.licences.models import Licence
from nanhaitong.timeutil import china_today
from tests.support.audit import audit_rows, details
from tests.support.citizens import CHEN, HE, HUANG, citizen_at, user_id, verified
from tests.support.errors import assert_error
from tests.support.licences import LICENCES, sync, wallet

from .conftest import TAMPERED_CODE, by_type, library_change, library_drop


def demo_codes(person) -> set[str]:
    return {d.code for d in DEMO_LICENCES if d.holder_kind == "citizen" and d.holder_id == person.id_number}


def stored_count(app) -> int:
    with app.app_context():
        return db.session().scalar(select(func.count()).select_from(Licence))


# -- sync ------------------------------------------------------------------------------

def test_a_verified_citizen_syncs_and_sees_the_added_licences(app, sign_in):
    chen = verified(sign_in, CHEN)
    assert wallet(chen) == []
    result = sync(chen)
    assert set(result["added"]) == demo_codes(CHEN) and len(result["added"]) == 5
    assert (result["updated"], result["withdrawn"], result["unchanged"], result["refused"]) == ([], [], [], [])

    listed = wallet(chen, "?limit=100")
    assert {item["code"] for item in listed} == demo_codes(CHEN)
    for item in listed:
        assert item["holder_kind"] == "citizen" and item["status"] == "valid" and item["revealed"] is False
        assert item["type_name"] == LICENCE_TYPES[item["type_code"]].name
        assert item["code"].startswith(f"{item['issuer_code']}-{item['type_code']}-")
        assert len(item["id"]) == 26 and item["fetched_at"].endswith("Z")
    [event] = audit_rows(app, "licence.synced")
    assert event.on_behalf_of == f"citizen:{user_id(chen)}"
    assert details(event) == {"added": 5, "updated": 0, "withdrawn": 0, "unchanged": 0, "refused": 0}


def test_a_second_sync_changes_nothing(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    before = wallet(chen, "?limit=100")
    again = sync(chen)
    assert set(again["unchanged"]) == demo_codes(CHEN)
    assert (again["added"], again["updated"], again["withdrawn"], again["refused"]) == ([], [], [], [])
    after = wallet(chen, "?limit=100")
    assert [(i["id"], i["fetched_at"]) for i in after] == [(i["id"], i["fetched_at"]) for i in before]
    assert stored_count(app) == 5


def test_the_tampered_licence_is_refused_never_stored_and_audited(app, sign_in):
    he = verified(sign_in, HE)
    result = sync(he)
    assert result["refused"] == [{"code": TAMPERED_CODE, "reason": "bad_signature"}]
    assert set(result["added"]) == demo_codes(HE) - {TAMPERED_CODE} and len(result["added"]) == 2
    assert TAMPERED_CODE not in {item["code"] for item in wallet(he)}
    assert wallet(he, "?type_code=driver_licence") == []
    with app.app_context():
        assert db.session().execute(select(Licence).where(Licence.code == TAMPERED_CODE)).first() is None

    [refused] = audit_rows(app, "licence.refused")
    assert (refused.result, refused.object_type, refused.object_id) == ("denied", "licence", TAMPERED_CODE)
    assert refused.on_behalf_of == f"citizen:{user_id(he)}" and details(refused) == {"reason": "bad_signature"}
    assert HE.id_number not in json.dumps([refused.details, refused.object_id])

    again = sync(he)  # still refused, still not stored
    assert again["refused"] == [{"code": TAMPERED_CODE, "reason": "bad_signature"}] and again["added"] == []
    assert len(audit_rows(app, "licence.refused")) == 2


def test_a_stored_licence_later_failing_its_signature_is_withdrawn_not_overwritten(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    marriage = by_type(chen, "marriage_certificate")
    library_change(app, marriage["code"], fields={"registration_date": "2001-01-01"}, sign=False)
    result = sync(chen)
    assert result["refused"] == [{"code": marriage["code"], "reason": "bad_signature"}]
    assert result["withdrawn"] == [marriage["code"]]
    assert marriage["code"] not in {item["code"] for item in wallet(chen, "?limit=100")}
    assert_error(chen.get(f"{LICENCES}/{marriage['id']}"), 404, "licence_not_found")
    with app.app_context():
        row = db.session().get(Licence, marriage["id"])
        assert json.loads(row.fields)["registration_date"] == "2016-10-08"  # the tampered value never stored

    library_change(app, marriage["code"], fields={"registration_date": "2016-10-08"})  # signed again
    back = sync(chen)
    assert back["updated"] == [marriage["code"]] and back["refused"] == []
    assert chen.get(f"{LICENCES}/{marriage['id']}").status_code == 200


def test_a_licence_the_library_revokes_shows_as_updated_and_revoked(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    licence = by_type(chen, "driver_licence")
    library_change(app, licence["code"], status="revoked")
    result = sync(chen)
    assert result["updated"] == [licence["code"]]
    assert set(result["unchanged"]) == demo_codes(CHEN) - {licence["code"]}
    shown = chen.get(f"{LICENCES}/{licence['id']}")
    assert shown.status_code == 200 and shown.get_json()["status"] == "revoked"
    assert shown.get_json()["id"] == licence["id"]  # the same wallet entry, changed
    assert sync(chen)["updated"] == []  # and pulling again changes nothing more


def test_a_licence_whose_validity_the_library_changes_shows_the_new_dates(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    card = by_type(chen, "social_security_card")
    library_change(app, card["code"], valid_until="2043-04-11")
    assert sync(chen)["updated"] == [card["code"]]
    assert chen.get(f"{LICENCES}/{card['id']}").get_json()["valid_until"] == "2043-04-11"

    yesterday = (china_today() - timedelta(days=1)).isoformat()
    library_change(app, card["code"], valid_until=yesterday)
    assert sync(chen)["updated"] == [card["code"]]
    shown = chen.get(f"{LICENCES}/{card['id']}").get_json()
    assert (shown["valid_until"], shown["status"]) == (yesterday, "expired")
    assert [item["id"] for item in wallet(chen, "?status=expired")] == [card["id"]]


def test_a_licence_the_library_drops_is_withdrawn(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    card = by_type(chen, "social_security_card")
    library_drop(app, card["code"])
    assert sync(chen)["withdrawn"] == [card["code"]]
    assert_error(chen.get(f"{LICENCES}/{card['id']}"), 404, "licence_not_found")
    assert len(wallet(chen, "?limit=100")) == 4
    assert sync(chen)["withdrawn"] == []  # withdrawn once


def test_syncing_needs_a_verified_real_name(app, sign_in):
    stranger, _ = citizen_at(sign_in, level=1)
    assert_error(stranger.post(f"{LICENCES}/sync"), 403, "assurance_level_required")
    # Level 2 but no ID number on file (raised by hand): the library cannot be asked.
    raised, _ = citizen_at(sign_in, level=2)
    assert_error(raised.post(f"{LICENCES}/sync"), 403, "assurance_level_required")
    assert_error(stranger.client.post(f"{LICENCES}/sync"), 401)
    assert stored_count(app) == 0


def test_a_library_outage_is_an_upstream_error_not_a_500(app, sign_in):
    chen = verified(sign_in, CHEN)
    fault = requests.post(f"{app.config['SANDBOX_URL']}/_control/faults", timeout=5,
                          json={"path_prefix": "/elic/v1/holders/", "status": 503, "times": 5})
    assert fault.status_code == 201, fault.text
    answer = chen.post(f"{LICENCES}/sync")
    assert answer.status_code in (502, 503, 504), answer.get_json()
    assert CHEN.id_number not in answer.get_data(as_text=True)
    assert wallet(chen) == []


# -- reading ---------------------------------------------------------------------------

def test_list_filters_by_type_and_status(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    assert [i["type_code"] for i in wallet(chen, "?type_code=driver_licence")] == ["driver_licence"]
    assert wallet(chen, "?type_code=business_licence") == []
    assert len(wallet(chen, "?status=valid&limit=100")) == 5 and wallet(chen, "?status=revoked") == []

    marriage = by_type(chen, "marriage_certificate")
    library_change(app, marriage["code"], status="revoked")
    sync(chen)
    assert [i["id"] for i in wallet(chen, "?status=revoked")] == [marriage["id"]]
    assert marriage["id"] not in [i["id"] for i in wallet(chen, "?status=valid&limit=100")]
    assert wallet(chen, "?status=revoked&type_code=driver_licence") == []

    for query in ("?status=bogus", "?limit=0", "?limit=101", "?type_code=", "?cursor=" + "x" * 27):
        body = assert_error(chen.get(LICENCES + query), 422, "validation_failed")
        assert body["details"]["fields"], query


def test_list_pages_with_a_cursor(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    everything = [item["id"] for item in wallet(chen, "?limit=100")]
    seen, cursor, pages = [], None, 0
    while True:
        answer = chen.get(f"{LICENCES}?limit=2" + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert len(body["items"]) <= 2
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and seen == everything and len(set(seen)) == 5
    # The type filter pages too.
    assert chen.get(f"{LICENCES}?limit=1&type_code=driver_licence").get_json()["next_cursor"] is None


def test_get_one_and_others_cannot_see_it(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    [listed] = wallet(chen, "?type_code=resident_id_card")
    answer = chen.get(f"{LICENCES}/{listed['id']}")
    assert answer.status_code == 200 and answer.get_json() == listed
    huang = verified(sign_in, HUANG)
    assert_error(huang.get(f"{LICENCES}/{listed['id']}"), 404, "licence_not_found")
    assert_error(chen.get(f"{LICENCES}/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "licence_not_found")
    assert_error(chen.client.get(f"{LICENCES}/{listed['id']}"), 401)
    assert huang.get(LICENCES).get_json()["items"] == []  # HUANG never synced: nothing of CHEN's


def test_responses_mask_the_holder_name_number_and_sensitive_fields(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    listed = wallet(chen, "?limit=100")
    with app.app_context():
        stored = {row.id: row for row in db.session().execute(select(Licence)).scalars()}
        plain = {i: (row.holder_name, row.number, json.loads(row.fields)) for i, row in stored.items()}
    for item in listed:
        holder_name, number, fields = plain[item["id"]]
        assert holder_name == CHEN.name
        assert item["holder_name"] == "陈**" and item["holder_name"] != holder_name
        assert item["number"] != number and item["number"][0] == number[0] and "*" in item["number"]
        sensitive = LICENCE_TYPES[item["type_code"]].sensitive_fields
        assert set(item["fields"]) == set(fields)
        for name, value in fields.items():
            if name in sensitive:
                assert item["fields"][name] != value and "*" in item["fields"][name], (item["type_code"], name)
            else:
                assert item["fields"][name] == value
    text = json.dumps(listed, ensure_ascii=False)
    assert CHEN.id_number not in text and "1985-03-12" not in text
    assert "6212262002012345678" not in text and "罗晓琳" not in text  # bank account, spouse


def test_personal_data_is_encrypted_at_rest(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    with app.app_context():
        raw = db.session().execute(sql("SELECT holder_name, number, fields FROM licences")).all()
    dump = json.dumps([list(row) for row in raw], ensure_ascii=False)
    assert CHEN.name not in dump and CHEN.id_number not in dump and "怡翠花园" not in dump


def test_the_holders_name_appears_nowhere_in_a_masked_licence(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    text = json.dumps(wallet(chen, "?limit=100"), ensure_ascii=False)
    assert CHEN.name not in text


def age(app, licence_id: str, valid_until: str) -> None:
    """Let time pass for a stored licence: its valid_until moves (as the calendar would move past it)."""
    with app.app_context():
        db.session().get(Licence, licence_id).valid_until = valid_until
        db.session().commit()


def test_a_licence_that_ran_out_since_it_was_pulled_is_listed_as_expired(app, sign_in):
    chen = verified(sign_in, CHEN)
    sync(chen)
    card = by_type(chen, "social_security_card")
    age(app, card["id"], (china_today() - timedelta(days=1)).isoformat())
    assert chen.get(f"{LICENCES}/{card['id']}").get_json()["status"] == "expired"
    assert card["id"] not in [i["id"] for i in wallet(chen, "?status=valid&limit=100")]
    assert [i["id"] for i in wallet(chen, "?status=expired")] == [card["id"]]
