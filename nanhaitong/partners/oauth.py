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

import json
import secrets
from datetime import timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import InsecureTransportError
from authlib.oauth2.rfc6749.authorization_server import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from flask import current_app, g

from .. import db
from ..audit.service import record as audit
from ..identity import find_citizen, issue_access_token
from ..ids import new_id
from ..timeutil import utcnow
from . import registry
from .models import OAuthToken, Partner, PartnerRefreshToken
from .oauth_clients import OFFLINE_ACCESS, OPEN_AUDIENCE, PrivateKeyJwt, pairwise_subject, query_client
from .oauth_grants import (
    AuthorizationCodeGrant,
    ClientCredentialsGrant,
    NhtOpenIDCode,
    RefreshTokenGrant,
    S256Only,
    code_hash,
)


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
            token_hash=code_hash(refresh), family_id=g.get("nht_refresh_family") or new_id(), partner_id=partner.id,
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
