"""Chinese full-text search over published policies: 补贴 finds the documents holding the
word, not those that merely hold its characters; most relevant first; pages."""

from __future__ import annotations

import pytest

from tests.support.errors import assert_error
from tests.support.policies import ADMIN, create, policy_body, publish, published

from .conftest import PUBLIC

NEUTRAL = dict(summary="政策解读见正文。", eligibility="南海区企业。", amount_note=None, how_to_apply="线上办理。",
               issuer="佛山市南海区人民政府")


def ids(client, **params) -> list[str]:
    answer = client.get(PUBLIC, query_string=params)
    assert answer.status_code == 200, answer.get_json()
    return [p["id"] for p in answer.get_json()["items"]]


@pytest.fixture
def library(editor):
    docs = {
        "rnd": published(editor, title="研发费用补贴申报指南", body="企业研发投入补贴，补贴比例10%。", **NEUTRAL)["id"],
        "talent": published(editor, title="南海区人才安居办法", category="talent",
                            body="高层次人才可申请住房补贴。", **NEUTRAL)["id"],
        # holds 补 and 贴 but never the word 补贴
        "loan": published(editor, title="中小企业贷款贴息", category="finance",
                          body="补充流动资金贷款，给予贴息支持。", **NEUTRAL)["id"],
        "tax": published(editor, title="小微企业税收减免", category="tax_relief",
                         body="Eligible SMEs may deduct R&D costs; 加计扣除比例100%。", **NEUTRAL)["id"],
    }
    docs["draft"] = create(editor, title="草稿：补贴政策", body="补贴", **NEUTRAL)["id"]
    return docs


def test_a_chinese_word_finds_the_documents_holding_it_and_no_others(client, library):
    found = ids(client, q="补贴")
    assert set(found) == {library["rnd"], library["talent"]}
    assert found[0] == library["rnd"]  # 补贴 three times beats once
    assert ids(client, q="贴息") == [library["loan"]]
    assert ids(client, q="人才安居") == [library["talent"]]
    assert ids(client, q="人才 补贴") == [library["talent"]]  # every word must be there
    assert ids(client, q="安居补贴") == []  # the phrase's pairs: 居补 is in no document
    assert set(ids(client, q="贴")) == {library["rnd"], library["talent"], library["loan"]}  # one character


def test_latin_words_and_digits_are_case_insensitive(client, library):
    assert ids(client, q="SMEs") == [library["tax"]]
    assert ids(client, q="r") == [library["tax"]]
    assert ids(client, q="100") == [library["tax"]]
    assert ids(client, q="！？") == []  # nothing searchable


def test_filters_and_pages(client, editor, library):
    assert ids(client, category="talent") == [library["talent"]]
    assert ids(client, q="补贴", category="finance") == []
    everything = ids(client)
    assert everything == [library["tax"], library["loan"], library["talent"], library["rnd"]]  # newest first
    first = client.get(PUBLIC, query_string={"limit": 3}).get_json()
    second = client.get(PUBLIC, query_string={"limit": 3, "cursor": first["next_cursor"]}).get_json()
    assert [p["id"] for p in first["items"] + second["items"]] == everything and second["next_cursor"] is None
    closed = published(editor, title="已截止的补贴", apply_from="2020-01-01", apply_until="2020-12-31", **NEUTRAL)
    assert closed["id"] in ids(client, q="补贴") and closed["id"] not in ids(client, q="补贴", open_only="true")
    assert_error(client.get(PUBLIC, query_string={"cursor": "abc"}), 422, "validation_failed")
    assert_error(client.get(PUBLIC, query_string={"limit": 0}), 422, "validation_failed")
    assert_error(client.get(PUBLIC, query_string={"q": "x" * 101}), 422, "validation_failed")


def test_search_follows_amendments_and_withdrawals(client, editor, library):
    editor.put(f"{ADMIN}/{library['loan']}", json=policy_body(title="中小企业贷款补贴", body="贷款补贴。", **NEUTRAL))
    assert library["loan"] not in ids(client, q="补贴")  # the amendment is a draft
    publish(editor, library["loan"])
    assert library["loan"] in ids(client, q="补贴") and ids(client, q="贴息") == []
    editor.post(f"{ADMIN}/{library['rnd']}/withdraw")
    assert library["rnd"] not in ids(client, q="补贴")
