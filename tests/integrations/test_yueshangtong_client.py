"""YueshangtongClient against the Yueshangtong simulator, over real HTTP."""

from __future__ import annotations

import traceback

import pytest

from integrations.errors import NonRetryableError, RetryableError, UpstreamRejectedError
from integrations.sandbox.demo_data import CITIZENS_BY_ID_NUMBER, ENTERPRISES
from integrations.yueshangtong import EnterpriseRecord, YueshangtongClient

ENTERPRISE = ENTERPRISES[0]
UNKNOWN_USCC = "91110000600037341L"  # valid, but not a demo enterprise


def leaked_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error)


def test_a_demo_enterprise_is_found(sandbox, make_yueshangtong_client):
    record = make_yueshangtong_client().lookup_enterprise(ENTERPRISE.uscc)

    representative = CITIZENS_BY_ID_NUMBER[ENTERPRISE.legal_representative_id_number]
    assert record == EnterpriseRecord(
        uscc=ENTERPRISE.uscc,
        name=ENTERPRISE.name,
        legal_representative_name=representative.name,
        legal_representative_id_number=representative.id_number,
        status="active",
        registered_on=ENTERPRISE.registered_on,
        industry_code=ENTERPRISE.industry_code,
        town=ENTERPRISE.town,
        size=ENTERPRISE.size,
    )
    assert record.is_active


def test_every_demo_enterprise_is_found(sandbox, make_yueshangtong_client):
    ysst = make_yueshangtong_client()

    records = [ysst.lookup_enterprise(e.uscc) for e in ENTERPRISES]

    assert [r.uscc for r in records] == [e.uscc for e in ENTERPRISES]
    assert [r.is_active for r in records].count(False) >= 1
    assert any(r.status == "revoked" for r in records)


def test_lowercase_code_is_looked_up_as_uppercase(sandbox, make_yueshangtong_client):
    assert make_yueshangtong_client().lookup_enterprise(ENTERPRISE.uscc.lower()).uscc == ENTERPRISE.uscc


def test_an_unknown_enterprise_is_none(sandbox, make_yueshangtong_client):
    ysst = make_yueshangtong_client()

    assert ysst.lookup_enterprise(UNKNOWN_USCC) is None
    assert ysst.circuit_state == "closed"


@pytest.mark.parametrize("uscc", ["", "9144", "../../../../demo#aaaaaa", "91440605MA4UJ2K8OY", None])
def test_codes_that_cannot_be_a_uscc_are_refused_before_any_call(make_yueshangtong_client, uscc):
    with pytest.raises(ValueError):
        make_yueshangtong_client().lookup_enterprise(uscc)


def test_wrong_api_key_is_non_retryable(sandbox, make_yueshangtong_client):
    with pytest.raises(NonRetryableError) as caught:
        make_yueshangtong_client(api_key="not-the-key").lookup_enterprise(ENTERPRISE.uscc)

    assert not isinstance(caught.value, UpstreamRejectedError) and caught.value.status == 401


def test_503_is_retried_then_retryable(sandbox, make_yueshangtong_client):
    fault = sandbox.add_fault("/ysst/", status=503, times=3)

    with pytest.raises(RetryableError) as caught:
        make_yueshangtong_client(retries=2).lookup_enterprise(ENTERPRISE.uscc)

    assert caught.value.status == 503 and caught.value.upstream == "yueshangtong"
    assert sandbox.remaining(fault) == 0  # a GET is retried


def test_a_passing_503_is_absorbed_by_the_retry(sandbox, make_yueshangtong_client):
    sandbox.add_fault("/ysst/", status=503, times=1)

    assert make_yueshangtong_client(retries=2).lookup_enterprise(ENTERPRISE.uscc).uscc == ENTERPRISE.uscc


def test_other_404s_are_not_taken_for_a_missing_enterprise(serve):
    def upstream(environ, start_response):
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"code": "no_such_route"}']

    with pytest.raises(UpstreamRejectedError) as caught:
        YueshangtongClient(serve(upstream), api_key="k", timeout=1).lookup_enterprise(UNKNOWN_USCC)

    assert caught.value.upstream_code == "no_such_route"


def test_an_incomplete_record_is_non_retryable_and_names_nobody(serve):
    representative = "440622198503121234"

    def upstream(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [('{"uscc": "%s", "legal_representative_id_number": "%s"}'
                 % (UNKNOWN_USCC, representative)).encode()]

    with pytest.raises(NonRetryableError) as caught:
        YueshangtongClient(serve(upstream), api_key="k", timeout=1).lookup_enterprise(UNKNOWN_USCC)

    assert representative not in leaked_text(caught.value)


def test_api_key_is_required():
    with pytest.raises(ValueError):
        YueshangtongClient("http://127.0.0.1:1", api_key="", timeout=1)
