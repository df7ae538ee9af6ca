"""Forged, altered and out-of-context access tokens: every one is a 401 on GET /api/v1/me.

Each forgery starts from a real token (so its kid, typ and claims are right) and changes
one thing. ``test_control_*`` prove the harness: the unchanged token, and a token we
re-sign with the real key, are accepted, so each refusal is caused by the one change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from nanhaitong.identity import tokens
from tests.crypto_suite import TOKEN_ALG, sign_jws
from tests.support.errors import ERROR_KEYS, assert_error

ME = "/api/v1/me"
REFUSED = ("invalid_token", "token_expired", "session_ended")


# -- helpers -------------------------------------------------------------------------

def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(obj) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def unb64json(segment: str):
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def split(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    return unb64json(header), unb64json(payload), signature


def hs256(header: dict, claims: dict, secret: bytes) -> str:
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


def es256(header: dict, claims: dict, private_key) -> str:
    """ES256 over exactly this header (pyjwt's encoder would refuse odd kids)."""
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    signature = ECAlgorithm(ECAlgorithm.SHA256).sign(signing_input.encode(), private_key)
    return f"{signing_input}.{b64url(signature)}"


def thumbprint(jwk: dict) -> str:
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")}, separators=(",", ":"), sort_keys=True)
    return b64url(hashlib.sha256(canonical.encode()).digest())


def attacker_key():
    private = ec.generate_private_key(ec.SECP256R1())
    jwk = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    jwk = {k: jwk[k] for k in ("kty", "crv", "x", "y")}
    return private, jwk, thumbprint(jwk)


def call(client, token: str):
    return client.get(ME, headers={"Authorization": f"Bearer {token}"})


def refused(response, codes=REFUSED) -> dict:
    return assert_error(response, 401, codes)


def refuse_all(client, cases: dict[str, str], codes=("invalid_token",)) -> None:
    """Send every token; fail listing each case that was not a 401 with one of ``codes``."""
    wrong = {}
    for name, token in cases.items():
        response = call(client, token)
        body = response.get_json() or {}
        if (response.status_code != 401 or body.get("code") not in codes or set(body) != set(ERROR_KEYS)
                or not response.headers.get("WWW-Authenticate", "").startswith("Bearer")):
            wrong[name] = (response.status_code, body.get("code"))
    assert not wrong, f"accepted or mis-answered: {wrong}"


@pytest.fixture
def citizen(sign_in):
    return sign_in("13800138001")


@pytest.fixture
def real(citizen):
    """The citizen's real access token, split into header, claims and signature."""
    header, claims, signature = split(citizen.tokens["access_token"])
    return {"token": citizen.tokens["access_token"], "header": header, "claims": claims, "signature": signature}


@pytest.fixture
def real_key(app):
    """Our current signing key, read inside an app context (a test may; the API never lets it out)."""
    with app.app_context():
        return tokens.keyring().signing_key()


@pytest.fixture
def sign_real(real, real_key):
    """Re-sign claim/header variants with our real key: only the variant can be why it fails."""
    kid, private = real_key

    def _sign(claims: dict | None = None, header: dict | None = None, drop: tuple = ()) -> str:
        c = {**real["claims"], **(claims or {})}
        for name in drop:
            c.pop(name, None)
        h = {"kid": kid, "typ": "at+jwt", **(header or {})}
        h = {k: v for k, v in h.items() if v is not None}
        return sign_jws({"alg": TOKEN_ALG, **h}, c, private)

    return _sign


class _CountingServer:
    """An attacker's HTTP server serving a JWKS / certificate; counts every request it gets."""

    def __init__(self, body: bytes):
        outer = self
        self.hits = 0

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hits += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


# -- controls --------------------------------------------------------------------------

def test_controls_real_and_resigned_tokens_are_accepted(client, real, sign_real):
    assert real["header"]["alg"] == TOKEN_ALG and real["header"]["typ"] == "at+jwt"
    assert call(client, real["token"]).status_code == 200
    assert call(client, sign_real()).status_code == 200  # our re-signing harness is sound
    # RFC 6750 / RFC 9110: the auth scheme is case-insensitive
    assert client.get(ME, headers={"Authorization": f"bearer {real['token']}"}).status_code == 200


# -- missing credentials ---------------------------------------------------------------

def test_missing_or_wrong_scheme_is_missing_token(client):
    cases = [None, "", "Bearer", "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNzd29yZA==", "Token abc.def.ghi",
             "Digest username=x", "eyJhbGciOiJFUzI1NiJ9.e30.sig"]
    for authorization in cases:
        headers = {} if authorization is None else {"Authorization": authorization}
        response = client.get(ME, headers=headers)
        assert_error(response, 401, "missing_token")  # also checks WWW-Authenticate: Bearer


def test_missing_token_on_real_http(live_server, app, real):
    import requests

    response = requests.get(f"{live_server.url}{ME}", timeout=5)
    assert response.status_code == 401 and response.json()["code"] == "missing_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json()) == ERROR_KEYS
    genuine = {"Authorization": f"Bearer {real['token']}"}
    assert requests.get(f"{live_server.url}{ME}", timeout=5, headers=genuine).status_code == 200


# -- not a JWT at all ------------------------------------------------------------------

def test_garbage_is_invalid_token(client):
    refuse_all(client, {g[:30]: g for g in [
        "not-a-jwt", "a.b.c", "a.b.c.d.e", "...", "e30.e30.", "e30.e30", "%%%.%%%.%%%", "x" * 5000,
        "eyJhbGciOiJFUzI1NiIsImtpZCI6WzFdfQ.e30.AAAA",  # kid: [1]
        "W10.e30.AAAA",  # header is a JSON array
        "bnVsbA.e30.AAAA",  # header is JSON null
        "IiI.e30.AAAA",  # header is a JSON string
        "e30=.e30.AAAA",  # padded
        "_w.e30.AAAA",  # not UTF-8
        "W1tbW1tb" * 200 + ".e30.AAAA",  # deeply nested, and longer than any real header
    ]})


# -- alg: none and other algorithms -------------------------------------------------------

def test_alg_none_in_all_spellings(client, real):
    cases = {}
    for alg in ("none", "None", "NONE", "nOnE"):
        header, claims = b64json({**real["header"], "alg": alg}), b64json(real["claims"])
        cases[f"{alg} no signature part"] = f"{header}.{claims}"
        cases[f"{alg} empty signature"] = f"{header}.{claims}."
        cases[f"{alg} junk signature"] = f"{header}.{claims}.AAAA"
        cases[f"{alg} original signature"] = f"{header}.{claims}.{real['signature']}"
        no_typ_kid = b64json({"alg": alg})
        cases[f"{alg} bare header"] = f"{no_typ_kid}.{claims}."
    refuse_all(client, cases)


def test_other_algs_with_original_signature(client, real):
    refuse_all(client, {
        alg: f"{b64json({**real['header'], 'alg': alg})}.{b64json(real['claims'])}.{real['signature']}"
        for alg in ("ES384", "ES512", "RS256", "PS256", "EdDSA", "ES256K", "es256", "")
    })


# -- HS256 keyed with our public key (algorithm confusion) -----------------------------

def test_hmac_signed_with_our_public_key(client, real):
    jwks = client.get("/.well-known/jwks.json").get_json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == real["header"]["kid"])
    if jwk["crv"] == "SM2":
        der = tokens.SM2JWSAlgorithm.from_jwk(jwk).public_der()
        pem, point = b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END PUBLIC KEY-----\n", der[-65:]
    else:
        public = ECAlgorithm.from_jwk(jwk)
        pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        point = public.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    forms = {
        "pem": pem,
        "pem-no-newline": pem.rstrip(b"\n"),
        "der": der,
        "x962-point": point,
        "jwk-as-published": json.dumps(jwk).encode(),
        "jwk-compact": json.dumps(jwk, separators=(",", ":")).encode(),
        "jwk-canonical": json.dumps({k: jwk[k] for k in ("crv", "kty", "x", "y")},
                                    separators=(",", ":"), sort_keys=True).encode(),
        "jwks-document": json.dumps(jwks).encode(),
        "jwk-x": jwk["x"].encode(),
        "kid": jwk["kid"].encode(),
        "empty": b"",
    }
    cases = {}
    for alg, digest in (("HS256", hashlib.sha256), ("HS384", hashlib.sha384), ("HS512", hashlib.sha512)):
        signing_input = f"{b64json({**real['header'], 'alg': alg})}.{b64json(real['claims'])}"
        for form, secret in forms.items():
            mac = hmac.new(secret, signing_input.encode(), digest).digest()
            cases[f"{alg}/{form}"] = f"{signing_input}.{b64url(mac)}"
    refuse_all(client, cases)


