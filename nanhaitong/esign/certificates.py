"""Signing certificates and seals: issuing, renewing, revoking and listing certificates
(ECDSA under the international suite, SM2 under the national one; a certificate keeps its
algorithm), the seal images bound to an enterprise's seal certificates, and who may use them.

Who may do what is asked of ``authorize``: a personal certificate is its citizen's alone
(``esign:sign``, not grantable); an enterprise's seal certificates and seal images are
managed by its legal representative (``esign:manage``); applying the seal needs
``esign:seal`` (the legal representative's role, or a grant to a face-verified member).
"""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize, permitted
from ..errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from ..identity import certificate_subject
from ..kernel import Principal
from ..messages import service as messages
from ..security import sm2
from ..sms_templates import inbox_text
from ..timeutil import as_utc, isoformat, utcnow
from . import ca, gbt38540, national, pdf, pki, sm2_pki, sm2_status
from .models import Seal, SigningCertificate

MAX_SEAL_PNG_BYTES = 512 * 1024
MAX_SEAL_PIXELS = 2000


class PayloadTooLarge(AppError):
    status, code, message = 413, "payload_too_large", "The file is larger than this endpoint accepts."


class UnsupportedMedia(AppError):
    status, code, message = 415, "unsupported_media_type", "Send the file as multipart/form-data."


# -- resources -----------------------------------------------------------------------

def cert_resource(cert: SigningCertificate) -> Resource:
    return Resource(type="esign_certificate", owner_kind=cert.owner_kind, owner_id=cert.owner_id, id=cert.id)


def use_action(owner_kind: str) -> str:
    """The action signing with a certificate of this owner asks (for detached signatures too)."""
    return "esign:sign" if owner_kind == "citizen" else "esign:seal"


def manage_action(owner_kind: str) -> str:
    return "esign:sign" if owner_kind == "citizen" else "esign:manage"


def _owner(principal: Principal, enterprise_id: str | None) -> tuple[str, str]:
    """Whose certificates: the enterprise named (or acted for), else the citizen acted as."""
    if enterprise_id:
        return "enterprise", enterprise_id
    return principal.subject


def get_certificate(principal: Principal, certificate_id: str, *, manage: bool = False,
                    record_use: bool = True, sensitive: bool = False) -> SigningCertificate:
    cert = db.session().get(SigningCertificate, certificate_id)
    if cert is None:
        raise NotFound("No such esign_certificate.", code="esign_certificate_not_found")
    action = manage_action(cert.owner_kind) if manage else use_action(cert.owner_kind)
    authorize(principal, action, cert_resource(cert), record_use=record_use, sensitive=sensitive)
    return cert


def check_usable(cert: SigningCertificate) -> None:
    """409 unless the certificate may sign now: checked when asked and again when confirmed."""
    if cert.status != "active":
        raise Conflict("The certificate is revoked.", code="certificate_revoked")
    if as_utc(cert.not_after) <= utcnow():
        raise Conflict("The certificate has expired.", code="certificate_expired")


def national_suite() -> bool:
    return current_app.config["CRYPTO_SUITE"] == "national"


def is_sm2(cert: SigningCertificate) -> bool:
    """Whether the certificate is SM3withSM2 (issued under the national suite). A certificate
    keeps its algorithm for life: after a switch of suite, those issued before it still sign
    the way they were made to, until renewed."""
    return pki.load_cert(cert.certificate_pem).signature_algorithm_oid.dotted_string == gbt38540.SM3_WITH_SM2


def der_of(cert: SigningCertificate) -> bytes:
    return pki.load_cert(cert.certificate_pem).public_bytes(pki.serialization.Encoding.DER)


def signer_sm2_key(cert: SigningCertificate) -> sm2.SM2PrivateKey:
    """An SM2 certificate's private key (stored as SEC 1 PEM, encrypted at rest)."""
    return sm2.SM2PrivateKey.from_pem(cert.private_key)


def signer_key_pair(cert: SigningCertificate) -> pdf.KeyPair:
    """The certificate's key with the chain up to the platform CA, as the PDF and CMS signers take it."""
    issuing = ca.key_pair("issuing")
    return pdf.KeyPair(pki.load_cert(cert.certificate_pem), pki.load_key(cert.private_key),
                       (issuing.certificate, *issuing.chain))


# -- certificates --------------------------------------------------------------------

def issue_certificate(principal: Principal, kind: str, enterprise_id: str | None) -> SigningCertificate:
    if kind == "personal":
        owner_kind, owner_id = principal.subject
        if enterprise_id or owner_kind != "citizen":
            raise ValidationFailed({"kind": ["A personal certificate is for a citizen: use your personal token, "
                                             "without enterprise_id."]})
    else:
        owner_kind, owner_id = _owner(principal, enterprise_id)
        if owner_kind != "enterprise":
            raise ValidationFailed({"enterprise_id": ["Name the enterprise (or act for it) to get its seal "
                                                      "certificate."]})
    resource = Resource(type="esign_certificate", owner_kind=owner_kind, owner_id=owner_id)
    # Sensitive: a signing key made in the person's name, their ID number in its certificate.
    authorize(principal, manage_action(owner_kind), resource, sensitive=True)
    ca.ensure()  # made on first use, in a transaction of its own
    with db.unit_of_work():
        row = _new_certificate(principal, owner_kind, owner_id)
        audit("esign.certificate_issued", object_type="esign_certificate", object_id=row.id,
              on_behalf_of=f"{owner_kind}:{owner_id}", details={"kind": row.kind, "serial": row.serial})
    return row


