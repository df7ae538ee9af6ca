"""Signing certificates, seals, signing requests, verification and detached signatures.

Who may do what is asked of ``authorize``: a personal certificate is its citizen's alone
(``esign:sign``, not grantable); an enterprise's seal certificates and seal images are
managed by its legal representative (``esign:manage``); applying the seal needs
``esign:seal`` (the legal representative's role, or a grant to a face-verified member).
A use by anyone but the legal representative lands in the enterprise's access log.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import db, identity
from ..audit.service import record as audit
from ..authorizations import Resource, authorize, permitted, record_access
from ..errors import AppError, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from ..identity import certificate_subject, member_role, phone_of
from ..kernel import Principal
from ..messages import service as messages
from ..security import sm2
from ..sms_templates import inbox_text
from ..timeutil import CHINA_STANDARD_TIME, as_utc, isoformat, utcnow
from . import ca, gbt38540, national, pdf, pdf_ses, pki, sm2_pki
from .models import Seal, SigningCertificate, SigningRequest

MAX_CONFIRM_ATTEMPTS = 5
MAX_SEAL_PNG_BYTES = 512 * 1024
MAX_SEAL_PIXELS = 2000


class PayloadTooLarge(AppError):
    status, code, message = 413, "payload_too_large", "The file is larger than this endpoint accepts."


class UnsupportedMedia(AppError):
    status, code, message = 415, "unsupported_media_type", "Send the file as multipart/form-data."


def bad_pdf(error: pdf.BadPdf, field: str = "file") -> ValidationFailed:
    return ValidationFailed({field: [str(error)]}, message=str(error), code=f"pdf_{error.reason}")


def check_pdf_size(data: bytes) -> None:
    limit = current_app.config["ESIGN_MAX_PDF_BYTES"]
    if len(data) > limit:
        raise PayloadTooLarge("The PDF is larger than %(max_bytes)s bytes.", details={"max_bytes": limit})
    if not data:
        raise ValidationFailed({"file": ["The file is empty."]})


# -- resources -----------------------------------------------------------------------

def _cert_resource(cert: SigningCertificate) -> Resource:
    return Resource(type="esign_certificate", owner_kind=cert.owner_kind, owner_id=cert.owner_id, id=cert.id)


def use_action(owner_kind: str) -> str:
    """The action signing with a certificate of this owner asks (for detached signatures too)."""
    return "esign:sign" if owner_kind == "citizen" else "esign:seal"


def _manage_action(owner_kind: str) -> str:
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
    action = _manage_action(cert.owner_kind) if manage else use_action(cert.owner_kind)
    authorize(principal, action, _cert_resource(cert), record_use=record_use, sensitive=sensitive)
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
    return sm2.SM2PrivateKey.from_der(base64.b64decode("".join(cert.private_key.strip().splitlines()[1:-1])))


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
    authorize(principal, _manage_action(owner_kind), resource, sensitive=True)
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
    body = base64.encodebytes(key.private_der()).decode()
    private_pem = f"-----BEGIN EC PRIVATE KEY-----\n{body}-----END EC PRIVATE KEY-----\n"
    return pki.load_cert(sm2_pki.pem(issued).decode()), private_pem


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
            or permitted(principal, _manage_action(owner_kind), resource)):
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


# -- signing requests ----------------------------------------------------------------

def _request_resource(request_row: SigningRequest, step: str | None = None) -> Resource:
    # A step (confirming, resending the code) is the requester's alone: the decision checks it.
    attrs = {"requester": request_row.requested_by, "step": step} if step else {}
    return Resource(type="signing_request", owner_kind=request_row.owner_kind, owner_id=request_row.owner_id,
                    id=request_row.id, attrs=attrs)


def get_request(principal: Principal, request_id: str, *, record_use: bool = True,
                step: str | None = None) -> SigningRequest:
    """The request, for whoever may sign with its certificate; with ``step`` ("confirm",
    "resend_code"), for the signer who asked only (403 not_the_signer for the others)."""
    row = db.session().get(SigningRequest, request_id)
    if row is None:
        raise NotFound("No such signing_request.", code="signing_request_not_found")
    authorize(principal, use_action(row.owner_kind), _request_resource(row, step), record_use=record_use)
    return row


def create_request(principal: Principal, *, certificate_id: str, document: bytes | None, file_name: str | None,
                   previous_request_id: str | None, stamp: dict | None, seal_id: str | None,
                   reason: str | None, envelope_id: str | None = None) -> SigningRequest:
    cert = get_certificate(principal, certificate_id, record_use=False, sensitive=True)
    check_usable(cert)
    if (document is None) == (previous_request_id is None):
        raise ValidationFailed({"file": ["Upload a PDF, or name previous_request_id (not both)."]})
    if previous_request_id:
        previous = get_request(principal, previous_request_id, record_use=False)
        if previous.status != "signed":
            raise Conflict("The previous signing request is not signed yet.", code="previous_not_signed")
        document, file_name = base64.b64decode(previous.signed_document), previous.file_name
    check_pdf_size(document)
    try:
        reader = pdf.open_pdf(document)
        if stamp and not 1 <= stamp["page"] <= pdf.page_count(reader):
            raise ValidationFailed({"page": ["The PDF has {count} page(s).".format(count=pdf.page_count(reader))]})
    except pdf.BadPdf as error:
        raise bad_pdf(error) from None
    seal = None
    if seal_id:
        seal = db.session().get(Seal, seal_id)
        if seal is None or seal.certificate_id != cert.id or seal.status != "active":
            raise ValidationFailed({"seal_id": ["No active seal of this certificate has that id."]})
    elif cert.kind == "seal" and stamp:
        seal = db.session().execute(select(Seal).where(Seal.certificate_id == cert.id, Seal.status == "active")
                                    .order_by(Seal.id.desc()).limit(1)).scalar_one_or_none()
    row = SigningRequest(
        owner_kind=cert.owner_kind, owner_id=cert.owner_id, signer_kind=cert.kind, certificate_id=cert.id,
        seal_id=seal.id if seal else None, previous_request_id=previous_request_id,
        requested_by=principal.audit_name, file_name=(file_name or "document.pdf")[:200],
        document_sha256=hashlib.sha256(document).hexdigest(), document=base64.b64encode(document).decode(),
        stamp=json.dumps(stamp) if stamp else None, reason=reason, envelope_id=envelope_id,
        expires_at=utcnow() + timedelta(seconds=current_app.config["ESIGN_REQUEST_TTL_SECONDS"]))
    session = db.session()
    session.add(row)
    session.flush()
    audit("esign.signing_requested", object_type="signing_request", object_id=row.id,
          on_behalf_of=f"{cert.owner_kind}:{cert.owner_id}",
          details={"certificate_id": cert.id, "document_sha256": row.document_sha256, "seal_id": row.seal_id})
    # The step-up code goes to the signer's own phone, bound to this request (its purpose
    # names it), and the text names the document and its digest; sending commits the request.
    send_code(principal, row.id, row.file_name, row.document_sha256)
    return row


def send_code(principal: Principal, request_id: str, title: str, sha256_hex: str) -> dict:
    """Text the signer a code that confirms this request only, naming what it approves."""
    return identity.send_code(phone_of(principal.account_id), _code_purpose(request_id),
                              details={"title": sms_title(title), "digest": sha256_hex[:8]})


def sms_title(title: str) -> str:
    title = " ".join(title.split()) or "document"
    return title if len(title) <= 40 else title[:39] + "…"


def resend_code(principal: Principal, request_id: str) -> dict:
    """Text the signer a new code for a pending request (the earlier one dies with it)."""
    row = get_request(principal, request_id, record_use=False, step="resend_code")
    if row.status != "pending_confirmation" or as_utc(row.expires_at) <= utcnow():
        raise Conflict("This request can no longer be confirmed; make a new one.", code="signing_request_closed")
    audit("esign.code_resent", object_type="signing_request", object_id=row.id)
    return send_code(principal, row.id, row.file_name, row.document_sha256)



def _code_purpose(request_id: str) -> str:
    """``esign:`` and the random tail of the request id: a code confirms only its own request
    (one_time_codes.purpose holds 20 characters)."""
    return f"esign:{request_id[-14:]}"


def check_confirmable(principal: Principal, row, model, object_type: str) -> None:
    """The checks before an SMS-confirmed signature (a PDF or a detached one), once the
    decision found the caller is the signer who asked: still pending, not expired; an
    expired request is closed (kept as evidence)."""
    if row.status == "signed":
        raise Conflict("This request is already signed.", code="already_signed")
    if row.status != "pending_confirmation":
        raise Conflict("This request can no longer be confirmed; make a new one.", code="signing_request_closed")
    if as_utc(row.expires_at) <= utcnow():
        request_id = row.id

        def close():
            db.session().get(model, request_id).status = "failed"
            audit("esign.signing_expired", result="failure", object_type=object_type, object_id=request_id)

        db.keep_as_evidence(close)
        raise Conflict("This request expired; make a new one.", code="signing_request_expired")


def consume_code(principal: Principal, row, model, object_type: str, code: str) -> None:
    """Spend the request's code; a wrong one counts (five close the request), kept as evidence."""
    try:
        identity.consume_code(phone_of(principal.account_id), _code_purpose(row.id), code)
    except Unauthorized:
        request_id = row.id

        def count():
            failed = db.session().get(model, request_id)
            failed.attempts += 1
            if failed.attempts >= MAX_CONFIRM_ATTEMPTS:
                failed.status = "failed"
            audit("esign.confirmation_failed", result="failure", object_type=object_type, object_id=request_id,
                  details={"attempts": failed.attempts})

        db.keep_as_evidence(count)
        raise