# -- kid tricks ------------------------------------------------------------------------

BAD_KIDS = [
    "unknownkid_unknownkid_unknownkid_unknownkid",  # well-formed, not ours
    "../../etc/passwd",
    "../../../../../../dev/null",
    "/dev/null",
    "' OR '1'='1",
    "x' UNION SELECT private_key FROM signing_keys --",
    "1; DROP TABLE signing_keys; --",
    "%00",
    "\x00",
    "",
    "a" * 65,
    "kid\nwith\nnewlines_0123456789",
    "http://127.0.0.1:1/jwks.json",
]


def test_bad_kid_even_with_a_valid_signature(client, real, sign_real, real_key):
    """The signature is genuinely ours: only the kid can be why the token is refused."""
    _, private = real_key
    cases = {f"kid={kid!r}": sign_real(header={"kid": kid}) for kid in BAD_KIDS}
    for kid in (None, 1, 0, True, ["x"], {"a": 1}, [real["header"]["kid"]]):
        header = {k: v for k, v in real["header"].items() if k != "kid"}
        if kid is not None:
            header["kid"] = kid
        cases[f"kid={kid!r}"] = sign_jws(header, real["claims"], private)
    refuse_all(client, cases)


def test_kid_dev_null_with_empty_hmac_key(client, real):
    # The classic: kid points at an empty file or a query yielding "", HS256 keyed with "".
    cases = {}
    for kid in ("../../../../../../dev/null", "/dev/null", "' OR '1'='1", "' UNION SELECT '' --", ""):
        header = {**real["header"], "alg": "HS256", "kid": kid}
        cases[repr(kid)] = hs256(header, real["claims"], b"")
    refuse_all(client, cases)


