"""Targeting: each rule matches and excludes the right enterprises, the fan-out's SQL and
the per-enterprise explanation agree, and an enterprise sees why a policy is meant for it."""

from __future__ import annotations

import random
from datetime import date

import pytest
from sqlalchemy import select

from nanhaitong import db
from nanhaitong.messages.models import Message
from nanhaitong.policy_push import fanout, rules, service
from nanhaitong.timeutil import china_today
from tests.support.citizens import CHEN, HUANG, citizen_at, verified
from tests.support.enterprises import GUICHENG, SHISHAN, act_for, registered
from tests.support.errors import assert_error
from tests.support.policies import create, make_enterprises, published

from .conftest import give_licence


def years_ago(years: int, days: int = 0) -> str:
    today = china_today()
    return date(today.year - years, today.month, min(today.day, 28)).fromordinal(
        date(today.year - years, today.month, min(today.day, 28)).toordinal() + days).isoformat()


WORLD = {
    "metal_shishan_medium": dict(industry_code="C3311", size="medium", town="狮山镇", registered_on=years_ago(12)),
    "metal_dali_micro": dict(industry_code="C3360", size="micro", town="大沥镇", registered_on=years_ago(2)),
    "software_guicheng_small": dict(industry_code="I6513", size="small", town="桂城街道", registered_on=years_ago(5)),
    "fish_jiujiang_micro": dict(industry_code="A0412", size="micro", town="九江镇", registered_on=years_ago(8)),
    "appliance_danzao_large": dict(industry_code="C3854", size="large", town="丹灶镇", registered_on=years_ago(1)),
    "unknown_attributes": dict(industry_code=None, size=None, town=None, registered_on=None),
}


@pytest.fixture
def world(app):
    ids = make_enterprises(app, list(WORLD.values()))
    return dict(zip(WORLD, ids))


def matched(app, world, policy_rules) -> set[str]:
    """Names of the enterprises the fan-out's query selects for ``policy_rules``."""
    with app.app_context():
        ids = set(db.session().execute(service.matching_enterprise_ids(rules.normalise(policy_rules))).scalars())
    return {name for name, ident in world.items() if ident in ids}


@pytest.mark.parametrize("policy_rules, expected", [
    ({}, set(WORLD)),
    ({"industry_codes": ["C33"]}, {"metal_shishan_medium", "metal_dali_micro"}),
    ({"industry_codes": ["C3311"]}, {"metal_shishan_medium"}),
    ({"industry_codes": ["C"]}, {"metal_shishan_medium", "metal_dali_micro", "appliance_danzao_large"}),
    ({"industry_codes": ["C33", "A04"]}, {"metal_shishan_medium", "metal_dali_micro", "fish_jiujiang_micro"}),
    ({"industry_codes": ["C331"]}, {"metal_shishan_medium"}),  # C3360 is not under C331
    ({"sizes": ["micro", "small"]}, {"metal_dali_micro", "software_guicheng_small", "fish_jiujiang_micro"}),
    ({"towns": ["狮山镇", "九江镇"]}, {"metal_shishan_medium", "fish_jiujiang_micro"}),
    ({"towns": ["西樵镇"]}, set()),
    ({"min_registration_years": 5}, {"metal_shishan_medium", "software_guicheng_small", "fish_jiujiang_micro"}),
    ({"max_registration_years": 2}, {"metal_dali_micro", "appliance_danzao_large"}),
    ({"min_registration_years": 2, "max_registration_years": 8},
     {"metal_dali_micro", "software_guicheng_small", "fish_jiujiang_micro"}),
    ({"industry_codes": ["C33"], "sizes": ["micro"]}, {"metal_dali_micro"}),
    ({"industry_codes": ["C"], "towns": ["丹灶镇"], "max_registration_years": 3}, {"appliance_danzao_large"}),
    ({"industry_codes": ["C33"], "towns": ["桂城街道"]}, set()),
])
def test_each_rule_and_combination_matches_and_excludes_the_right_enterprises(app, world, policy_rules, expected):
    assert matched(app, world, policy_rules) == expected
    # The explanation says the same, enterprise by enterprise.
    today = china_today()
    for name, attributes in WORLD.items():
        assert rules.explain(rules.normalise(policy_rules), attributes, set(), today)["matches"] == (name in expected)


def test_registration_age_counts_full_years_at_the_boundary(app):
    today = china_today()
    exactly_three = date(today.year - 3, today.month, today.day).isoformat() if not (
        today.month == 2 and today.day == 29) else date(today.year - 3, 2, 28).isoformat()
    a_day_short = date.fromordinal(date.fromisoformat(exactly_three).toordinal() + 1).isoformat()
    ids = make_enterprises(app, [dict(registered_on=exactly_three), dict(registered_on=a_day_short)])
    world = dict(zip(("three", "short"), ids))
    assert matched(app, world, {"min_registration_years": 3}) == {"three"}
    assert matched(app, world, {"max_registration_years": 2}) == {"short"}
    assert rules.registration_age(exactly_three, today) == 3 and rules.registration_age(a_day_short, today) == 2


def test_licences_held_count_only_when_valid(app, world):
    give_licence(app, world["metal_shishan_medium"], "food_business_permit")
    give_licence(app, world["metal_dali_micro"], "food_business_permit", status="revoked")
    give_licence(app, world["fish_jiujiang_micro"], "food_business_permit", valid_until="2020-01-01")  # expired
    give_licence(app, world["software_guicheng_small"], "construction_permit")
    assert matched(app, world, {"licence_types": ["food_business_permit"]}) == {"metal_shishan_medium"}
    assert matched(app, world, {"licence_types": ["food_business_permit", "construction_permit"]}) == {
        "metal_shishan_medium", "software_guicheng_small"}
    assert matched(app, world, {"licence_types": ["food_business_permit"], "sizes": ["small"]}) == set()


