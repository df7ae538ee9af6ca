"""Partners as Authlib sees them: the client, the consenting user, the pairwise subject, and
``private_key_jwt`` client authentication."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

from authlib.oauth2.rfc6749 import ClientMixin, InvalidClientError
from authlib.oauth2.rfc6749.authorization_server import scope_to_list
from authlib.oauth2.rfc7523 import JWTBearerClientAssertion
from flask import current_app, g
from joserfc import jwt as jose_jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from ..clients import clients
from ..identity import TOKEN_ALGORITHM as ALGORITHM
from . import registry, replay
from .models import Partner

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