def test_sql_kid_did_not_touch_the_keys(client, sign_real, real):
    call(client, sign_real(header={"kid": "1; DROP TABLE signing_keys; --"}))
    call(client, sign_real(header={"kid": "x' OR 1=1 --"}))
    jwks = client.get("/.well-known/jwks.json").get_json()
    assert real["header"]["kid"] in {k["kid"] for k in jwks["keys"]}
    assert call(client, real["token"]).status_code == 200


# -- jku / jwk / x5u / x5c: keys offered by the token itself ----------------------------

@pytest.fixture
def attacker():
    private, jwk, kid = attacker_key()
    server = _CountingServer(json.dumps({"keys": [{**jwk, "kid": kid, "alg": "ES256", "use": "sig"}]}).encode())
    yield {"private": private, "jwk": jwk, "kid": kid, "server": server}
    server.close()


def test_keys_offered_by_the_token_are_never_used(client, real, attacker):
    """jku / x5u (URLs to the attacker's JWKS), jwk / x5c (key embedded), each signed by the
    attacker's key, with the attacker's kid and with ours. None verifies; no URL is fetched."""
    der = attacker["private"].public_key().public_bytes(serialization.Encoding.DER,
                                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    offered = {
        "jku": f"{attacker['server'].url}/jwks.json",
        "x5u": f"{attacker['server'].url}/cert.pem",
        "jwk": {**attacker["jwk"], "kid": attacker["kid"]},
        "x5c": [base64.b64encode(der).decode()],
    }
    cases = {}
    for field, value in offered.items():
        for which, kid in (("attacker-kid", attacker["kid"]), ("our-kid", real["header"]["kid"])):
            header = {"alg": "ES256", "typ": "at+jwt", "kid": kid, field: value}
            cases[f"{field}/{which}"] = es256(header, real["claims"], attacker["private"])
    refuse_all(client, cases)
    assert attacker["server"].hits == 0, "the API fetched a key URL named by a token"


def test_key_of_another_instance_with_same_kid_format(client, real, attacker):
    """A different key set: kid is a well-formed RFC 7638 thumbprint, the signature is valid
    for that key, the claims are ours (right iss, aud, live sid)."""
    token = es256({"alg": "ES256", "typ": "at+jwt", "kid": attacker["kid"]}, real["claims"], attacker["private"])
    assert jwt.decode(token, attacker["private"].public_key(), algorithms=["ES256"], audience="app",
                      options={"verify_iss": False})  # a valid token... for the other key
    refused(call(client, token), "invalid_token")


def test_another_app_instance_keys_do_not_verify_here(make_app, tmp_path):
    """A token from another deployment (its own database, so its own keys) is refused."""
    from nanhaitong.config import normalize_database_url
    from nanhaitong.migrations.runner import upgrade
    from tests.support.citizens import read_code, request_code

    first = make_app()
    if not first.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("a second database within one test is arranged on SQLite only")
    first_client = first.test_client()
    request_code(first_client, "13800138003")
    token = first_client.post("/api/v1/auth/tokens", json={
        "grant_type": "sms_code", "phone": "13800138003", "code": read_code(first, "13800138003"),
        "client": "app"}).get_json()["access_token"]
    assert first_client.get(ME, headers={"Authorization": f"Bearer {token}"}).status_code == 200

    other_db = tmp_path / "other.db"
    upgrade(f"sqlite:///{other_db}")
    second = make_app(DATABASE_URL=normalize_database_url(f"sqlite:///{other_db}"))
    second_client = second.test_client()
    assert second_client.get("/.well-known/jwks.json").status_code == 200  # its own key
    refused(second_client.get(ME, headers={"Authorization": f"Bearer {token}"}), "invalid_token")


# -- claims re-signed with the real key -------------------------------------------------

def test_expired_token(client, sign_real):
    now = int(time.time())
    refused(call(client, sign_real({"iat": now - 1000, "exp": now - 10})), "token_expired")
    refused(call(client, sign_real({"iat": now - 1000, "exp": now})), "token_expired")


def test_expired_by_short_ttl(make_app):
    from tests.support.citizens import read_code, request_code

    # 2 s, not 1: "exp" counts whole seconds from a truncated "iat", so a 1 s token issued
    # late in a second could lapse before the next request.
    app = make_app(ACCESS_TOKEN_TTL_SECONDS=2)
    client = app.test_client()
    request_code(client, "13800138004")
    pair = client.post("/api/v1/auth/tokens", json={
        "grant_type": "sms_code", "phone": "13800138004", "code": read_code(app, "13800138004"),
        "client": "app"}).get_json()
    assert pair["expires_in"] == 2
    assert call(client, pair["access_token"]).status_code == 200
    exp = split(pair["access_token"])[1]["exp"]
    time.sleep(max(0.0, exp - time.time()) + 0.05)
    refused(call(client, pair["access_token"]), "token_expired")
    # the refresh token still works and gives an access token that is accepted
    fresh = client.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token",
                                                     "refresh_token": pair["refresh_token"]}).get_json()
    assert call(client, fresh["access_token"]).status_code == 200


