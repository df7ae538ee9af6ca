"""The OAuth 2 / OpenID Connect authorization server, on Authlib.

Flows: authorization code with PKCE (S256 only, required) for user-consented access,
client credentials for partner-only calls. Client authentication: ``client_secret_basic``
or ``private_key_jwt`` (ES256; keys from the partner's registered JWKS or JWKS URI; each
assertion ``jti`` is accepted once). Access tokens are ES256 JWTs (``typ`` ``at+jwt``,
audience ``open``) signed with identity's key ring, carrying ``client_id`` and ``scope``;
ID tokens carry a pairwise ``sub`` per partner sector. Every token is also a row, so
revocation, a withdrawn consent or a suspended partner stop it on its next use.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import jwt as pyjwt
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import ClientMixin, InsecureTransportError, InvalidClientError, grants
from authlib.oauth2.rfc6749.authorization_server import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from flask import current_app, g
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet
from sqlalchemy import update

from .. import db, events
from ..audit.service import record as audit
from ..authorizations import PARTNER, live_grant
from ..clients import clients
from ..identity import SM2_TOKEN_ALGORITHM as SM2_ALGORITHM
from ..identity import TOKEN_ALGORITHM as ALGORITHM
from ..identity import find_citizen, issue_access_token, keyring
from ..ids import new_id
from ..timeutil import as_utc, utcnow
from . import registry, replay
from .models import OAuthCode, OAuthToken, Partner, PartnerRefreshToken

OPEN_AUDIENCE = "open"
CODE_TTL_SECONDS = 300
OFFLINE_ACCESS = "offline_access"  # OIDC Core 11: the consent covers refresh tokens


class PartnerClient(ClientMixin):
    """Authlib's view of a registered partner."""

    def __init__(self, partner: Partner):
        self.partner = partner
        self.client_id = partner.client_id
        # ES256 unless the partner's registration asks for SM2SM3 (docs/crypto.md).
        self.id_token_signed_response_alg = partner.id_token_alg or ALGORITHM

    def get_client_id(self):
        return self.partner.client_id

    def get_default_redirect_uri(self):
        uris = json.loads(self.partner.redirect_uris)
        return uris[0] if uris else None

    def get_allowed_scope(self, scope):
        if not scope:
            return ""
        allowed = set(json.loads(self.partner.scopes))
        return " ".join(s for s in scope_to_list(scope) if s in allowed)

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in json.loads(self.partner.redirect_uris)

    def check_client_secret(self, client_secret):
        return registry.check_client_secret(self.partner, client_secret)

    def check_endpoint_auth_method(self, method, endpoint):
        return method == self.partner.auth_method

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type in ("authorization_code", "client_credentials", "refresh_token")


@dataclass(frozen=True)
class ConsentingUser:
    user_id: str
    grant_id: str
    auth_time: int

    def get_user_id(self):
        return self.user_id


def query_client(client_id):
    partner = registry.by_client_id(client_id)
    if partner is None or partner.status != "active":
        return None
    return PartnerClient(partner)


def pairwise_subject(partner: Partner, user_id: str) -> str:
    """The user's subject for this partner: the same for every partner of one sector, and
    unlinkable across sectors (HMAC keyed with the server's blind-index key)."""
    # Pinned to HMAC-SHA256: a partner's view of a user must not change with the crypto suite.
    return current_app.extensions["nht.blind_index"].digest(f"{partner.sector}\x00{user_id}", domain="pairwise-sub",
                                                            alg="HMAC-SHA256")


def _code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]

    def save_authorization_code(self, code, req):
        consent = g.nht_consent  # set by the consent view: the user, the grant, the approved scopes
        db.session().add(OAuthCode(
            code_hash=_code_hash(code), partner_id=req.client.partner.id, user_id=consent["user_id"],
            grant_id=consent["grant_id"], redirect_uri=req.payload.redirect_uri or "",
            scope=consent["scope"], nonce=req.payload.data.get("nonce"),
            code_challenge=req.payload.data.get("code_challenge"),
            code_challenge_method=req.payload.data.get("code_challenge_method") or "S256",
            auth_time=consent["auth_time"], expires_at=utcnow() + timedelta(seconds=CODE_TTL_SECONDS),
        ))

    def query_authorization_code(self, code, client):
        row = db.session().get(OAuthCode, _code_hash(code or ""))
        if row is None or row.partner_id != client.partner.id:
            return None
        if row.used_at is not None or as_utc(row.expires_at) <= utcnow():
            return None
        return CodeView(row)

    def delete_authorization_code(self, authorization_code):
        authorization_code.row.used_at = utcnow()

    def authenticate_user(self, authorization_code):
        row = authorization_code.row
        grant = live_grant(row.grant_id, grantee_kind=PARTNER, grantee_id=row.partner_id)
        if grant is None:
            return None
        return ConsentingUser(row.user_id, row.grant_id, row.auth_time)