def record_use(principal: Principal, cert: SigningCertificate) -> None:
    """The use itself, recorded (with the signature, in its transaction) in the enterprise's
    access log when not by its legal representative."""
    action = use_action(cert.owner_kind)
    decision = authorize(principal, action, _cert_resource(cert), record_use=False, sensitive=True)
    if decision.via == "delegate" or (decision.via == "member" and member_role(
            cert.owner_id, principal.account_id) != "legal_representative"):
        record_access(_cert_resource(cert), accessor=principal, acting_as=decision.via, action=action,
                      grant_id=decision.grant_id)


def stamp_text(cert: SigningCertificate, when) -> str:
    """What the visible stamp says, in Chinese: who signed (the person, or the enterprise for a
    seal), when in China Standard Time as people read it, and the certificate's serial."""
    name = pki.load_cert(cert.certificate_pem).subject.get_attributes_for_oid(pki.NameOID.COMMON_NAME)[0].value
    local = when.astimezone(CHINA_STANDARD_TIME)
    label = "盖章单位" if cert.kind == "seal" else "签署人"
    return (f"{label}：{name}\n签署时间：{local.year}年{local.month}月{local.day}日 {local:%H:%M}\n"
            f"证书序列号：{cert.serial.upper()}").replace("%", "%%")