def test_claim_variants_signed_with_real_key(client, sign_real):
    now = int(time.time())
    variants = {
        "future nbf": {"nbf": now + 3600},
        "future iat": {"iat": now + 3600},
        "aud evil": {"aud": "evil-client"},
        "aud staff": {"aud": "staff"},
        "aud list without ours": {"aud": ["evil", "partner"]},
        "aud empty": {"aud": ""},
        "aud null": {"aud": None},
        "iss evil": {"iss": "https://evil.example"},
        "iss empty": {"iss": ""},
        "exp null": {"exp": None},
        "exp not a number": {"exp": "tomorrow"},
        "iat not a number": {"iat": "yesterday"},
    }
    refuse_all(client, {name: sign_real(claims) for name, claims in variants.items()})


def test_issuer_must_match_exactly(app, client, sign_real):
    issuer = app.config["ISSUER"]
    refuse_all(client, {
        "trailing slash": sign_real({"iss": issuer + "/"}),
        "upper case": sign_real({"iss": issuer.upper()}),
        "prefix": sign_real({"iss": issuer[:-1]}),
    })


def test_missing_required_claim(client, sign_real):
    claims = ("sid", "exp", "iss", "aud", "sub", "iat", "jti", "loa")
    refuse_all(client, {f"no {claim}": sign_real(drop=(claim,)) for claim in claims})


