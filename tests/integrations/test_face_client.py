"""FaceVerificationClient against the face simulator, over real HTTP."""

from __future__ import annotations

import time
import traceback

import pytest
import requests

from integrations.errors import NonRetryableError, RetryableError, UpstreamRejectedError
from integrations.face import FaceCheck, FaceVerificationClient
from integrations.sandbox.demo_data import CITIZENS

CITIZEN = CITIZENS[0]
OTHER = CITIZENS[1]


def leaked_text(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error)


def verify(face, token, citizen=CITIZEN, **overrides):
    identity = {"name": citizen.name, "id_number": citizen.id_number, **overrides}
    return face.verify(token, **identity)


def test_a_passing_token_passes(sandbox, make_face_client):
    check = verify(make_face_client(), sandbox.liveness_token(CITIZEN.id_number, "pass"))

    assert check.passed is True and check.reason is None
    assert 0.8 < check.score <= 1
    assert check.request_id


def test_a_failing_token_fails_with_a_low_score(sandbox, make_face_client):
    check = verify(make_face_client(), sandbox.liveness_token(CITIZEN.id_number, "fail"))

    assert (check.passed, check.reason) == (False, "face_mismatch")
    assert 0 < check.score < 0.5


def test_a_token_is_single_use(sandbox, make_face_client):
    face = make_face_client()
    token = sandbox.liveness_token(CITIZEN.id_number)

    assert verify(face, token).passed is True
    again = verify(face, token)

    assert again == FaceCheck(passed=False, score=0.0, reason="token_used", request_id=again.request_id)


def test_an_expired_token_fails(sandbox, make_face_client):
    token = sandbox.liveness_token(CITIZEN.id_number, ttl_seconds=0.2)
    time.sleep(0.3)

    check = verify(make_face_client(), token)

    assert (check.passed, check.reason) == (False, "token_expired")


def test_a_token_verifies_only_the_person_it_was_issued_for(sandbox, make_face_client):
    face = make_face_client()
    token = sandbox.liveness_token(CITIZEN.id_number)

    assert verify(face, token, citizen=OTHER).reason == "person_mismatch"
    # The attempt spent the token: it cannot then be tried for its own person.
    assert verify(face, token).reason == "token_used"


def test_an_unknown_token_is_invalid(sandbox, make_face_client):
    check = verify(make_face_client(), "lvt_made-up")

    assert (check.passed, check.reason) == (False, "token_invalid")


def test_name_must_belong_to_the_number(sandbox, make_face_client):
    check = verify(make_face_client(), sandbox.liveness_token(CITIZEN.id_number), name=OTHER.name)

    assert (check.passed, check.reason) == (False, "name_mismatch")


@pytest.mark.parametrize(
    "body",
    [
        {"id_number": CITIZEN.id_number, "outcome": "maybe"},
        {"id_number": CITIZEN.id_number, "ttl_seconds": 301},
        {"id_number": CITIZEN.id_number, "ttl_seconds": 0},
        {"id_number": CITIZEN.id_number, "ttl_seconds": True},
        {"id_number": "123"},
        {},
    ],
)
def test_bad_token_requests_are_refused(sandbox, body):
    response = requests.post(sandbox.url + "/face/liveness-tokens", json=body, timeout=5)

    assert response.status_code == 400 and response.json()["code"].startswith("invalid_")
    assert CITIZEN.id_number not in response.text


def test_token_requests_need_no_api_key_and_last_five_minutes(sandbox):
    body = {"id_number": CITIZEN.id_number, "outcome": "pass"}
    response = requests.post(sandbox.url + "/face/liveness-tokens", json=body, timeout=5)

    assert response.status_code == 201
    assert response.json()["expires_in"] == 300
    assert response.json()["liveness_token"].startswith("lvt_")


def test_wrong_api_key_is_non_retryable_and_does_not_spend_the_token(sandbox, make_face_client):
    token = sandbox.liveness_token(CITIZEN.id_number)

    with pytest.raises(NonRetryableError) as caught:
        verify(make_face_client(api_key="not-the-key"), token)

    assert not isinstance(caught.value, UpstreamRejectedError) and caught.value.status == 401
    assert verify(make_face_client(), token).passed is True


def test_503_is_retryable_and_never_retried(sandbox, make_face_client):
    face = make_face_client(retries=2)
    fault = sandbox.add_fault("/face/v1/", status=503, times=3)
    token = sandbox.liveness_token(CITIZEN.id_number)

    with pytest.raises(RetryableError) as caught:
        verify(face, token)

    assert caught.value.status == 503 and caught.value.upstream == "face"
    assert sandbox.remaining(fault) == 2
    for text in (CITIZEN.name, CITIZEN.id_number, token):
        assert text not in leaked_text(caught.value)


def test_malformed_answers_are_non_retryable(serve):
    def upstream(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"result": "pass", "score": 7}']

    face = FaceVerificationClient(serve(upstream), api_key="k", timeout=1)

    with pytest.raises(NonRetryableError):
        face.verify("lvt_x", name=CITIZEN.name, id_number=CITIZEN.id_number)


def test_api_key_is_required():
    with pytest.raises(ValueError):
        FaceVerificationClient("http://127.0.0.1:1", api_key="", timeout=1)