class CodeView:
    def __init__(self, row: OAuthCode):
        self.row = row
        self.code_challenge = row.code_challenge
        self.code_challenge_method = row.code_challenge_method

    def get_redirect_uri(self):
        return self.row.redirect_uri

    def get_scope(self):
        return self.row.scope

    def get_nonce(self):
        return self.row.nonce

    def get_auth_time(self):
        return self.row.auth_time

    def get_acr(self):
        return None

    def get_amr(self):
        return ["sms"]


class S256Only(CodeChallenge):
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant, redirect_uri):
        from authlib.oauth2.rfc6749 import InvalidRequestError

        if not grant.request.payload.data.get("code_challenge_method"):
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        return super().validate_code_challenge(grant, redirect_uri)

    def get_authorization_code_challenge(self, authorization_code):
        return authorization_code.code_challenge

    def get_authorization_code_challenge_method(self, authorization_code):
        return authorization_code.code_challenge_method


class NhtOpenIDCode(OpenIDCode):
    def exists_nonce(self, nonce, req):
        return False  # a nonce binds the ID token to the partner's session; replays are the partner's check

    def get_client_algorithm(self, client):
        return client.id_token_signed_response_alg

    def get_encode_header(self, client):
        kid, _ = keyring().signing_key(client.id_token_signed_response_alg)
        return {"alg": client.id_token_signed_response_alg, "kid": kid, "typ": "JWT"}

    def resolve_client_private_key(self, client):
        _, private = keyring().signing_key(ALGORITHM)  # ES256 under either suite, unless registered otherwise
        return ECKey.import_key(private)

    def encode_id_token(self, token, request):
        """SM2SM3 ID tokens for partners registered for them (Authlib knows no SM2): the same
        claims Authlib puts in, ``at_hash`` the left half of the access token's SM3 hash."""
        if self.get_client_algorithm(request.client) != SM2_ALGORITHM:
            return super().encode_id_token(token, request)
        claims = dict(self.get_compatible_claims(request))
        if request.authorization_code:
            claims.update(self.get_authorization_code_claims(request.authorization_code))
        if token.get("access_token"):
            digest = hashlib.new("sm3", token["access_token"].encode()).digest()
            claims["at_hash"] = base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
        claims.update(self.generate_user_info(request.user, token["scope"]))
        kid, private = keyring().signing_key(SM2_ALGORITHM)
        return pyjwt.encode(claims, private, algorithm=SM2_ALGORITHM, headers={"kid": kid, "typ": "JWT"})

    def get_client_claims(self, client):
        return {"iss": current_app.config["ISSUER"], "aud": [client.get_client_id()],
                "exp": int(time.time()) + current_app.config["ACCESS_TOKEN_TTL_SECONDS"]}

    def generate_user_info(self, user, scope):
        partner = g.nht_partner_for_token
        info = {"sub": pairwise_subject(partner, user.user_id)}
        citizen = find_citizen(user_id=user.user_id)
        info["loa"] = citizen.assurance_level if citizen else 0
        return info


class ClientCredentialsGrant(grants.ClientCredentialsGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]


class RefreshView:
    def __init__(self, row: PartnerRefreshToken):
        self.row = row

    def check_client(self, client):
        return self.row.partner_id == client.partner.id

    def get_scope(self):
        return self.row.scope


