"""The language of an OAuth JSON error (docs/decisions/0002-oauth-error-description-language.md).

``error_description`` is what OAuth libraries read and log: English, in the characters RFC
6749 §5.2 allows, the same whatever the caller's language. ``message`` is for people: in
the negotiated language, as in every other error of the API. ``error`` and ``code`` never
change. Checked over real HTTP, and through Authlib's client as a partner's code meets it.
"""

from __future__ import annotations

import re

import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from nanhaitong.partners.oauth_errors import ascii_description
from tests.support.partners import REDIRECT_URI, pkce_pair, register

# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E )
RFC6749_DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")
CJK = re.compile(r"[\u4e00-\u9fff]")


def _token_error(live_server, partner: dict, secret: str, language: str | None) -> requests.Response:
    verifier, _ = pkce_pair()
    headers = {"Accept-Language": language} if language else {}
    return requests.post(f"{live_server.url}/oauth/token", timeout=10, headers=headers,
                         auth=(partner["client_id"], secret),
                         data={"grant_type": "authorization_code", "code": "not-a-code",
                               "redirect_uri": REDIRECT_URI, "code_verifier": verifier})


@pytest.mark.parametrize("wrong_secret, status, error", [(False, 400, "invalid_grant"), (True, 401, "invalid_client")])
def test_error_description_is_rfc_ascii_english_and_message_is_in_the_callers_language(
        live_server, operator, wrong_secret, status, error):
    partner = register(operator)
    secret = "wrong-secret" if wrong_secret else partner["credentials"]["client_secret"]
    chinese = _token_error(live_server, partner, secret, None)
    english = _token_error(live_server, partner, secret, "en")
    assert chinese.status_code == english.status_code == status
    zh, en = chinese.json(), english.json()
    assert zh["error"] == zh["code"] == en["error"] == en["code"] == error
    for body in (zh, en):
        assert RFC6749_DESCRIPTION.fullmatch(body["error_description"]), body["error_description"]
    assert zh["error_description"] == en["error_description"]  # one text for the libraries
    assert chinese.headers["Content-Language"] == "zh-CN" and CJK.search(zh["message"]), zh
    assert english.headers["Content-Language"] == "en" and not CJK.search(en["message"]), en


def test_an_oauth_library_reads_the_error_as_the_rfc_writes_it(live_server, operator):
    partner = register(operator)
    verifier, _ = pkce_pair()
    session = OAuth2Session(partner["client_id"], partner["credentials"]["client_secret"],
                            redirect_uri=REDIRECT_URI)
    with pytest.raises(OAuthError) as raised:
        session.fetch_token(f"{live_server.url}/oauth/token", code="not-a-code", code_verifier=verifier,
                            headers={"Accept-Language": "zh-CN"})
    assert raised.value.error == "invalid_grant"
    assert RFC6749_DESCRIPTION.fullmatch(raised.value.description), raised.value.description


def test_descriptions_are_kept_inside_the_rfc_characters():
    assert ascii_description("invalid_request", 'Invalid "redirect_uri" in request.') == \
        "Invalid 'redirect_uri' in request."
    assert ascii_description("invalid_grant", None).startswith("The authorization code is not valid")
    for text in ("Line one\nline two", "back\\slash", "名称 wrong", "“quoted”"):
        assert RFC6749_DESCRIPTION.fullmatch(ascii_description("invalid_request", text)), text
    assert ascii_description("invalid_request", "全中文") == ascii_description("invalid_request", None)