def test_the_batch_path_agrees_with_the_explanation_on_2000_enterprises(app, editor, monkeypatch):
    """The fan-out (SQL, keyset pages) sends exactly to those the explanation says match."""
    rng = random.Random(10)
    prefixes = ["C3311", "C3360", "C3854", "I6513", "A0412", "F5123", "C1713", "E4813", None]
    rows = [dict(industry_code=rng.choice(prefixes), size=rng.choice(rules.SIZES + (None,)),
                 town=rng.choice(rules.TOWNS + (None,)),
                 registered_on=years_ago(rng.randint(0, 30), rng.randint(-200, 200)) if rng.random() > 0.05 else None)
            for _ in range(2000)]
    ids = make_enterprises(app, rows)
    holders = set(rng.sample(ids, 300))
    for ident in holders:
        give_licence(app, ident, "food_business_permit")
    policy_rules = {"industry_codes": ["C33", "C1"], "sizes": ["micro", "small", "medium"],
                    "towns": ["狮山镇", "大沥镇", "里水镇", "西樵镇"], "min_registration_years": 2,
                    "max_registration_years": 20}
    today = china_today()
    expected = {ident for ident, row in zip(ids, rows)
                if rules.explain(rules.normalise(policy_rules), row, set(), today)["matches"]}
    with_licence = {ident for ident, row in zip(ids, rows) if rules.explain(
        rules.normalise({**policy_rules, "licence_types": ["food_business_permit"]}), row,
        {"food_business_permit"} if ident in holders else set(), today)["matches"]}
    assert 50 < len(expected) < 1500 and 0 < len(with_licence) < len(expected)

    pages = []
    real = fanout.messages.notify_enterprises
    monkeypatch.setattr(fanout, "BATCH", 97)  # many pages, so the keyset paging is exercised
    monkeypatch.setattr(fanout.messages, "notify_enterprises", lambda ids, **kw: pages.append(len(ids)) or real(ids, **kw))
    first = published(editor, rules=policy_rules)
    second = published(editor, title="食品经营企业补贴", rules={**policy_rules, "licence_types": ["food_business_permit"]})
    assert max(pages) == 97 and sum(pages) == len(expected) + len(with_licence)
    with app.app_context():
        for policy, want in ((first, expected), (second, with_licence)):
            got = set(db.session().execute(select(Message.recipient_id).where(
                Message.recipient_kind == "enterprise", Message.dedupe_key == f"policy:{policy['id']}:v1")).scalars())
            assert got == want
            [run] = policy["fanouts"]
            assert (run["status"], run["total"], run["matched"], run["processed"], run["delivered"]) == (
                "done", 2000, len(want), len(want), len(want))


def test_an_enterprise_sees_which_policies_match_and_why(app, sign_in, editor):
    chen = verified(sign_in, CHEN)
    guicheng = registered(chen, GUICHENG)  # I6513, small, 桂城街道, 2016
    huang = verified(sign_in, HUANG)
    shishan = registered(huang, SHISHAN)  # C3311, medium, 狮山镇, 2009; holds a food business permit
    assert act_for(huang, shishan).post("/api/v1/licences/sync").status_code == 200

    software = published(editor, title="软件企业补贴", rules={"industry_codes": ["I65"], "towns": ["桂城街道"]})
    canteen = published(editor, title="食堂升级补贴", rules={"licence_types": ["food_business_permit"],
                                                          "min_registration_years": 10})
    everyone = published(editor, title="普惠政策")
    draft = create(editor, title="草稿政策")

    answer = chen.get(f"/api/v1/enterprises/{guicheng}/policy-matches")
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["enterprise"]["industry_code"] == "I6513" and body["enterprise"]["town"] == "桂城街道"
    assert [m["policy"]["id"] for m in body["items"]] == [everyone["id"], software["id"]]
    reasons = {r["rule"]: r for r in body["items"][1]["rules"]}
    assert reasons["industry_codes"] == {"rule": "industry_codes", "required": ["I65"], "value": "I6513",
                                         "matched": True, "matched_by": ["I65"]}
    assert reasons["towns"]["value"] == "桂城街道" and reasons["towns"]["matched"]
    assert body["items"][0]["rules"] == []  # no rule: meant for every enterprise

    mine = act_for(huang, shishan).get(f"/api/v1/enterprises/{shishan}/policy-matches").get_json()
    assert [m["policy"]["id"] for m in mine["items"]] == [everyone["id"], canteen["id"]]
    assert "food_business_permit" in mine["enterprise"]["licence_types"]
    licence_rule = next(r for r in mine["items"][1]["rules"] if r["rule"] == "licence_types")
    assert licence_rule["value"] == ["food_business_permit"] and licence_rule["matched"]
    assert draft["id"] not in {m["policy"]["id"] for m in mine["items"]}

    # Withdrawn policies no longer match; outsiders see no enterprise at all.
    editor.post(f"/api/v1/admin/policies/{everyone['id']}/withdraw")
    assert [m["policy"]["id"] for m in chen.get(
        f"/api/v1/enterprises/{guicheng}/policy-matches").get_json()["items"]] == [software["id"]]
    stranger, _ = citizen_at(sign_in)
    assert_error(stranger.get(f"/api/v1/enterprises/{guicheng}/policy-matches"), 404, "enterprise_not_found")
    assert_error(chen.get(f"/api/v1/enterprises/{shishan}/policy-matches"), 404, "enterprise_not_found")
