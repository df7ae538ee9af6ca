"""OAuth 2 / OpenID Connect with a client we did not write (Authlib's requests client),
against the live server over HTTP: authorization code + PKCE (S256 only), client
credentials, private_key_jwt (ES256, jti once), tokens bound to their partner, consent
revocation and partner suspension taking effect on the next call."""

from __future__ import annotations

import json
import secrets

import jwt
import pytest
import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey
from jwt import PyJWKClient

from tests.support.citizens import LI, OU, verified
from tests.support.errors import assert_error, assert_error_http
from tests.support.partners import (
    ADMIN,
    REDIRECT_URI,
    Browser,
    authorize_url,
    bearer,
    client_credentials,
    code_flow,
    oauth_session,
    register,
)


def get(live_server, path, headers=None, **kw):
    return requests.get(f"{live_server.url}{path}", headers=headers or {}, timeout=10, **kw)


def test_discovery_document(app, live_server):
    answer = get(live_server, "/.well-known/openid-configuration")
    assert answer.status_code == 200
    meta = answer.json()
    assert meta["issuer"] == app.config["ISSUER"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert set(meta["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "private_key_jwt"}
    assert meta["subject_types_supported"] == ["pairwise"]
    assert meta["token_endpoint"] == f"{live_server.url}/oauth/token"


def test_code_flow_with_pkce_id_token_userinfo_and_access_log(app, client, live_server, operator, sign_in):
    owner = verified(sign_in, LI)
    assert owner.post("/api/v1/licences/sync").status_code == 200
    partner = register(operator)
    session, token = code_flow(app, live_server, partner, LI.phone)
    assert token["token_type"].lower() == "bearer"
    assert set(token["scope"].split()) == {"openid", "profile:read", "licences:read"}

    # The ID token: ES256 with our published keys, for this client, a pairwise subject.
    jwks = PyJWKClient(f"{live_server.url}/.well-known/jwks.json")
    key = jwks.get_signing_key_from_jwt(token["id_token"]).key
    id_claims = jwt.decode(token["id_token"], key, algorithms=["ES256"], audience=partner["client_id"],
                           issuer=app.config["ISSUER"])
    assert id_claims["sub"] != json.dumps(owner.get("/api/v1/me").get_json()["id"])
    assert len(id_claims["sub"]) >= 40 and "nonce" in id_claims

    # The access token carries the partner and the scopes; the citizen API refuses it.
    claims = jwt.decode(token["access_token"], options={"verify_signature": False})
    assert claims["client_id"] == partner["client_id"] and claims["aud"] == "open"
    assert set(claims["scope"].split()) == {"openid", "profile:read", "licences:read"}
    assert_error(client.get("/api/v1/me", headers=bearer(token)), 401)

    info = session.get(f"{live_server.url}/open/v1/userinfo", timeout=10)
    assert info.status_code == 200, info.text
    assert info.json()["sub"] == id_claims["sub"]
    assert info.json()["name"] == LI.name and "*" in info.json()["id_number_masked"]
    assert LI.id_number not in info.text

    licences = session.get(f"{live_server.url}/open/v1/licences", timeout=10)
    assert licences.status_code == 200, licences.text
    items = licences.json()["items"]
    assert items and all("*" in item["number"] for item in items)

    # Every read under the consent is in the user's access log, as the partner's.
    log = owner.get("/api/v1/me/access-log?limit=100").get_json()["items"]
    actions = {(entry["action"], entry["acting_as"], entry["accessor"]["kind"]) for entry in log}
    assert ("profile:read", "partner", "partner") in actions
    assert ("licences:read", "partner", "partner") in actions
    # ... and the consent is a grant the user sees among those they gave.
    grants = owner.get("/api/v1/authorizations?direction=granted").get_json()["items"]
    [consent] = [g for g in grants if g["grantee"]["kind"] == "partner"]
    assert consent["grantee"]["id"] == partner["id"] and set(consent["scopes"]) == {"profile:read", "licences:read"}
    assert consent["grantee"]["display"] == partner["name"]
    assert {entry["accessor"]["display"] for entry in log if entry["acting_as"] == "partner"} == {partner["name"]}
    # ... and is told so in their inbox.
    inbox = owner.get("/api/v1/messages").get_json()["items"]
    [notice] = [m for m in inbox if m["data"].get("grant_id") == consent["id"]]
    assert notice["topic"] == "security" and partner["name"] in notice["title"] and "电子证照" in notice["body"]


def test_pairwise_subjects_differ_between_partners(app, live_server, operator, sign_in):
    verified(sign_in, LI)
    first = register(operator, name="银行甲")
    second = register(operator, name="医院乙")
    _, one = code_flow(app, live_server, first, LI.phone, scope="openid")
    _, two = code_flow(app, live_server, second, LI.phone, scope="openid")
    sub_one = jwt.decode(one["id_token"], options={"verify_signature": False})["sub"]
    sub_two = jwt.decode(two["id_token"], options={"verify_signature": False})["sub"]
    assert sub_one != sub_two
    # ... stable for one partner.
    _, again = code_flow(app, live_server, first, LI.phone, scope="openid")
    assert jwt.decode(again["id_token"], options={"verify_signature": False})["sub"] == sub_one


def test_unticked_optional_item_is_not_granted(app, live_server, operator, sign_in):
    owner = verified(sign_in, LI)
    assert owner.post("/api/v1/licences/sync").status_code == 200
    partner = register(operator)
    session, token = code_flow(app, live_server, partner, LI.phone, keep=())
    assert set(token["scope"].split()) == {"openid", "profile:read"}
    answer = session.get(f"{live_server.url}/open/v1/licences", timeout=10)
    assert_error_http(answer, 403, "insufficient_scope")
    assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]


def test_pkce_is_required_and_s256_only(app, live_server, operator, sign_in):
    verified(sign_in, LI)
    partner = register(operator)
    base = (f"{live_server.url}/oauth/authorize?response_type=code&client_id={partner['client_id']}"
            f"&redirect_uri={REDIRECT_URI}&scope=openid&state=xyz")
    browser = Browser(app, live_server)
    for suffix in ("", "&code_challenge=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqr&code_challenge_method=plain",
                   "&code_challenge=abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqr"):
        page = browser.open(base + suffix)
        assert page.status_code == 400 and "授权请求无效" in page.text, (suffix, page.status_code)
    # A wrong verifier at the token endpoint is refused.
    session = oauth_session(live_server, partner, scope="openid")
    verifier = secrets.token_urlsafe(48)
    callback = browser.consent(authorize_url(live_server, session, verifier), LI.phone)
    with pytest.raises(OAuthError) as refused:
        session.fetch_token(f"{live_server.url}/oauth/token", authorization_response=callback,
                            code_verifier=secrets.token_urlsafe(48))
    assert refused.value.error == "invalid_grant"


def test_code_is_single_use_and_bound_to_its_partner(app, live_server, operator, sign_in):
    verified(sign_in, LI)
    partner, other = register(operator, name="甲"), register(operator, name="乙")
    session = oauth_session(live_server, partner, scope="openid profile:read")
    verifier = secrets.token_urlsafe(48)
    callback = Browser(app, live_server).consent(authorize_url(live_server, session, verifier), LI.phone)
    # Another partner cannot redeem it, even with the right verifier.
    thief = oauth_session(live_server, other, scope="openid profile:read")
    with pytest.raises(OAuthError) as stolen:
        thief.fetch_token(f"{live_server.url}/oauth/token", authorization_response=callback, code_verifier=verifier)
    assert stolen.value.error == "invalid_grant"
    session.fetch_token(f"{live_server.url}/oauth/token", authorization_response=callback, code_verifier=verifier)
    with pytest.raises(OAuthError) as reused:
        session.fetch_token(f"{live_server.url}/oauth/token", authorization_response=callback, code_verifier=verifier)
    assert reused.value.error == "invalid_grant"


def test_refusing_redirects_with_access_denied(app, live_server, operator, sign_in):
    verified(sign_in, LI)
    partner = register(operator)
    session = oauth_session(live_server, partner, scope="openid")
    url = authorize_url(live_server, session, secrets.token_urlsafe(48))
    location = Browser(app, live_server).consent(url, LI.phone, action="refuse")
    assert location.startswith(REDIRECT_URI) and "error=access_denied" in location and "code=" not in location


def test_unregistered_redirect_uri_and_scope_show_an_error_page(app, live_server, operator):
    partner = register(operator, scopes=["openid", "profile:read"], optional_scopes=[])
    browser = Browser(app, live_server)
    session = OAuth2Session(partner["client_id"], scope="openid", redirect_uri="https://evil.example.com/cb",
                            code_challenge_method="S256")
    page = browser.open(authorize_url(live_server, session, secrets.token_urlsafe(48)))
    assert page.status_code == 400 and "授权请求无效" in page.text
    assert page.headers["X-Frame-Options"] == "DENY" and "frame-ancestors 'none'" in page.headers[
        "Content-Security-Policy"]
    session = oauth_session(live_server, partner, scope="openid licences:read")
    page = browser.open(authorize_url(live_server, session, secrets.token_urlsafe(48)))
    assert page.status_code == 400 and "licences:read" in page.text


def test_consent_form_needs_its_csrf_token(app, live_server, operator, sign_in):
    verified(sign_in, LI)
    partner = register(operator)
    session = oauth_session(live_server, partner, scope="openid")
    url = authorize_url(live_server, session, secrets.token_urlsafe(48))
    browser = Browser(app, live_server)
    browser.sign_in(url, LI.phone)
    forged = browser.post(url, csrf_token="forged", action="approve")
    assert forged.status_code == 403 and "code=" not in forged.headers.get("Location", "")


def test_revoked_consent_stops_reads_on_the_next_call(app, live_server, operator, sign_in):
    owner = verified(sign_in, LI)
    assert owner.post("/api/v1/licences/sync").status_code == 200
    partner = register(operator)
    session, token = code_flow(app, live_server, partner, LI.phone)
    assert session.get(f"{live_server.url}/open/v1/licences", timeout=10).status_code == 200
    [consent] = [g for g in owner.get("/api/v1/authorizations?direction=granted").get_json()["items"]
                 if g["grantee"]["kind"] == "partner"]
    assert owner.post(f"/api/v1/authorizations/{consent['id']}/revoke").status_code == 200
    answer = session.get(f"{live_server.url}/open/v1/licences", timeout=10)
    assert_error_http(answer, 401, "consent_revoked")
    assert_error_http(session.get(f"{live_server.url}/open/v1/userinfo", timeout=10), 401, "consent_revoked")


def test_client_credentials_token_is_partner_only(app, live_server, operator, sign_in):
    partner = register(operator)
    token = client_credentials(live_server, partner, scope="licences:verify profile:read")
    # Client credentials never carry a user's data scopes.
    assert token["scope"] == "licences:verify"
    answer = get(live_server, "/open/v1/userinfo", bearer(token))
    assert_error_http(answer, 403, "user_token_required")


def test_token_of_one_partner_refused_for_another(app, live_server, operator, sign_in):
    from tests.support.partners import signed_headers

    verified(sign_in, LI)
    first, second = register(operator, name="甲"), register(operator, name="乙")
    session, token = code_flow(app, live_server, first, LI.phone)
    # Presented with the other partner's signature: refused.
    headers = {**bearer(token), **signed_headers(second, "GET", "/open/v1/userinfo")}
    assert_error_http(get(live_server, "/open/v1/userinfo", headers), 401, "token_partner_mismatch")
    # With its own partner's signature: fine.
    headers = {**bearer(token), **signed_headers(first, "GET", "/open/v1/userinfo")}
    assert get(live_server, "/open/v1/userinfo", headers).status_code == 200
    # The other partner cannot revoke it (RFC 7009: 200, nothing happens) ...
    other = OAuth2Session(second["client_id"], second["credentials"]["client_secret"])
    assert other.revoke_token(f"{live_server.url}/oauth/revoke", token["access_token"]).status_code == 200
    assert get(live_server, "/open/v1/userinfo", bearer(token)).status_code == 200
    # ... its own partner can.
    assert session.revoke_token(f"{live_server.url}/oauth/revoke", token["access_token"]).status_code == 200
    assert_error_http(get(live_server, "/open/v1/userinfo", bearer(token)), 401, "token_revoked")


def test_suspension_refuses_tokens_at_once_and_rotation_retires_the_secret(app, live_server, operator, sign_in):
    verified(sign_in, LI)
    partner = register(operator)
    session, token = code_flow(app, live_server, partner, LI.phone)
    assert operator.post(f"{ADMIN}/{partner['id']}/suspend").status_code == 200
    assert_error_http(get(live_server, "/open/v1/userinfo", bearer(token)), 401, "partner_suspended")
    with pytest.raises(OAuthError) as refused:
        client_credentials(live_server, partner)
    assert refused.value.error == "invalid_client"
    assert operator.post(f"{ADMIN}/{partner['id']}/reinstate").status_code == 200
    assert get(live_server, "/open/v1/userinfo", bearer(token)).status_code == 200

    rotated = operator.post(f"{ADMIN}/{partner['id']}/rotate-credentials").get_json()
    assert rotated["credentials"]["client_secret"] != partner["credentials"]["client_secret"]
    with pytest.raises(OAuthError):
        client_credentials(live_server, partner)
    assert client_credentials(live_server, rotated)["access_token"]


def _es256_partner(operator, **extra):
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = ECKey.import_key(private)
    public = jwk.as_dict(private=False)
    public["kid"] = jwk.thumbprint()
    partner = register(operator, auth_method="private_key_jwt", jwks={"keys": [public]}, **extra)
    return partner, jwk


def test_private_key_jwt_es256_with_jti_once(app, live_server, operator):
    partner, key = _es256_partner(operator)
    token_url = f"{live_server.url}/oauth/token"
    session = OAuth2Session(partner["client_id"], key, scope="licences:verify",
                            token_endpoint_auth_method="private_key_jwt")
    session.register_client_auth_method(PrivateKeyJWT(token_url, alg="ES256"))
    assert session.fetch_token(token_url, grant_type="client_credentials")["scope"] == "licences:verify"

    # The same assertion (same jti) a second time is refused.
    replaying = OAuth2Session(partner["client_id"], key, scope="licences:verify",
                              token_endpoint_auth_method="private_key_jwt")
    replaying.register_client_auth_method(PrivateKeyJWT(token_url, alg="ES256", claims={"jti": "fixed-jti-1"}))
    replaying.fetch_token(token_url, grant_type="client_credentials")
    with pytest.raises(OAuthError) as replayed:
        replaying.fetch_token(token_url, grant_type="client_credentials")
    assert replayed.value.error == "invalid_client"

    # A key the partner never registered is refused; so is the secret method it did not register.
    stranger = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    forged = OAuth2Session(partner["client_id"], stranger, token_endpoint_auth_method="private_key_jwt")
    forged.register_client_auth_method(PrivateKeyJWT(token_url, alg="ES256"))
    with pytest.raises(OAuthError) as refused:
        forged.fetch_token(token_url, grant_type="client_credentials")
    assert refused.value.error == "invalid_client"
    basic = OAuth2Session(partner["client_id"], partner["credentials"]["client_secret"])
    with pytest.raises(OAuthError):
        basic.fetch_token(token_url, grant_type="client_credentials")


def test_token_endpoint_errors_keep_both_shapes(live_server, operator):
    partner = register(operator)
    answer = requests.post(f"{live_server.url}/oauth/token", timeout=10, data={"grant_type": "client_credentials"},
                           auth=(partner["client_id"], "wrong"))
    body = answer.json()
    assert answer.status_code == 401 and body["error"] == "invalid_client" and body["code"] == "invalid_client"
    assert body["request_id"] and isinstance(body["details"], dict)
    answer = requests.post(f"{live_server.url}/oauth/token", timeout=10, data={"grant_type": "password"},
                           auth=(partner["client_id"], partner["credentials"]["client_secret"]))
    assert answer.status_code == 400 and answer.json()["error"] == "unsupported_grant_type"


def test_rate_limit_answers_429_with_retry_after(app, live_server, operator, sign_in):
    verified(sign_in, OU)
    partner = register(operator, rate_limit="3 per minute")
    token = client_credentials(live_server, partner)
    body = {"token": "not-a-presentation-token"}
    statuses = [requests.post(f"{live_server.url}/open/v1/presentation-verifications", timeout=10, json=body,
                              headers=bearer(token)) for _ in range(4)]
    assert [s.status_code for s in statuses[:3]] == [200, 200, 200]
    assert_error_http(statuses[3], 429, "rate_limited")
    assert int(statuses[3].headers["Retry-After"]) >= 1


def test_daily_quota_answers_429(app, live_server, operator):
    partner = register(operator, daily_quota=2)
    token = client_credentials(live_server, partner)
    answers = [requests.post(f"{live_server.url}/open/v1/presentation-verifications", timeout=10,
                             json={"token": "x" * 20}, headers=bearer(token)) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[2].headers["Retry-After"]) > 3600  # the day's quota resets later, not in a minute


def test_private_key_jwt_with_keys_from_a_jwks_uri(app, live_server, operator):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    public = {**key.as_dict(private=False), "kid": key.thumbprint()}
    fetched = []

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            fetched.append(self.path)
            body = json.dumps({"keys": [public]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        partner = register(operator, auth_method="private_key_jwt",
                           jwks_uri=f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json")
        token_url = f"{live_server.url}/oauth/token"
        session = OAuth2Session(partner["client_id"], key, scope="licences:verify",
                                token_endpoint_auth_method="private_key_jwt")
        session.register_client_auth_method(PrivateKeyJWT(token_url, alg="ES256"))
        assert session.fetch_token(token_url, grant_type="client_credentials")["access_token"]
        assert fetched == ["/.well-known/jwks.json"]
    finally:
        server.shutdown()
        server.server_close()
    # The URI no longer answers: the key set is cached for its lifetime (issue 21, finding 3),
    # so the registered key still works without a fetch, and a key not in the set is refused.
    again = OAuth2Session(partner["client_id"], key, token_endpoint_auth_method="private_key_jwt")
    again.register_client_auth_method(PrivateKeyJWT(token_url, alg="ES256"))
    assert again.fetch_token(token_url, grant_type="client_credentials")["access_token"]
    stranger = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    forged = OAuth2Session(partner["client_id"], stranger, token_endpoint_auth_method="private_key_jwt")
    forged.register_client_auth_method(PrivateKeyJWT(token_url, alg="ES256"))
    with pytest.raises(OAuthError) as refused:
        forged.fetch_token(token_url, grant_type="client_credentials")
    assert refused.value.error == "invalid_client"
    assert fetched == ["/.well-known/jwks.json"]


def test_a_partner_reads_the_gov_services_catalogue(app, live_server, operator):
    from tests.support.gov_services import load_catalogue
    from tests.support.partners import signed_headers

    load_catalogue(app)
    partner = register(operator)
    token = client_credentials(live_server, partner)
    answer = get(live_server, "/open/v1/gov-services?limit=50", bearer(token))
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert len(items) >= 20 and {item["provider"] for item in items} == {"yueshengshi", "yueshangtong"}
    signed = get(live_server, "/open/v1/gov-services?limit=5&audience=enterprise",
                 signed_headers(partner, "GET", "/open/v1/gov-services", "limit=5&audience=enterprise"))
    assert signed.status_code == 200 and all(i["audience"] == "enterprise" for i in signed.json()["items"])
    assert_error_http(get(live_server, "/open/v1/gov-services", {}), 401, "missing_token")
