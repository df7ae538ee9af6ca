"""Drafting, publishing, amending and withdrawing policies; who may; what the public sees."""

from __future__ import annotations

import pytest

from tests.support.audit import audit_rows, details
from tests.support.citizens import citizen_at
from tests.support.errors import assert_error
from tests.support.policies import ADMIN, create, policy_body, publish
from tests.support.settings import NO_SUCH_ID
from tests.support.staff import create_staff, sign_in_staff

from .conftest import PUBLIC


def test_a_draft_is_hidden_until_published_then_public(app, client, editor):
    draft = create(editor)
    assert (draft["status"], draft["current_version"], draft["latest_version"]) == ("draft", None, 1)
    assert draft["versions"][0]["state"] == "draft"
    assert_error(client.get(f"{PUBLIC}/{draft['id']}"), 404, "policy_not_found")
    assert client.get(PUBLIC).get_json()["items"] == []

    done = publish(editor, draft["id"])
    assert (done["status"], done["current_version"]) == ("published", 1)
    shown = client.get(f"{PUBLIC}/{draft['id']}").get_json()
    assert shown["title"] == "南海区企业研发费用补贴" and shown["version"] == 1
    assert shown["max_amount_fen"] == 50_000_000 and shown["published_at"].endswith("Z")
    assert [p["id"] for p in client.get(PUBLIC).get_json()["items"]] == [draft["id"]]
    actions = [e.action for e in audit_rows(app, prefix="policy_push.")]
    assert actions[:2] == ["policy_push.drafted", "policy_push.published"]


def test_amending_a_published_policy_drafts_the_next_version_and_the_published_one_never_changes(client, editor):
    policy = create(editor)
    publish(editor, policy["id"])
    amended = editor.put(f"{ADMIN}/{policy['id']}", json=policy_body(title="南海区企业研发费用补贴（修订）"))
    assert amended.status_code == 200, amended.get_json()
    amended = amended.get_json()
    assert [(v["version"], v["state"]) for v in amended["versions"]] == [(1, "published"), (2, "draft")]
    assert client.get(f"{PUBLIC}/{policy['id']}").get_json()["title"] == "南海区企业研发费用补贴"

    # Saving again changes the draft, not version 1.
    editor.put(f"{ADMIN}/{policy['id']}", json=policy_body(title="修订二稿"))
    assert client.get(f"{PUBLIC}/{policy['id']}").get_json()["version"] == 1
    done = publish(editor, policy["id"])
    assert [(v["version"], v["state"]) for v in done["versions"]] == [(1, "superseded"), (2, "published")]
    shown = client.get(f"{PUBLIC}/{policy['id']}").get_json()
    assert (shown["version"], shown["title"]) == (2, "修订二稿")


def test_withdrawing_hides_the_policy(client, editor):
    policy = create(editor)
    publish(editor, policy["id"])
    answer = editor.post(f"{ADMIN}/{policy['id']}/withdraw")
    assert answer.status_code == 200 and answer.get_json()["status"] == "withdrawn"
    assert_error(client.get(f"{PUBLIC}/{policy['id']}"), 404, "policy_not_found")
    assert client.get(PUBLIC).get_json()["items"] == []
    assert_error(editor.post(f"{ADMIN}/{policy['id']}/withdraw"), 409, "policy_not_published")
    # Publishing again brings the same version back.
    assert publish(editor, policy["id"])["status"] == "published"
    assert client.get(f"{PUBLIC}/{policy['id']}").status_code == 200


@pytest.mark.parametrize("rules, field", [
    ({"industry": ["C33"]}, "industry"),
    ({"industry_codes": ["c33"]}, "industry_codes"),
    ({"industry_codes": ["C33%"]}, "industry_codes"),
    ({"industry_codes": "C33"}, "industry_codes"),
    ({"sizes": ["huge"]}, "sizes"),
    ({"towns": ["禅城区"]}, "towns"),
    ({"min_registration_years": -1}, "min_registration_years"),
    ({"min_registration_years": "3"}, "min_registration_years"),
    ({"min_registration_years": 5, "max_registration_years": 2}, "max_registration_years"),
    ({"licence_types": ["Food Permit"]}, "licence_types"),
])
def test_bad_rules_are_422_naming_the_rule(editor, rules, field):
    body = assert_error(editor.post(ADMIN, json=policy_body(rules=rules)), 422, "validation_failed")
    assert field in body["details"]["fields"]["rules"], body


def test_bad_content_is_422_and_nothing_is_written(editor):
    for broken in ({"category": "lottery"}, {"apply_until": "2026-13-01"}, {"max_amount_fen": 1.5},
                   {"apply_from": "2027-01-01", "apply_until": "2026-01-01"}, {"colour": "red"}):
        assert_error(editor.post(ADMIN, json=policy_body(**broken)), 422, "validation_failed")
    assert editor.get(ADMIN).get_json()["items"] == []
    assert_error(editor.client.post(ADMIN, data="not json", headers={**editor.headers, "Content-Type": "text/plain"}),
                 415)


def test_only_policy_editors_edit(app, client, sign_in, editor):
    policy = create(editor)
    create_staff(app, "13900139012", "operator")
    operator = sign_in_staff(app, client, "13900139012")
    assert_error(operator.post(ADMIN, json=policy_body()), 403, "staff_role_required")
    assert_error(operator.post(f"{ADMIN}/{policy['id']}/publish"), 403, "staff_role_required")
    citizen, _ = citizen_at(sign_in)
    assert_error(citizen.post(ADMIN, json=policy_body()), 401)
    assert_error(client.get(ADMIN), 401)
    assert_error(editor.get(f"{ADMIN}/{NO_SUCH_ID}"), 404, "policy_not_found")


def test_every_change_is_audited_without_the_text(app, editor):
    policy = create(editor)
    editor.put(f"{ADMIN}/{policy['id']}", json=policy_body(title="二稿"))
    publish(editor, policy["id"])
    editor.put(f"{ADMIN}/{policy['id']}", json=policy_body(title="修订"))
    publish(editor, policy["id"])
    editor.post(f"{ADMIN}/{policy['id']}/withdraw")
    events = audit_rows(app, prefix="policy_push.")
    assert [e.action for e in events if e.action != "policy_push.fanout_finished"] == [
        "policy_push.drafted", "policy_push.draft_saved", "policy_push.published", "policy_push.amended",
        "policy_push.published", "policy_push.withdrawn"]
    assert all(e.object_id == policy["id"] for e in events)
    assert [details(e)["version"] for e in events if e.action == "policy_push.published"] == [1, 2]
    assert all(e.actor.startswith("staff:") for e in events if e.action != "policy_push.fanout_finished")


def test_demo_seed_publishes_the_demo_policies_once(app, runner, client):
    import json

    first = json.loads(runner.invoke(args=["demo", "seed"]).output)
    assert len(first["policies_published"]) == 2
    assert json.loads(runner.invoke(args=["demo", "seed"]).output)["policies_published"] == []
    titles = [p["title"] for p in client.get(PUBLIC, query_string={"q": "补贴"}).get_json()["items"]]
    assert sorted(titles) == sorted(first["policies_published"])
    assert audit_rows(app, "policy_push.published")[0].actor == "system:demo-seed"