def _new_certificate(principal: Principal, owner_kind: str, owner_id: str,
                     replaces: SigningCertificate | None = None) -> SigningCertificate:
    """A new key and certificate for the owner (their name as verified today), flushed."""
    subject = certificate_subject(owner_kind, owner_id)
    if subject is None:
        raise Forbidden("Verify your real name first: the certificate names you.", code="assurance_level_required",
                        details={"required": 2})
    if national_suite():
        cert, private_pem = _new_sm2_certificate(owner_kind, owner_id, subject)
    else:
        cert, private_pem = _new_international_certificate(owner_kind, owner_id, subject)
    row = SigningCertificate(
        kind="personal" if owner_kind == "citizen" else "seal", owner_kind=owner_kind, owner_id=owner_id,
        serial=format(cert.serial_number, "x"), subject=cert.subject.rfc4514_string(),
        certificate_pem=pki.cert_pem(cert), private_key=private_pem, status="active",
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, requested_by=principal.audit_name,
        replaces_id=replaces.id if replaces is not None else None)
    session = db.session()
    session.add(row)
    session.flush()
    return row


def _new_sm2_certificate(owner_kind: str, owner_id: str, subject: dict):
    """An SM2 key and an SM3withSM2 certificate from the national suite's issuing CA."""
    key = sm2.SM2PrivateKey.generate()
    issued = national.issue(key.public_der(), subject["name"], days=2 * 365,
                            organization=subject["name"] if owner_kind == "enterprise" else None,
                            organization_identifier=subject.get("uscc") if owner_kind == "enterprise" else None)
    return pki.load_cert(sm2_pki.pem(issued).decode()), key.private_pem()


def _new_international_certificate(owner_kind: str, owner_id: str, subject: dict):
    issuing = ca.key_pair("issuing")
    key = pki.new_key()
    if owner_kind == "citizen":
        cert = pki.make_signing_cert(key.public_key(), issuing.certificate, issuing.private_key,
                                     common_name=subject["name"], serial_number=f"NHT-{owner_id}",
                                     pointers=ca.pointers("issuing"))
    else:
        cert = pki.make_signing_cert(key.public_key(), issuing.certificate, issuing.private_key,
                                     common_name=subject["name"], organization=subject["name"],
                                     organization_identifier=subject["uscc"], pointers=ca.pointers("issuing"))
    return cert, pki.key_pem(key)


def renew_certificate(principal: Principal, certificate_id: str) -> SigningCertificate:
    """A new key and certificate in place of an active one, which is revoked as ``superseded``
    (signatures made with it stay valid: they were made before). Its seals move to the new one."""
    ca.ensure()
    with db.unit_of_work():
        old = get_certificate(principal, certificate_id, manage=True, sensitive=True)
        check_usable(old)
        session = db.session()
        new = _new_certificate(principal, old.owner_kind, old.owner_id, replaces=old)
        for seal in session.execute(select(Seal).where(Seal.certificate_id == old.id,
                                                       Seal.status == "active")).scalars():
            seal.certificate_id = new.id
        _revoke(old, "superseded", None)
        audit("esign.certificate_renewed", object_type="esign_certificate", object_id=new.id,
              on_behalf_of=f"{new.owner_kind}:{new.owner_id}",
              details={"serial": new.serial, "replaces": old.id, "replaced_serial": old.serial})
        notify = messages.notify_user if new.owner_kind == "citizen" else messages.notify_enterprise
        title, body = inbox_text("certificate_renewed", serial=new.serial[:16])
        notify(new.owner_id, topic="esign", title=title, body=body,
               data={"certificate_id": new.id, "replaces": old.id}, dedupe_key=f"esign:renewed:{new.id}")
    return new


