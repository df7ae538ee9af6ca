"""Signing requests: a PDF signed (or sealed) once its signer confirms with an SMS code.

Certificates and seals are in ``certificates``.

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
from ..authorizations import Resource, authorize, record_access
from ..errors import Conflict, NotFound, Unauthorized, ValidationFailed
from ..identity import member_role, phone_of
from ..kernel import Principal
from ..messages import service as messages
from ..sms_templates import inbox_text
from ..timeutil import CHINA_STANDARD_TIME, as_utc, utcnow
from . import ca, gbt38540, national, pdf, pdf_ses, pki, ses_ltv, sm2_status
from .certificates import (
    PayloadTooLarge,
    cert_resource,
    check_usable,
    der_of,
    get_certificate,
    is_sm2,
    signer_key_pair,
    signer_sm2_key,
    use_action,
)
from .models import Seal, SigningCertificate, SigningRequest

MAX_CONFIRM_ATTEMPTS = 5


def bad_pdf(error: pdf.BadPdf, field: str = "file") -> ValidationFailed:
    return ValidationFailed({field: [str(error)]}, message=str(error), code=f"pdf_{error.reason}")


def check_pdf_size(data: bytes) -> None:
    limit = current_app.config["ESIGN_MAX_PDF_BYTES"]
    if len(data) > limit:
        raise PayloadTooLarge("The PDF is larger than %(max_bytes)s bytes.", details={"max_bytes": limit})
    if not data:
        raise ValidationFailed({"file": ["The file is empty."]})


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
    decision = authorize(principal, action, cert_resource(cert), record_use=False, sensitive=True)
    if decision.via == "delegate" or (decision.via == "member" and member_role(
            cert.owner_id, principal.account_id) != "legal_representative"):
        record_access(cert_resource(cert), accessor=principal, acting_as=decision.via, action=action,
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

    made: list[bytes] = []

    def make(covered: bytes) -> bytes:
        made.append(national.seal_document(seal=ses_seal, document=covered, property_info=field_name,
                                           holder_cert=holder_der, holder_key=key).dump())
        return made[-1]

    now = utcnow()
    signed = pdf_ses.sign_pdf(document, make=make, reserve=len(ses_seal.dump()) + len(holder_der) + 8192,
                              field_name=field_name, signed_at=now, reason=reason,
                              stamp=pdf.Stamp(**stamp) if stamp else None, stamp_text=stamp_text(cert, now),
                              seal_png=seal.image_png if seal else None)
    return national_long_term(signed, signature_der=made[-1], extra_certs=[holder_der],
                              field_name=f"ArchiveTimestamp-{field_name}")


def archive_until(document: bytes):
    """When the document's newest timestamp's TSA certificate ends (PAdES or SM2, whichever
    ends first when it has both): the archive job renews it before then."""
    ends = [pdf.archive_until(document)]
    sm2 = ses_ltv.document_timestamps(document)
    if sm2:
        ends.append(sm2[-1].tsa_not_after)
    ends = [end for end in ends if end is not None]
    return min(ends) if ends else None


def national_long_term(document: bytes, *, field_name: str, signature_der: bytes | None = None,
                       extra_certs: tuple | list = ()) -> bytes:
    """PAdES B-LTA's long-term data with SM2 contents: the SM2 chains' certificates and the
    current SM2 CRLs in the DSS, then an SM2 document timestamp over everything (at sealing,
    and again by the archive job)."""
    sm2_status.refresh_stale_crls()
    certs = [*extra_certs, *(national.certificate(name).dump() for name in ("issuing", "root", "seal_maker", "tsa"))]
    with_dss = ses_ltv.add_validation_data(document, signature_der=signature_der, certs=certs,
                                           crls=[sm2_status.crl_der("issuing"), sm2_status.crl_der("root")])
    return ses_ltv.add_document_timestamp(with_dss, make_token=national.timestamp, field_name=field_name)


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
        row.archive_until = archive_until(signed)
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