def revinfo() -> pdf.Revinfo:
    """Our roots, certificates and current CRLs: what a signature embeds for long-term validation."""
    ca.refresh_stale_crls()
    return pdf.Revinfo(trust_roots=(ca.certificate("root"),),
                       certs=(ca.certificate("issuing"), *ca.tsa_certificates()),
                       crls_der=(ca.crl_der("issuing"), ca.crl_der("root")))


def sign_document(document: bytes, cert: SigningCertificate, *, field_name: str, reason: str | None,
                  stamp: dict | None, seal: Seal | None) -> bytes:
    """Sign the way the certificate's algorithm says: an SM2 certificate (national suite)
    makes a GB/T 38540 seal signature, any other PAdES B-LTA (signature, its timestamp, the
    validation data, a document timestamp)."""
    try:
        if is_sm2(cert):
            return _seal_national(document, cert, field_name=field_name, reason=reason, stamp=stamp, seal=seal)
        return pdf.sign_pdf(
            document, signer=signer_key_pair(cert), tsa=ca.key_pair("tsa"), field_name=field_name, reason=reason,
            stamp=pdf.Stamp(**stamp) if stamp else None, stamp_text=stamp_text(cert, utcnow()),
            seal_png=seal.image_png if seal else None, revinfo=revinfo())
    except pdf.BadPdf as error:
        raise bad_pdf(error) from None


_BLANK_PNG: list[bytes] = []


def _blank_png() -> bytes:
    """The picture of a seal with no image of its own (GB/T 38540 requires one)."""
    if not _BLANK_PNG:
        from PIL import Image

        out = io.BytesIO()
        Image.new("RGBA", (1, 1), (0, 0, 0, 0)).save(out, format="PNG")
        _BLANK_PNG.append(out.getvalue())
    return _BLANK_PNG[0]


