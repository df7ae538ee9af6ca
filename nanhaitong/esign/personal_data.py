"""What privacy asks of esign about one person (issue 23): signing requests awaiting
them (they block an account deletion), a copy (the signed PDFs), and erasure. Signed
documents and the certificates that signed them are kept, as the Electronic Signature
Law requires, under the person's now unlinkable id; the private keys are destroyed so
nobody can sign as the person again. The caller holds the unit of work."""

from __future__ import annotations

import base64

from sqlalchemy import delete, or_, select

from .. import db
from ..audit.service import record as audit
from ..timeutil import as_utc, isoformat, utcnow
from . import ca, sm2_status
from .models import SigningCertificate, SigningRequest

CITIZEN = "citizen"
ERASED_KEY = "erased"


def _mine(user_id: str):
    return or_(SigningRequest.requested_by == f"citizen:{user_id}",
               (SigningRequest.owner_kind == CITIZEN) & (SigningRequest.owner_id == user_id))


def blockers(user_id: str) -> list[dict]:
    now = utcnow()
    rows = db.session().execute(select(SigningRequest).where(
        SigningRequest.requested_by == f"citizen:{user_id}",
        SigningRequest.status == "pending_confirmation")).scalars().all()
    return [{"code": "signing_request_pending", "object_type": "signing_request", "object_id": r.id,
             "message": "您有待确认的签署请求，请先完成或等待其过期。"} for r in rows if as_utc(r.expires_at) > now]


def signed_documents(user_id: str) -> list[tuple[str, bytes]]:
    """(file name, signed PDF) of every document the person signed."""
    rows = db.session().execute(select(SigningRequest).where(_mine(user_id), SigningRequest.status == "signed")
                                .order_by(SigningRequest.id)).scalars().all()
    return [(f"{r.id}-{r.file_name}", base64.b64decode(r.signed_document)) for r in rows if r.signed_document]


def export(user_id: str) -> dict:
    session = db.session()
    certs = session.execute(select(SigningCertificate).where(SigningCertificate.owner_kind == CITIZEN,
                                                             SigningCertificate.owner_id == user_id)
                            .order_by(SigningCertificate.id)).scalars().all()
    requests = session.execute(select(SigningRequest).where(_mine(user_id)).order_by(SigningRequest.id)).scalars().all()
    return {
        "certificates": [{"id": c.id, "serial": c.serial, "subject": c.subject, "status": c.status,
                          "certificate_pem": c.certificate_pem, "not_before": isoformat(c.not_before),
                          "not_after": isoformat(c.not_after)} for c in certs],
        "signing_requests": [{"id": r.id, "file_name": r.file_name, "status": r.status, "reason": r.reason,
                              "document_sha256": r.document_sha256, "signed_sha256": r.signed_sha256,
                              "created_at": isoformat(r.created_at),
                              "signed_at": isoformat(r.signed_at) if r.signed_at else None} for r in requests],
    }


def erase(user_id: str) -> dict:
    session = db.session()
    unsigned = session.execute(delete(SigningRequest).where(_mine(user_id), SigningRequest.status != "signed")
                               ).rowcount
    certs = session.execute(select(SigningCertificate).where(SigningCertificate.owner_kind == CITIZEN,
                                                             SigningCertificate.owner_id == user_id)).scalars().all()
    revoked = 0
    for cert in certs:
        if cert.status != "revoked":
            cert.status, cert.revoked_at, cert.revocation_reason = "revoked", utcnow(), "account_deleted"
            revoked += 1
            audit("esign.certificate_revoked", actor="system:account-deletion", object_type="esign_certificate",
                  object_id=cert.id, details={"serial": cert.serial, "reason": "account_deleted"})
        cert.private_key = ERASED_KEY
    if revoked:
        session.flush()
        ca.refresh_crl()
        if sm2_status.exists():  # SM2 certificates (national suite) are on the SM2 CA's CRL
            sm2_status.refresh_crl()
    return {"unsigned_requests_deleted": unsigned, "certificates_revoked": revoked,
            "certificates_kept": len(certs)}
