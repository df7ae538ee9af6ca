"""Showing a licence (亮证): short-lived signed presentations, their QR codes, and verifying them.

A presentation is a compact JWS (ES256, our published keys at /.well-known/jwks.json,
``typ`` ``nht-presentation+jwt``) disclosing only the fields the holder chose. It names
no holder id, so two verifiers cannot join what they saw by it. Anyone can check the
signature offline; ``verify`` also checks that it was not revoked and that the licence
is still valid, and puts the verification in the holder's access log.
"""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta

import jwt
import segno
from flask import current_app
from sqlalchemy import bindparam, select
from sqlalchemy.orm import defer

from .. import db
from ..audit.service import record as audit
from ..authorizations import record_access
from ..errors import NotFound, ValidationFailed
from ..identity import keyring, token_algorithm, unverified_header
from ..kernel import Principal
from ..timeutil import as_utc, isoformat, utcnow
from .models import Licence, Presentation
from .service import effective_status, get_licence, licence_resource, licence_type

TOKEN_TYPE = "nht-presentation+jwt"
# Beyond the licence's own fields, these can be disclosed too.
HEADLINE_FIELDS = ("holder_name", "number")


def disclosable(licence: Licence) -> list[str]:
    return [*HEADLINE_FIELDS, *sorted(json.loads(licence.fields))]


def _value(licence: Licence, name: str):
    if name == "holder_name":
        return licence.holder_name
    if name == "number":
        return licence.number
    return json.loads(licence.fields)[name]


@db.unit_of_work()
def create(principal: Principal, licence_id: str, fields: list[str], ttl_seconds: int) -> Presentation:
    licence = get_licence(principal, licence_id, action="licences:present")
    if effective_status(licence) != "valid":
        raise ValidationFailed({"licence": ["The licence is {status}; it cannot be shown.".format(status=effective_status(licence))]})
    unknown = sorted(set(fields) - set(disclosable(licence)))
    if unknown:
        raise ValidationFailed({"fields": ["Not fields of this licence: {unknown}. Choose from: {choices}.".format(
            unknown=", ".join(unknown), choices=", ".join(disclosable(licence)))]})
    now = int(time.time())
    presentation = Presentation(licence_id=licence.id, disclosed=json.dumps(sorted(set(fields))),
                                created_by=principal.audit_name, expires_at=utcnow() + timedelta(seconds=ttl_seconds),
                                token="")
    session = db.session()
    session.add(presentation)
    session.flush()
    algorithm = token_algorithm()
    kid, private = keyring().signing_key(algorithm)
    presentation.token = jwt.encode({
        "iss": current_app.config["ISSUER"],
        "jti": presentation.id,
        "iat": now,
        "exp": now + ttl_seconds,
        "licence": {"type_code": licence.type_code, "type_name": licence_type(licence.type_code).name,
                    "issuer_name": licence.issuer_name, "valid_until": licence.valid_until},
        "disclosed": {name: _value(licence, name) for name in sorted(set(fields))},
    }, private, algorithm=algorithm, headers={"kid": kid, "typ": TOKEN_TYPE})
    audit("licence.presented", object_type="licence", object_id=licence.id,
          details={"presentation_id": presentation.id, "fields": sorted(set(fields)), "ttl_seconds": ttl_seconds})
    return presentation


def _own(principal: Principal, licence_id: str, presentation_id: str | None = None):
    licence = get_licence(principal, licence_id, action="licences:present")
    if presentation_id is None:
        return licence, None
    presentation = db.session().get(Presentation, presentation_id)
    if presentation is None or presentation.licence_id != licence.id:
        raise NotFound("No such presentation.", code="presentation_not_found")
    return licence, presentation


def live(principal: Principal, licence_id: str) -> list[Presentation]:
    licence, _ = _own(principal, licence_id)
    return db.session().execute(
        select(Presentation).where(Presentation.licence_id == licence.id, Presentation.revoked_at.is_(None),
                                   Presentation.expires_at > utcnow()).order_by(Presentation.created_at.desc())
    ).scalars().all()


@db.unit_of_work()
def revoke(principal: Principal, licence_id: str, presentation_id: str) -> Presentation:
    _, presentation = _own(principal, licence_id, presentation_id)
    if presentation.revoked_at is None:
        presentation.revoked_at = utcnow()
        audit("licence.presentation_revoked", object_type="presentation", object_id=presentation.id)
    return presentation


def qr_code(principal: Principal, licence_id: str, presentation_id: str, kind: str) -> bytes:
    _, presentation = _own(principal, licence_id, presentation_id)
    qr = segno.make(presentation.token, error="m")
    out = io.BytesIO()
    if kind == "png":
        qr.save(out, kind="png", scale=4, border=4)
    else:
        qr.save(out, kind="svg", scale=4, border=4, xmldecl=False)
    return out.getvalue()


# What a verification reads, in one query built once: the token already carries the
# disclosed values, so the encrypted columns are neither decrypted nor even fetched
# (reading one would raise).
_VERIFY_READ = (
    select(Presentation, Licence).join(Licence, Licence.id == Presentation.licence_id)
    .where(Presentation.id == bindparam("presentation_id"))
    .options(defer(Presentation.token, raiseload=True), defer(Licence.number, raiseload=True),
             defer(Licence.holder_name, raiseload=True), defer(Licence.fields, raiseload=True)))


def verify(verifier: Principal, token: str) -> dict:
    """Whether a presented token is authentic, unexpired, unrevoked, and its licence valid."""
    try:
        header = unverified_header(token)
        entry = keyring().public_entry(header.get("kid", "")) if header.get("typ") == TOKEN_TYPE else None
        if entry is None:
            return {"valid": False, "reason": "not_a_presentation"}
        key, _, algorithm = entry  # the key's own algorithm, never the header's
        claims = jwt.decode(token, key, algorithms=[algorithm], issuer=current_app.config["ISSUER"],
                            options={"require": ["iss", "jti", "iat", "exp"]})
    except jwt.ExpiredSignatureError:
        return {"valid": False, "reason": "expired"}
    except (jwt.InvalidTokenError, ValueError, TypeError, AttributeError):
        return {"valid": False, "reason": "bad_signature"}
    found = db.session().execute(_VERIFY_READ, {"presentation_id": claims["jti"]}).first()
    if found is None:
        return {"valid": False, "reason": "unknown"}
    presentation, licence = found
    # Recorded whatever the outcome: the holder sees every check of what they showed.
    db.keep_as_evidence(record_access, licence_resource(licence), accessor=verifier, acting_as="verifier",
                        action="licences:verify")
    outcome = {"valid": True, "reason": None}
    if presentation.revoked_at is not None:
        outcome = {"valid": False, "reason": "revoked"}
    elif effective_status(licence) != "valid":
        outcome = {"valid": False, "reason": f"licence_{effective_status(licence)}"}
    if not outcome["valid"]:
        return outcome
    return {**outcome, "licence": claims["licence"], "disclosed": claims["disclosed"],
            "expires_at": isoformat(as_utc(presentation.expires_at))}
