"""Authenticating partner calls to /open/v1: an OAuth access token, a signed request, or both.

Checked on every call, not only when the token was issued: the token row (revoked?), the
partner (suspended?), the consent grant behind a user token (revoked or expired?), the
scopes the operation needs, then the partner's rate limit and daily quota. A call that
carries both a token and a signature must be one partner's: a token is refused when
presented with another partner's credentials.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import request

from .. import db
from ..authorizations import PARTNER, live_grant
from ..errors import Forbidden, Unauthorized
from ..identity import decode_access_token, find_citizen
from ..kernel import Principal
from ..ratelimit import enforce
from . import registry, signatures
from .models import OAuthToken, Partner
from .oauth_clients import OPEN_AUDIENCE


@dataclass(frozen=True)
class PartnerCall:
    partner: Partner
    principal: Principal
    scopes: frozenset[str]
    user_id: str | None


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _refused(message: str, code: str, **kw):
    return Unauthorized(message, code=code, **kw)


def authenticate(scopes: tuple[str, ...], *, user: bool, signed_ok: bool) -> PartnerCall:
    token = _bearer()
    signed_by = None
    if signatures.present(request.headers):
        signed_by = signatures.verify(request.method, request.path, request.query_string.decode("latin-1"),
                                      request.headers, request.get_data(cache=True))
    row = None
    if token:
        claims = decode_access_token(token, (OPEN_AUDIENCE,))
        row = db.session().get(OAuthToken, claims.get("sid"))
        if row is None or row.revoked_at is not None:
            raise _refused("This access token was revoked.", "token_revoked")
        partner = db.session().get(Partner, row.partner_id)
        if partner is None or partner.client_id != claims.get("client_id"):
            raise _refused("The access token is not valid.", "invalid_token")
        if signed_by is not None and signed_by.id != partner.id:
            raise _refused("This access token was issued to another partner.", "token_partner_mismatch")
        if row.grant_id and live_grant(row.grant_id, grantee_kind=PARTNER, grantee_id=partner.id) is None:
            raise _refused("The user withdrew or let lapse the consent behind this token.", "consent_revoked")
        held = frozenset(row.scope.split())
    elif signed_by is not None and signed_ok:
        partner = signed_by
        held = frozenset(s for s in json.loads(partner.scopes) if s in registry.PARTNER_ONLY_SCOPES)
    elif signed_by is not None:
        raise _refused("This operation needs a user's access token (authorization code flow).", "user_token_required")
    else:
        raise _refused("Send an access token as 'Authorization: Bearer <token>' or sign the request (X-NHT-* headers)."
                       if signed_ok else "Send an access token as 'Authorization: Bearer <token>'.", "missing_token")
    if partner.status != "active":
        raise _refused("This partner is suspended.", "partner_suspended")
    user_id = row.user_id if row is not None else None
    if user and user_id is None:
        raise Forbidden("This operation reads a user's data: use a token from the authorization code flow.",
                        code="user_token_required")
    missing = [s for s in scopes if s not in held]
    if missing:
        raise Forbidden("The token lacks a scope this operation needs.", code="insufficient_scope",
                        details={"required": list(scopes), "missing": missing},
                        headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{" ".join(scopes)}"'})
    enforce(partner.rate_limit, "partner-rate", partner.id)
    enforce(f"{partner.daily_quota} per day", "partner-quota", partner.id)
    level = 0
    if user_id:
        citizen = find_citizen(user_id=user_id)
        level = citizen.assurance_level if citizen else 0
    principal = Principal(kind="partner", account_id=partner.id, session_id=row.jti if row else "signed",
                          audience=OPEN_AUDIENCE, assurance_level=level,
                          grant_id=row.grant_id if row is not None else None, for_citizen=user_id)
    return PartnerCall(partner=partner, principal=principal, scopes=held, user_id=user_id)