class RefreshTokenGrant(grants.RefreshTokenGrant):
    """Rotating refresh tokens for partners whose user consented to ``offline_access``.

    Each refresh answers a new refresh token and spends the old one; a spent one presented
    again (a stolen copy, or the partner's bug) revokes its whole family. A refresh needs
    the consent grant to be live: withdrawing it ends every refresh token behind it.
    """

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token):
        row = db.session().get(PartnerRefreshToken, _code_hash(refresh_token or ""))
        if row is None or row.revoked_at is not None:
            return None
        if row.used_at is not None:
            with db.unit_of_work("revoke_refresh_family"):
                db.session().execute(update(PartnerRefreshToken).where(
                    PartnerRefreshToken.family_id == row.family_id, PartnerRefreshToken.revoked_at.is_(None))
                    .values(revoked_at=utcnow()))
                audit("partner.refresh_token_reused", actor=f"partner:{row.partner_id}", object_type="grant",
                      object_id=row.grant_id, details={"family": row.family_id})
            return None
        if as_utc(row.expires_at) <= utcnow():
            return None
        if live_grant(row.grant_id, grantee_kind=PARTNER, grantee_id=row.partner_id) is None:
            return None
        g.nht_refresh_family = row.family_id
        return RefreshView(row)

    def authenticate_user(self, refresh_token):
        row = refresh_token.row
        return ConsentingUser(row.user_id, row.grant_id, row.auth_time)

    def revoke_old_credential(self, refresh_token):
        with db.unit_of_work("spend_refresh_token"):
            refresh_token.row.used_at = utcnow()


@events.grant_revoked.connect
def _revoke_refresh_tokens(sender, *, grant_id: str, grantee_kind: str, **_fields) -> None:
    """A withdrawn consent ends the partner's refresh tokens with it (in the same transaction)."""
    if grantee_kind != PARTNER:
        return
    db.session().execute(update(PartnerRefreshToken).where(
        PartnerRefreshToken.grant_id == grant_id, PartnerRefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow()))


class PrivateKeyJwt(JWTBearerClientAssertion):
    """``private_key_jwt`` with ES256 only, keys from the partner's JWKS (or its URI), jti once."""

    CLIENT_AUTH_METHOD = "private_key_jwt"

    def get_audiences(self):
        # The configured public URL, never the request's Host (an assertion made for
        # http://localhost:9999/oauth/token was accepted with "Host: localhost:9999").
        base, issuer = current_app.config["PUBLIC_URL"], current_app.config["ISSUER"]
        return sorted({f"{base}/oauth/token", issuer, f"{issuer}/oauth/token"})

    def extract_assertion(self, assertion):
        headers, claims = super().extract_assertion(assertion)
        kid = headers.get("kid") if isinstance(headers, dict) else None
        g.nht_assertion_kid = kid if isinstance(kid, str) else None
        return headers, claims

    def resolve_client_public_key(self, client):
        partner = client.partner
        if partner.jwks:
            data = json.loads(partner.jwks)
        elif partner.jwks_uri:
            try:
                # Cached for the set's HTTP lifetime; an unknown kid refetches at most once a minute.
                data = clients().partner_http.jwks(partner.jwks_uri, g.get("nht_assertion_kid"))
            except Exception:  # noqa: BLE001 - any failure to get the keys refuses the client
                raise InvalidClientError(description="The client's JWKS URI could not be read.") from None
        else:
            raise InvalidClientError(description="The client has no registered keys.")
        try:
            return KeySet.import_key_set(data)
        except (JoseError, ValueError, TypeError, KeyError):
            raise InvalidClientError(description="The client's registered keys are not a valid JWK set.") from None

    def process_assertion_claims(self, assertion, resolve_key):
        try:
            token = jose_jwt.decode(assertion, resolve_key, algorithms=[ALGORITHM])
        except (JoseError, ValueError, TypeError):
            raise InvalidClientError(description="The client assertion does not verify (ES256 with a registered key).") from None
        self.verify_claims(token.claims)
        return token.claims

    def validate_jti(self, claims, jti):
        ttl = max(60, int(claims.get("exp", 0)) - int(time.time()) + self.leeway)
        return replay.remember("assertion", claims["sub"], str(jti), ttl)


