"""IdentityVerificationClient against the IDV simulator, over real HTTP."""

from __future__ import annotations

import traceback

import pytest

from integrations.errors import (
    NonRetryableError,
    RetryableError,
    UpstreamRejectedError,
)
from integrations.identity_verification import IdentityCheck, IdentityVerificationClient
from integrations.sandbox.demo_data import CITIZENS

CITIZEN = CITIZENS[0]
OTHER = CITIZENS[1]
UNKNOWN_ID = "11010519491231002X"  # valid, but no demo citizen


def leaked_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error)


def test_a_demo_pair_matches(sandbox, make_idv_client):
    check = make_idv_client().verify(CITIZEN.name, CITIZEN.id_number)

    assert check.match is True and check.reason is None
    assert check.request_id and len(check.request_id) == 26
    assert sandbox.idv_verifications() == 1


def test_a_known_number_with_another_name_is_a_name_mismatch(sandbox, make_idv_client):
    check = make_idv_client().verify(OTHER.name, CITIZEN.id_number)

    assert check == IdentityCheck(match=False, reason="name_mismatch", request_id=check.request_id)


def test_an_unknown_number_is_not_found(sandbox, make_idv_client):
    check = make_idv_client().verify(CITIZEN.name, UNKNOWN_ID)

    assert (check.match, check.reason) == (False, "not_found")


def test_lowercase_check_x_is_the_same_number(sandbox, make_idv_client):
    citizen = next(c for c in CITIZENS if c.id_number.endswith("X"))

    assert make_idv_client().verify(citizen.name, citizen.id_number.lower()).match is True


@pytest.mark.parametrize(
    ("name", "id_number", "code"),
    [("", CITIZEN.id_number, "invalid_name"), (CITIZEN.name, "44060519850312", "invalid_id_number")],
)
def test_malformed_requests_are_upstream_refusals_without_personal_data(
    sandbox, make_idv_client, name, id_number, code
):
    with pytest.raises(UpstreamRejectedError) as caught:
        make_idv_client().verify(name, id_number)

    assert caught.value.upstream_code == code and caught.value.status == 400
    assert id_number not in leaked_text(caught.value)


def test_wrong_api_key_is_non_retryable(sandbox, make_idv_client):
    idv = make_idv_client(api_key="not-the-key")

    with pytest.raises(NonRetryableError) as caught:
        idv.verify(CITIZEN.name, CITIZEN.id_number)

    assert not isinstance(caught.value, UpstreamRejectedError)
    assert caught.value.status == 401
    assert sandbox.idv_verifications() == 0


def test_503_is_retryable_and_the_billed_post_is_not_retried(sandbox, make_idv_client):
    idv = make_idv_client(retries=2)
    fault = sandbox.add_fault("/idv/", status=503, times=3)

    with pytest.raises(RetryableError) as caught:
        idv.verify(CITIZEN.name, CITIZEN.id_number)

    assert caught.value.status == 503 and caught.value.upstream == "idv"
    assert sandbox.remaining(fault) == 2  # one attempt only: each call is billed
    for text in (CITIZEN.name, CITIZEN.id_number):
        assert text not in leaked_text(caught.value)


def test_an_unknown_result_is_non_retryable(serve):
    def upstream(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"result": "maybe"}']

    idv = IdentityVerificationClient(serve(upstream), api_key="k", timeout=1)

    with pytest.raises(NonRetryableError) as caught:
        idv.verify(CITIZEN.name, CITIZEN.id_number)

    assert not isinstance(caught.value, RetryableError)
    assert CITIZEN.id_number not in leaked_text(caught.value)


def test_api_key_is_required():
    with pytest.raises(ValueError):
        IdentityVerificationClient("http://127.0.0.1:1", api_key="", timeout=1)