def list_certificates(principal: Principal, enterprise_id: str | None, *, limit: int,
                      cursor: str | None) -> tuple[list[SigningCertificate], str | None]:
    owner_kind, owner_id = _owner(principal, enterprise_id)
    resource = Resource(type="esign_certificate", owner_kind=owner_kind, owner_id=owner_id)
    if not (permitted(principal, use_action(owner_kind), resource)
            or permitted(principal, manage_action(owner_kind), resource)):
        authorize(principal, use_action(owner_kind), resource)  # raises, and audits the refusal
    query = select(SigningCertificate).where(SigningCertificate.owner_kind == owner_kind,
                                             SigningCertificate.owner_id == owner_id)
    if cursor:
        query = query.where(SigningCertificate.id > cursor)
    rows = db.session().execute(query.order_by(SigningCertificate.id).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def revoke_certificate(principal: Principal, certificate_id: str, reason: str | None,
                       invalidity_date=None) -> SigningCertificate:
    """Put a certificate on the CRL (and the OCSP answers) at once and retire its seals. A
    ``key_compromise`` may name since when the key is suspected compromised
    (``invalidity_date``): signatures made before then stay valid, those after do not."""
    if invalidity_date is not None:
        invalidity_date = as_utc(invalidity_date)
        if reason != "key_compromise":
            raise ValidationFailed({"invalidity_date": ["Only a key compromise has an invalidity date."]})
        if invalidity_date > utcnow():
            raise ValidationFailed({"invalidity_date": ["The invalidity date cannot be in the future."]})
    ca.ensure()
    with db.unit_of_work():
        cert = get_certificate(principal, certificate_id, manage=True)
        if cert.status == "revoked":
            return cert
        _revoke(cert, reason, invalidity_date)
    return cert


def _revoke(cert: SigningCertificate, reason: str | None, invalidity_date) -> None:
    # CRLs and OCSP answers carry whole seconds: the revocation is dated at the next full
    # second, so a signature timestamped earlier in the same second stays before it.
    now = utcnow()
    revoked_at = now.replace(microsecond=0) + timedelta(seconds=1) if now.microsecond else now
    cert.status, cert.revoked_at, cert.revocation_reason = "revoked", revoked_at, reason or "unspecified"
    cert.invalidity_date = invalidity_date
    session = db.session()
    if reason != "superseded":  # a renewal moves the seals to the new certificate instead
        for seal in session.execute(select(Seal).where(Seal.certificate_id == cert.id,
                                                       Seal.status == "active")).scalars():
            seal.status = "retired"
    session.flush()
    if is_sm2(cert):
        sm2_status.refresh_crl()
    else:
        ca.refresh_crl()
    audit("esign.certificate_revoked", object_type="esign_certificate", object_id=cert.id,
          on_behalf_of=f"{cert.owner_kind}:{cert.owner_id}",
          details={"serial": cert.serial, "reason": cert.revocation_reason,
                   "invalidity_date": isoformat(invalidity_date) if invalidity_date else None})
    notify = messages.notify_user if cert.owner_kind == "citizen" else messages.notify_enterprise
    title, body = inbox_text("certificate_revoked", serial=cert.serial[:16])
    notify(cert.owner_id, topic="esign", title=title, body=body, data={"certificate_id": cert.id},
           dedupe_key=f"esign:revoked:{cert.id}")


# -- seals ---------------------------------------------------------------------------

def _check_png(data: bytes) -> None:
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_SEAL_PNG_BYTES:
        raise PayloadTooLarge("The seal image is larger than %(max_bytes)s bytes.",
                              details={"max_bytes": MAX_SEAL_PNG_BYTES})
    try:
        image = Image.open(io.BytesIO(data))
        if image.format != "PNG":
            raise ValueError("not a PNG")
        if max(image.size) > MAX_SEAL_PIXELS:
            raise ValidationFailed({"image": ["At most {pixels} pixels a side.".format(pixels=MAX_SEAL_PIXELS)]})
        image.load()
    except ValidationFailed:
        raise
    except (UnidentifiedImageError, ValueError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationFailed({"image": ["Not a valid PNG image."]}, code="image_not_png") from None


@db.unit_of_work()
def register_seal(principal: Principal, certificate_id: str, name: str, image: bytes) -> Seal:
    cert = get_certificate(principal, certificate_id, manage=True)
    if cert.kind != "seal":
        raise ValidationFailed({"certificate_id": ["A seal is bound to an enterprise seal certificate."]})
    check_usable(cert)
    _check_png(image)
    seal = Seal(enterprise_id=cert.owner_id, certificate_id=cert.id, name=name, image_png=image,
                created_by=principal.audit_name)
    session = db.session()
    session.add(seal)
    session.flush()
    audit("esign.seal_registered", object_type="esign_seal", object_id=seal.id,
          on_behalf_of=f"enterprise:{cert.owner_id}", details={"certificate_id": cert.id,
                                                               "sha256": hashlib.sha256(image).hexdigest()})
    return seal


def list_seals(principal: Principal, enterprise_id: str | None) -> list[Seal]:
    owner_kind, owner_id = _owner(principal, enterprise_id)
    if owner_kind != "enterprise":
        raise ValidationFailed({"enterprise_id": ["Name the enterprise (or act for it)."]})
    resource = Resource(type="esign_seal", owner_kind=owner_kind, owner_id=owner_id)
    if not permitted(principal, "esign:manage", resource):
        authorize(principal, "esign:seal", resource)
    return db.session().execute(select(Seal).where(Seal.enterprise_id == owner_id).order_by(Seal.id)).scalars().all()


