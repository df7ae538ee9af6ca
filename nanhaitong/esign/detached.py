"""Detached CMS signatures over a SHA-256 digest, confirmed like a PDF signature: the signer
asks (naming what the digest is of), gets an SMS code that names the title and the first
characters of the digest, confirms with it, and finds a notice in their inbox. A digest alone
on an access token signs nothing."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..errors import Conflict, NotFound
from ..kernel import Principal
from ..messages import service as messages
from ..sms_templates import inbox_text
from ..timeutil import as_utc, utcnow
from . import ca, certificates, national, pdf, service
from .models import DetachedSignatureRequest, SigningCertificate

OBJECT = "detached_signature"


def _resource(row: DetachedSignatureRequest, step: str | None = None) -> Resource:
    # A step (confirming, resending the code) is the requester's alone: the decision checks it.
    attrs = {"requester": row.requested_by, "step": step} if step else {}
    return Resource(type=OBJECT, owner_kind=row.owner_kind, owner_id=row.owner_id, id=row.id, attrs=attrs)


def get(principal: Principal, request_id: str, *, record_use: bool = True,
        step: str | None = None) -> DetachedSignatureRequest:
    row = db.session().get(DetachedSignatureRequest, request_id)
    if row is None:
        # The very answer authorize() gives for one the caller may not see: ids leak nothing.
        raise NotFound("No such {resource}.".format(resource=OBJECT), code=f"{OBJECT}_not_found")
    authorize(principal, certificates.use_action(row.owner_kind), _resource(row, step), record_use=record_use)
    return row


def request(principal: Principal, certificate_id: str, sha256_hex: str, title: str) -> DetachedSignatureRequest:
    cert = certificates.get_certificate(principal, certificate_id, record_use=False, sensitive=True)
    certificates.check_usable(cert)
    with db.unit_of_work():
        row = DetachedSignatureRequest(
            owner_kind=cert.owner_kind, owner_id=cert.owner_id, signer_kind=cert.kind, certificate_id=cert.id,
            requested_by=principal.audit_name, title=title.strip()[:200], sha256=sha256_hex.lower(),
            expires_at=utcnow() + timedelta(seconds=current_app.config["ESIGN_REQUEST_TTL_SECONDS"]))
        db.session().add(row)
        db.session().flush()
        audit("esign.detached_requested", object_type=OBJECT, object_id=row.id,
              on_behalf_of=f"{cert.owner_kind}:{cert.owner_id}",
              details={"certificate_id": cert.id, "sha256": row.sha256, "title": row.title})
        service.send_code(principal, row.id, row.title, row.sha256)
    return row


def resend_code(principal: Principal, request_id: str) -> dict:
    row = get(principal, request_id, record_use=False, step="resend_code")
    if row.status != "pending_confirmation" or as_utc(row.expires_at) <= utcnow():
        raise Conflict("This request can no longer be confirmed; make a new one.", code="signing_request_closed")
    return service.send_code(principal, row.id, row.title, row.sha256)


def confirm(principal: Principal, request_id: str, code: str) -> DetachedSignatureRequest:
    row = get(principal, request_id, record_use=False, step="confirm")
    service.check_confirmable(principal, row, DetachedSignatureRequest, OBJECT)
    with db.unit_of_work():
        service.consume_code(principal, row, DetachedSignatureRequest, OBJECT, code)
        cert = db.session().get(SigningCertificate, row.certificate_id)
        certificates.check_usable(cert)
        service.record_use(principal, cert)
        if certificates.is_sm2(cert):  # the certificate's algorithm decides, as for a PDF
            row.signature_der = national.detached_cms(bytes.fromhex(row.sha256), holder_cert=certificates.der_of(cert),
                                                      holder_key=certificates.signer_sm2_key(cert))
        else:
            row.signature_der = pdf.detached_cms(bytes.fromhex(row.sha256), signer=certificates.signer_key_pair(cert),
                                                 tsa=ca.key_pair("tsa"))
        row.status, row.signed_at = "signed", utcnow()
        audit("esign.detached_signed", object_type=OBJECT, object_id=row.id,
              on_behalf_of=f"{cert.owner_kind}:{cert.owner_id}",
              details={"certificate_id": cert.id, "sha256": row.sha256, "title": row.title})
        data = {"detached_signature_id": row.id, "title": row.title, "sha256": row.sha256}
        if cert.kind == "seal":
            title, body = inbox_text("seal_signed_digest", title=row.title, digest=row.sha256[:8])
            messages.notify_enterprise(cert.owner_id, topic="esign", title=title, body=body,
                                       data=data, dedupe_key=f"esign:detached-sealed:{row.id}")
        title, body = inbox_text("digest_signed", title=row.title, digest=row.sha256[:8])
        messages.notify_user(principal.account_id, topic="esign", title=title, body=body,
                             data=data, dedupe_key=f"esign:detached:{row.id}")
    return row