class Revocation(RevocationEndpoint):
    CLIENT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]

    def query_token(self, token_string, token_type_hint):
        from ..identity import decode_access_token

        try:
            claims = decode_access_token(token_string, (OPEN_AUDIENCE,))
        except Exception:  # noqa: BLE001 - an unreadable token is simply not ours
            return None
        return db.session().get(OAuthToken, claims.get("sid"))

    def authenticate_token(self, req, client):
        token = self.query_token(req.form.get("token"), req.form.get("token_type_hint"))
        # RFC 7009: a client revokes only its own tokens; another's is "not found" (200, no-op).
        if token is not None and token.partner_id == client.partner.id:
            return token
        return None

    def revoke_token(self, token, req):
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit("partner.token_revoked", actor=f"partner:{token.partner_id}", object_type="oauth_token",
                  object_id=token.jti)


def generate_token(grant_type, client, user=None, scope=None, expires_in=None, include_refresh_token=True):
    partner: Partner = client.partner
    g.nht_partner_for_token = partner
    sid = new_id()
    level = 0
    if user is not None:
        citizen = find_citizen(user_id=user.user_id)
        level = citizen.assurance_level if citizen else 0
        subject = pairwise_subject(partner, user.user_id)
    else:
        # Client credentials reach only partner-only operations, never a user's data.
        held = [s for s in json.loads(partner.scopes) if s in registry.PARTNER_ONLY_SCOPES]
        scope = " ".join(s for s in scope_to_list(scope) if s in held) if scope else " ".join(held)
        subject = partner.client_id
    extra = {"client_id": partner.client_id, "scope": scope or ""}
    token, ttl = issue_access_token(subject=subject, audience=OPEN_AUDIENCE, session_id=sid, assurance_level=level,
                                    extra=extra)
    db.session().add(OAuthToken(
        jti=sid, partner_id=partner.id, user_id=user.user_id if user else None,
        grant_id=user.grant_id if user else None, scope=scope or "",
        expires_at=utcnow() + timedelta(seconds=ttl),
    ))
    answer = {"token_type": "Bearer", "access_token": token, "expires_in": ttl, "scope": scope or ""}
    if user is not None and include_refresh_token and OFFLINE_ACCESS in scope_to_list(scope or ""):
        refresh = secrets.token_urlsafe(32)
        db.session().add(PartnerRefreshToken(
            token_hash=_code_hash(refresh), family_id=g.get("nht_refresh_family") or new_id(), partner_id=partner.id,
            user_id=user.user_id, grant_id=user.grant_id, scope=scope, auth_time=user.auth_time,
            expires_at=utcnow() + timedelta(seconds=current_app.config["REFRESH_TOKEN_TTL_SECONDS"])))
        answer["refresh_token"] = refresh
    return answer


def save_token(token, req):
    audit("partner.token_issued", actor=f"partner:{req.client.partner.id}", object_type="oauth_token",
          details={"grant_type": req.payload.grant_type, "scope": token.get("scope", "")})


class NhtAuthorizationServer(AuthorizationServer):
    """Authlib's server, answering an OAuth error where Authlib raises before its own handling
    (a plain-http request to a host that is not loopback raised InsecureTransportError: a 500)."""

    def create_token_response(self, request=None):
        try:
            return super().create_token_response(request)
        except InsecureTransportError as error:
            return self.handle_response(*error())

    def create_endpoint_response(self, name, request=None):
        try:
            return super().create_endpoint_response(name, request)
        except InsecureTransportError as error:
            return self.handle_response(*error())


def init_app(app) -> AuthorizationServer:
    server = NhtAuthorizationServer()
    server.init_app(app, query_client=query_client, save_token=save_token)
    server.register_token_generator("default", generate_token)
    server.register_client_auth_method(PrivateKeyJwt.CLIENT_AUTH_METHOD, PrivateKeyJwt())
    server.register_grant(AuthorizationCodeGrant, [S256Only(required=True), NhtOpenIDCode(require_nonce=False)])
    server.register_grant(ClientCredentialsGrant)
    server.register_grant(RefreshTokenGrant)
    server.register_endpoint(Revocation)
    server.scopes_supported = list(registry.ALL_SCOPES)
    app.extensions["nht.oauth_server"] = server
    return server


def server() -> AuthorizationServer:
    return current_app.extensions["nht.oauth_server"]


@db.unit_of_work()
def token_response():
    """The token endpoint's answer; the spent code and the issued token are one unit."""
    return server().create_token_response()


@db.unit_of_work()
def revocation_response():
    return server().create_endpoint_response("revocation")