def test_sid_not_a_live_session(client, sign_real):
    # Only a key holder could send these; still a 401 in the error shape, never a 500.
    sids = ["01HZZZZZZZZZZZZZZZZZZZZZZZ", "", None, 0, 123, ["x"], {"id": "x"}, True, "' OR 1=1 --"]
    refuse_all(client, {repr(sid): sign_real({"sid": sid}) for sid in sids}, REFUSED)


def test_typ_not_at_jwt(client, sign_real):
    cases = {repr(typ): sign_real(header={"typ": typ}) for typ in ("JWT", "jwt", "at+jwt ", "dpop+jwt", "", 1)}
    cases["no typ"] = sign_real(header={"typ": None})
    assert "typ" not in split(cases["no typ"])[0]
    refuse_all(client, cases)


def test_staff_session_sid_in_citizen_token(client, sign_real, app):
    """A token naming a live staff session is no good on a citizen endpoint."""
    from datetime import timedelta

    from nanhaitong import db
    from nanhaitong.identity.models import AuthSession
    from nanhaitong.timeutil import utcnow

    with app.app_context():
        staff_session = AuthSession(account_kind="staff", account_id="01HSTAFF000000000000000000",
                                    audience="staff", expires_at=utcnow() + timedelta(hours=1))
        db.session().add(staff_session)
        db.session().commit()
        sid = staff_session.id
    refused(call(client, sign_real({"sid": sid})), "session_ended")
    refused(call(client, sign_real({"sid": sid, "aud": "staff"})), "invalid_token")


# -- tokens that were real once --------------------------------------------------------

def test_refresh_token_used_as_access_token(client, citizen):
    refused(call(client, citizen.tokens["refresh_token"]), "invalid_token")


def test_tampered_token_keeps_signature(client, real, sign_real):
    head, body, sig = real["token"].split(".")
    cases = {}
    for change in ({"loa": 3}, {"sub": "01HATTACKERATTACKERATTACKR"}, {"sid": "01HATTACKERATTACKERATTACKR"},
                   {"exp": 4102444800}, {"aud": "miniprogram"}, {"extra": 1}):
        cases[f"payload {change}"] = f"{head}.{b64json({**real['claims'], **change})}.{sig}"
    cases["header extra field"] = f"{b64json({**real['header'], 'x-note': 'hi'})}.{body}.{sig}"
    raw = bytearray(base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4)))
    raw[-1] ^= 1
    cases["signature bit flipped"] = f"{head}.{body}.{b64url(bytes(raw))}"
    cases["signature of another token"] = f"{head}.{body}.{sign_real({'jti': 'another'}).split('.')[2]}"
    cases["payload re-encoded with padding"] = f"{head}.{body}==.{sig}"
    refuse_all(client, cases)


def test_stripped_signature(client, real):
    head, body, _ = real["token"].split(".")
    refuse_all(client, {"h.p.": f"{head}.{body}.", "h.p": f"{head}.{body}"})


def test_token_after_logout(client, citizen):
    assert citizen.post("/api/v1/auth/logout").status_code == 204
    refused(citizen.get(ME), "session_ended")


def test_token_after_session_revoked(app, client, sign_in):
    app.config["SMS_RESEND_SECONDS"] = 0
    phone_a = sign_in("13800138001")
    phone_b = sign_in("13800138001")  # same account, a second device
    sessions = phone_a.get("/api/v1/me/sessions").get_json()["sessions"]
    other = next(s for s in sessions if not s["current"])
    assert phone_a.delete(f"/api/v1/me/sessions/{other['id']}").status_code == 204
    refused(phone_b.get(ME), "session_ended")
    assert phone_a.get(ME).status_code == 200