def _ses_seal(cert: SigningCertificate, holder_der: bytes, seal: Seal | None) -> gbt38540.SESSeal:
    """The GB/T 38540 seal the signature carries, made by the platform's seal maker: the
    enterprise's registered seal (its id, name and image, valid from its registration while
    the certificate is), else one for the certificate itself: an organisation seal without
    an image, or a citizen's personal seal."""
    name = pki.load_cert(cert.certificate_pem).subject.get_attributes_for_oid(pki.NameOID.COMMON_NAME)[0].value
    if seal is not None:
        return national.make_seal(es_id=seal.id, name=seal.name, holder_certs=[holder_der], picture_png=seal.image_png,
                                  valid_start=as_utc(seal.created_at), valid_end=as_utc(cert.not_after))
    kind = gbt38540.SEAL_TYPE_ORGANISATION if cert.kind == "seal" else gbt38540.SEAL_TYPE_PERSONAL
    return national.make_seal(es_id=cert.id, name=name, holder_certs=[holder_der], picture_png=_blank_png(),
                              seal_type=kind, valid_start=as_utc(cert.not_before), valid_end=as_utc(cert.not_after))


def _seal_national(document: bytes, cert: SigningCertificate, *, field_name: str, reason: str | None,
                   stamp: dict | None, seal: Seal | None) -> bytes:
    """A GB/T 38540 SES_Signature (the seal, SM3 of what the PDF signature covers, the
    holder's SM2 signature, an SM2 timestamp) as the value of a PDF signature field."""
    holder_der = der_of(cert)
    key = signer_sm2_key(cert)
    ses_seal = _ses_seal(cert, holder_der, seal)

    def make(covered: bytes) -> bytes:
        return national.seal_document(seal=ses_seal, document=covered, property_info=field_name,
                                      holder_cert=holder_der, holder_key=key).dump()

    now = utcnow()
    return pdf_ses.sign_pdf(document, make=make, reserve=len(ses_seal.dump()) + len(holder_der) + 8192,
                            field_name=field_name, signed_at=now, reason=reason,
                            stamp=pdf.Stamp(**stamp) if stamp else None, stamp_text=stamp_text(cert, now),
                            seal_png=seal.image_png if seal else None)


def confirm(principal: Principal, request_id: str, code: str) -> SigningRequest:
    row = get_request(principal, request_id, record_use=False, step="confirm")
    check_confirmable(principal, row, SigningRequest, "signing_request")
    with db.unit_of_work():
        consume_code(principal, row, SigningRequest, "signing_request", code)
        session = db.session()
        cert = session.get(SigningCertificate, row.certificate_id)
        check_usable(cert)
        record_use(principal, cert)
        seal = session.get(Seal, row.seal_id) if row.seal_id else None

        def sign(document: bytes) -> bytes:
            return sign_document(document, cert, field_name=f"Signature-{row.id}", reason=row.reason,
                                 stamp=json.loads(row.stamp) if row.stamp else None, seal=seal)

        if row.envelope_id:  # a step of a multi-party envelope: its current document, then the next signer
            from . import envelopes

            signed = envelopes.on_confirmed(principal, row, cert, sign)
        else:
            signed = sign(base64.b64decode(row.document))
        row.signed_document = base64.b64encode(signed).decode()
        row.signed_sha256 = hashlib.sha256(signed).hexdigest()
        row.status, row.signed_at = "signed", utcnow()
        row.archive_until = pdf.archive_until(signed)
        audit("esign.seal_applied" if row.signer_kind == "seal" else "esign.signed", object_type="signing_request",
              object_id=row.id, on_behalf_of=f"{row.owner_kind}:{row.owner_id}",
              details={"certificate_id": cert.id, "seal_id": row.seal_id, "document_sha256": row.document_sha256,
                       "signed_sha256": row.signed_sha256})
        data = {"signing_request_id": row.id, "file_name": row.file_name}
        if row.signer_kind == "seal":
            title, body = inbox_text("seal_applied", file=row.file_name)
            messages.notify_enterprise(row.owner_id, topic="esign", title=title, body=body,
                                       data=data, dedupe_key=f"esign:sealed:{row.id}")
        title, body = inbox_text("document_signed", file=row.file_name)
        messages.notify_user(principal.account_id, topic="esign", title=title, body=body, data=data,
                             dedupe_key=f"esign:signed:{row.id}")
    return row


def signed_document(principal: Principal, request_id: str) -> tuple[bytes, str]:
    row = get_request(principal, request_id)
    if row.status != "signed":
        raise Conflict("The document is not signed yet.", code="not_signed")
    name = row.file_name if row.file_name.lower().endswith(".pdf") else f"{row.file_name}.pdf"
    return base64.b64decode(row.signed_document), name


