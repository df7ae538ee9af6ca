"""The grants partners use: authorization code with PKCE and OpenID Connect, client
credentials, and rotating refresh tokens (whose family a withdrawn consent ends)."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import timedelta

import jwt as pyjwt
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core.grants import OpenIDCode
from flask import current_app, g
from joserfc.jwk import ECKey
from sqlalchemy import update

from .. import db, events
from ..audit.service import record as audit
from ..authorizations import PARTNER, live_grant
from ..identity import SM2_TOKEN_ALGORITHM as SM2_ALGORITHM
from ..identity import TOKEN_ALGORITHM as ALGORITHM
from ..identity import find_citizen, keyring
from ..timeutil import as_utc, utcnow
from .models import OAuthCode, PartnerRefreshToken
from .oauth_clients import CODE_TTL_SECONDS, ConsentingUser, pairwise_subject


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "private_key_jwt"]

    def save_authorization_code(self, code, req):
        consent = g.nht_consent  # set by the consent view: the user, the grant, the approved scopes
        db.session().add(OAuthCode(
            code_hash=code_hash(code), partner_id=req.client.partner.id, user_id=consent["user_id"],
            grant_id=consent["grant_id"], redirect_uri=req.payload.redirect_uri or "",
            scope=consent["scope"], nonce=req.payload.data.get("nonce"),
            code_challenge=req.payload.data.get("code_challenge"),
            code_challenge_method=req.payload.data.get("code_challenge_method") or "S256",
            auth_time=consent["auth_time"], expires_at=utcnow() + timedelta(seconds=CODE_TTL_SECONDS),
        ))

    def query_authorization_code(self, code, client):
        row = db.session().get(OAuthCode, code_hash(code or ""))
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
        row = db.session().get(PartnerRefreshToken, code_hash(refresh_token or ""))
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
