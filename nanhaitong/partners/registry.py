"""The partner registry: operators register, rotate, suspend and reinstate partner platforms.

Credentials are shown once, when made: ``client_secret`` (OAuth client_secret_basic; kept
as its SHA-256), and the signed-request ``app_id`` + ``hmac_secret`` and the webhook
secret (kept encrypted: we must recompute signatures with them).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from urllib.parse import urlsplit

from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..authorizations import PARTNER, SCOPES
from ..clients import clients
from ..errors import N_, Conflict, NotFound, ValidationFailed
from ..timeutil import utcnow
from .models import Partner, WebhookSubscription

# Scopes a partner may hold: those a user may consent to (the scope table's PARTNER
# grantees), "openid" for ID tokens, and partner-only ones (client credentials).
CONSENT_SCOPES = tuple(sorted(name for name, rule in SCOPES.items() if PARTNER in rule.grantees))
PARTNER_ONLY_SCOPES = ("licences:verify", "esign:envelopes")
ALL_SCOPES = ("openid", "offline_access", *CONSENT_SCOPES, *PARTNER_ONLY_SCOPES)
AUTH_METHODS = ("client_secret_basic", "private_key_jwt")
WEBHOOK_EVENTS = ("application.status_changed", "consent.revoked", "esign.envelope_changed")


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_client_secret(partner: Partner, secret: str) -> bool:
    return hmac.compare_digest(partner.client_secret_hash, _secret_hash(secret or ""))


def _check_url(url: str, *, allow_http_loopback: bool = True) -> str | None:
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError:
        return N_("is not a URL")
    if parts.fragment:
        return N_("must not have a fragment")
    if parts.scheme == "https" and hostname:
        return None
    if parts.scheme == "http" and allow_http_loopback and hostname in ("127.0.0.1", "localhost", "::1"):
        return None
    return N_("must be https (http only for loopback)")


def check_partner_url(url: str) -> str | None:
    """A URL we will call (jwks_uri, webhook URLs): https to a public address; loopback only
    where NHT_PARTNER_URLS_ALLOW_LOOPBACK is on (development and tests). The address a name
    resolves to is checked again when the call connects (integrations.partner_http)."""
    return clients().partner_http.check_url(url)


def _validate(body: dict, partial: bool = False) -> None:
    problems: dict[str, list[str]] = {}
    for uri in body.get("redirect_uris") or []:
        problem = _check_url(uri)
        if problem:
            problems.setdefault("redirect_uris", []).append(f"{uri}: {problem}")
    if not partial and not body.get("redirect_uris"):
        problems["redirect_uris"] = ["At least one redirect URI."]
    scopes = body.get("scopes")
    if scopes is not None:
        unknown = sorted(set(scopes) - set(ALL_SCOPES))
        if unknown:
            problems["scopes"] = ["Unknown scopes: {unknown}. Choose from: {choices}.".format(
                unknown=", ".join(unknown), choices=", ".join(ALL_SCOPES))]
    if body.get("optional_scopes") and scopes is not None:
        stray = sorted(set(body["optional_scopes"]) - set(scopes))
        if stray:
            problems["optional_scopes"] = ["Not among scopes: {scopes}.".format(scopes=", ".join(stray))]
        if "openid" in body["optional_scopes"]:
            problems["optional_scopes"] = ["openid cannot be optional."]
    method = body.get("auth_method")
    if method == "private_key_jwt" and not (body.get("jwks") or body.get("jwks_uri")):
        problems["jwks"] = ["private_key_jwt needs the partner's public keys: jwks or jwks_uri."]
    if body.get("jwks") is not None:
        keys = body["jwks"].get("keys") if isinstance(body["jwks"], dict) else None
        if not isinstance(keys, list) or not keys or not all(
                isinstance(k, dict) and k.get("kty") == "EC" and k.get("crv") == "P-256" and "d" not in k
                for k in keys):
            problems["jwks"] = ["A JWK set of public P-256 (ES256) keys: {\"keys\": [...]}."]
    for name in ("jwks_uri", "webhook_url"):
        if body.get(name):
            problem = check_partner_url(body[name])
            if problem:
                problems[name] = [problem]
    if problems:
        raise ValidationFailed(problems)


def _new_credentials(partner: Partner) -> dict:
    client_secret = secrets.token_urlsafe(32)
    hmac_secret = secrets.token_urlsafe(32)
    webhook_secret = "whsec_" + secrets.token_urlsafe(32)
    partner.client_secret_hash = _secret_hash(client_secret)
    partner.hmac_secret = hmac_secret
    partner.webhook_secret = webhook_secret
    return {"client_secret": client_secret, "hmac_secret": hmac_secret, "webhook_secret": webhook_secret}


@db.unit_of_work()
def create(body: dict, *, actor: str | None = None) -> tuple[Partner, dict]:
    _validate(body)
    partner = Partner(
        name=body["name"], purpose=body.get("purpose") or body["name"],
        client_id="nhtp_" + secrets.token_hex(12), app_id="nhta_" + secrets.token_hex(12),
        redirect_uris=json.dumps(body["redirect_uris"]), scopes=json.dumps(sorted(set(body["scopes"]))),
        optional_scopes=json.dumps(sorted(set(body.get("optional_scopes") or []))),
        auth_method=body.get("auth_method") or "client_secret_basic",
        id_token_alg=None if body.get("id_token_signed_response_alg", "ES256") == "ES256" else "SM2SM3",
        jwks=json.dumps(body["jwks"]) if body.get("jwks") else None, jwks_uri=body.get("jwks_uri"),
        webhook_url=body.get("webhook_url"), rate_limit=body.get("rate_limit") or "120 per minute",
        daily_quota=body.get("daily_quota") or 10000, status="active",
    )
    partner.sector = body.get("sector") or partner.client_id
    credentials = _new_credentials(partner)
    session = db.session()
    session.add(partner)
    session.flush()
    if partner.webhook_url:
        session.add(WebhookSubscription(partner_id=partner.id, url=partner.webhook_url,
                                        events=json.dumps(list(WEBHOOK_EVENTS))))
    audit("partner.created", actor=actor, object_type="partner", object_id=partner.id,
          details={"name": partner.name, "scopes": json.loads(partner.scopes)})
    return partner, credentials


def get(partner_id: str) -> Partner:
    partner = db.session().get(Partner, partner_id)
    if partner is None:
        raise NotFound("No such partner.", code="partner_not_found")
    return partner


def display_name(partner_id: str) -> str | None:
    """How a partner is shown to users (their grants, their access log)."""
    partner = db.session().get(Partner, partner_id)
    return partner.name if partner else None


def by_client_id(client_id: str) -> Partner | None:
    if not isinstance(client_id, str) or len(client_id) > 48:
        return None
    return db.session().execute(select(Partner).where(Partner.client_id == client_id)).scalar_one_or_none()


def by_app_id(app_id: str) -> Partner | None:
    if not isinstance(app_id, str) or len(app_id) > 48:
        return None
    return db.session().execute(select(Partner).where(Partner.app_id == app_id)).scalar_one_or_none()


def list_partners(*, limit: int, cursor: str | None) -> tuple[list[Partner], str | None]:
    query = select(Partner)
    if cursor:
        query = query.where(Partner.id < cursor)
    rows = db.session().execute(query.order_by(Partner.id.desc()).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


@db.unit_of_work()
def update(partner_id: str, body: dict, *, actor: str | None = None) -> Partner:
    partner = get(partner_id)
    merged = {"scopes": json.loads(partner.scopes), "optional_scopes": json.loads(partner.optional_scopes),
              "auth_method": partner.auth_method, "jwks": json.loads(partner.jwks) if partner.jwks else None,
              "jwks_uri": partner.jwks_uri, **body}
    _validate(merged, partial=True)
    for name in ("name", "purpose", "jwks_uri", "webhook_url", "rate_limit", "daily_quota", "auth_method"):
        if name in body:
            setattr(partner, name, body[name])
    for name in ("redirect_uris", "scopes", "optional_scopes"):
        if name in body:
            setattr(partner, name, json.dumps(sorted(set(body[name])) if name != "redirect_uris" else body[name]))
    if "jwks" in body:
        partner.jwks = json.dumps(body["jwks"]) if body["jwks"] else None
    if "id_token_signed_response_alg" in body:
        partner.id_token_alg = None if body["id_token_signed_response_alg"] == "ES256" else "SM2SM3"
    audit("partner.updated", actor=actor, object_type="partner", object_id=partner.id,
          details={"fields": sorted(body)})
    return partner


@db.unit_of_work()
def rotate(partner_id: str, *, actor: str | None = None) -> tuple[Partner, dict]:
    """New client secret, HMAC secret and webhook secret; the old ones stop working at once."""
    partner = get(partner_id)
    credentials = _new_credentials(partner)
    partner.credentials_rotated_at = utcnow()
    audit("partner.credentials_rotated", actor=actor, object_type="partner", object_id=partner.id)
    return partner, credentials


@db.unit_of_work()
def set_status(partner_id: str, status: str, *, actor: str | None = None) -> Partner:
    """Suspend (every token and signature refused on the next call) or reinstate."""
    partner = get(partner_id)
    if partner.status == status:
        return partner
    if status not in ("active", "suspended"):
        raise Conflict("Unknown status.", code="invalid_status")
    partner.status = status
    partner.suspended_at = utcnow() if status == "suspended" else None
    audit(f"partner.{'suspended' if status == 'suspended' else 'reinstated'}", actor=actor,
          object_type="partner", object_id=partner.id)
    return partner
