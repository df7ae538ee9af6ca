"""Signing by several parties: an envelope is one PDF and a list of signers, in order
(``sequential``) or all at once (``parallel``).

Signers are citizens named by their phone number: signing for themselves (``citizen``),
applying an enterprise's seal (``enterprise_seal``: a member who holds ``esign:seal`` for it,
checked when they sign) or signing as the enterprise's legal representative
(``legal_representative``: with their personal certificate; ``esign:manage`` for the
enterprise, checked when they sign). A citizen creates an envelope in the app; a partner
through the OpenAPI (``/open/v1/esign/envelopes``, scope ``esign:envelopes``), and then
hears of every step by webhook (``esign.envelope_changed``). Each signer is invited in the inbox and by SMS when it
is their turn, may be reminded, signs like any signing request (an SMS code names the
document) or declines with a reason, which closes the envelope and tells everyone. Each
signature is added to the envelope's current document as an incremental update, so the
final PDF carries every signature in order. An envelope not finished by its expiry closes.
Every step is audited.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

from sqlalchemy import select

from schemas.common import With

from .. import db, events
from ..audit.service import record as audit
from ..authorizations import Resource, authorize, shared
from ..errors import Conflict, NotFound, ValidationFailed
from ..identity import find_citizen, party, phone_of
from ..jobs.tasks import enqueue_sms
from ..kernel import Principal
from ..messages import service as messages
from ..sms_templates import china_time_text, inbox_text, sms_params
from ..timeutil import as_utc, isoformat, utcnow
from . import pdf, service
from .models import Envelope, EnvelopeSigner, SigningCertificate, SigningRequest

OBJECT = "esign_envelope"
ROLES = ("citizen", "enterprise_seal", "legal_representative")
REMIND_EVERY = timedelta(hours=1)


def _creator(principal: Principal) -> tuple[str, str]:
    return principal.kind, principal.audit_name


def _signers(envelope_id: str) -> list[EnvelopeSigner]:
    return list(db.session().execute(select(EnvelopeSigner).where(EnvelopeSigner.envelope_id == envelope_id)
                                     .order_by(EnvelopeSigner.position)).scalars())


# -- creating ---------------------------------------------------------------------------

def create(principal: Principal, *, title: str, file_name: str, document: bytes, routing: str,
           signers: list[dict], expires_in_hours: int, message: str | None) -> Envelope:
    service.check_pdf_size(document)
    try:
        pdf.open_pdf(document)
    except pdf.BadPdf as error:
        raise service.bad_pdf(error, "document_base64") from None
    resolved = []
    for index, signer in enumerate(signers):
        citizen = find_citizen(phone=signer["phone"])
        if citizen is None:
            raise ValidationFailed({"signers": {str(index): {"phone": ["No Nanhai-Tong account has this phone."]}}})
        if signer["role"] != "citizen" and not signer.get("enterprise_id"):
            raise ValidationFailed({"signers": {str(index): {"enterprise_id": ["Name the enterprise."]}}})
        resolved.append((signer, citizen.id))
    creator_kind, creator_id = _creator(principal)
    with db.unit_of_work():
        envelope = Envelope(title=title, file_name=file_name[:200], routing=routing, status="open",
                            creator_kind=creator_kind, creator_id=creator_id, message=message,
                            document_sha256=hashlib.sha256(document).hexdigest(),
                            document=base64.b64encode(document).decode(), version=0,
                            expires_at=utcnow() + timedelta(hours=expires_in_hours))
        session = db.session()
        session.add(envelope)
        session.flush()
        for position, (signer, user_id) in enumerate(resolved, start=1):
            stamp = {k: signer[k] for k in ("page", "x", "y", "width", "height")} if "page" in signer else None
            session.add(EnvelopeSigner(envelope_id=envelope.id, position=position, role=signer["role"],
                                       user_id=user_id, enterprise_id=signer.get("enterprise_id"),
                                       status="waiting", stamp=json.dumps(stamp) if stamp else None))
        session.flush()
        audit("esign.envelope_created", object_type=OBJECT, object_id=envelope.id,
              details={"routing": routing, "signers": len(resolved), "document_sha256": envelope.document_sha256})
        _invite_next(envelope)
    return envelope


def _local(moment) -> str:
    return china_time_text(as_utc(moment))


def _invite_next(envelope: Envelope) -> None:
    """Invite whoever's turn it is: the first waiting signer (in order), or all (in parallel)."""
    waiting = [s for s in _signers(envelope.id) if s.status == "waiting"]
    if envelope.routing == "sequential":
        if any(s.status == "invited" for s in _signers(envelope.id)):
            return
        waiting = waiting[:1]
    for signer in waiting:
        signer.status, signer.invited_at = "invited", utcnow()
        _tell(signer.user_id, envelope, "esign_invitation",
              {"title": envelope.title, "deadline": _local(envelope.expires_at)}, sms=True)
        audit("esign.envelope_invited", object_type=OBJECT, object_id=envelope.id,
              details={"signer_id": signer.id, "position": signer.position})


def _tell(user_id: str, envelope: Envelope, kind: str, values: dict, *, sms: bool,
          dedupe: str | None = None) -> None:
    """Inbox (and, if ``sms``, a text) from the template named ``kind``."""
    title, body = inbox_text(kind, **values)
    messages.notify_user(user_id, topic="esign", title=title, body=body,
                         data={"envelope_id": envelope.id, "kind": kind},
                         dedupe_key=f"esign:{kind}:{envelope.id}:{user_id}:{dedupe or ''}"[:120])
    if sms:
        enqueue_sms(phone_of(user_id), kind, sms_params(kind, **values))


# -- reading --------------------------------------------------------------------------

def get(principal: Principal, envelope_id: str, *, action: str = "esign:envelope.read") -> Envelope:
    """The envelope, for its creator or one of its signers (404 for anyone else); ``action``
    is what the caller does with it, decided on the envelope's parties."""
    envelope = db.session().get(Envelope, envelope_id)
    if envelope is None:
        raise NotFound("No such envelope.", code="envelope_not_found")
    authorize(principal, action, _parties(envelope))
    _expire_if_due(envelope)
    return envelope


def _parties(envelope: Envelope) -> Resource:
    # creator_id is the creator's audit name ("citizen:<id>", "partner:<id>").
    creator = (envelope.creator_kind, envelope.creator_id.split(":", 1)[1])
    return shared("envelope", envelope.id, creator=[creator],
                  signer=[("citizen", s.user_id) for s in _signers(envelope.id)])


def _expire_if_due(envelope: Envelope) -> None:
    if envelope.status == "open" and as_utc(envelope.expires_at) <= utcnow():
        with db.unit_of_work():
            _close(envelope, "expired", None)


def _announce(envelope: Envelope, step: str) -> None:
    """Tell the partner that created the envelope (a webhook, queued in this transaction)."""
    if envelope.creator_kind != "partner":
        return
    signers = _signers(envelope.id)
    events.esign_envelope_changed.send(
        "esign", envelope_id=envelope.id, partner_id=envelope.creator_id.split(":", 1)[1], status=envelope.status,
        step=step, signed_count=sum(s.status == "signed" for s in signers), signer_count=len(signers),
        occurred_at=utcnow())


def _close(envelope: Envelope, status: str, reason: str | None, by: EnvelopeSigner | None = None) -> None:
    envelope.status, envelope.declined_reason = status, reason
    audit(f"esign.envelope_{status}", object_type=OBJECT, object_id=envelope.id,
          details={"reason": reason, "signer_id": by.id if by else None})
    values = {"title": envelope.title, **({"reason": reason} if status == "declined" else {})}
    for signer in _signers(envelope.id):
        if by is not None and signer.id == by.id:
            continue
        _tell(signer.user_id, envelope, f"esign_{status}", values, sms=status != "completed")
    _announce(envelope, status)
    if envelope.creator_kind == "citizen":
        creator_id = envelope.creator_id.split(":", 1)[1]
        if creator_id not in {s.user_id for s in _signers(envelope.id)}:
            _tell(creator_id, envelope, f"esign_{status}", values, sms=False)


def document(principal: Principal, envelope_id: str) -> tuple[bytes, str]:
    envelope = get(principal, envelope_id)
    return base64.b64decode(envelope.document), envelope.file_name


# -- signing --------------------------------------------------------------------------

def _my_turn(principal: Principal, envelope: Envelope) -> EnvelopeSigner:
    if envelope.status != "open":
        raise Conflict("This envelope is closed.", code="envelope_closed", details={"status": envelope.status})
    mine = [s for s in _signers(envelope.id) if s.user_id == principal.account_id and s.status == "invited"]
    if not mine:
        raise Conflict("It is not your turn to sign this envelope.", code="not_your_turn")
    return mine[0]


def start_signing(principal: Principal, envelope_id: str, certificate_id: str) -> SigningRequest:
    """The invited signer asks to sign: a signing request on the envelope's current document,
    confirmed like any other (an SMS code naming the document)."""
    envelope = get(principal, envelope_id)
    signer = _my_turn(principal, envelope)
    cert = db.session().get(SigningCertificate, certificate_id)
    if cert is None:
        raise NotFound("No such esign_certificate.", code="esign_certificate_not_found")
    _check_role(principal, signer, cert)
    row = service.create_request(principal, certificate_id=certificate_id, document=base64.b64decode(envelope.document),
                                 file_name=envelope.file_name, previous_request_id=None,
                                 stamp=json.loads(signer.stamp) if signer.stamp else None, seal_id=None,
                                 reason=envelope.title, envelope_id=envelope.id)
    with db.unit_of_work():
        signer.signing_request_id = row.id
        audit("esign.envelope_signing_started", object_type=OBJECT, object_id=envelope.id,
              details={"signer_id": signer.id, "signing_request_id": row.id})
    return row


def _check_role(principal: Principal, signer: EnvelopeSigner, cert: SigningCertificate) -> None:
    if signer.role == "enterprise_seal":
        if cert.owner_kind != "enterprise" or cert.owner_id != signer.enterprise_id:
            raise ValidationFailed({"certificate_id": ["Use the named enterprise's seal certificate."]})
        return  # esign:seal is asked when the request is made and confirmed
    if cert.owner_kind != "citizen":
        raise ValidationFailed({"certificate_id": ["Use your personal certificate."]})
    if signer.role == "legal_representative":
        authorize(principal, "esign:manage", Resource(type="esign_certificate", owner_kind="enterprise",
                                                     owner_id=signer.enterprise_id))


def on_confirmed(principal: Principal, row: SigningRequest, cert: SigningCertificate, sign) -> bytes:
    """Inside the confirmation's unit of work: sign the envelope's CURRENT document (others
    may have signed since the request was made), store it, advance the envelope."""
    envelope = db.session().execute(select(Envelope).where(Envelope.id == row.envelope_id)
                                    .with_for_update()).scalar_one()
    if envelope.status == "open" and as_utc(envelope.expires_at) <= utcnow():
        raise Conflict("This envelope has expired.", code="envelope_closed", details={"status": "expired"})
    signer = _my_turn(principal, envelope)
    signed = sign(base64.b64decode(envelope.document))
    envelope.document = base64.b64encode(signed).decode()
    envelope.version += 1
    signer.status, signer.signed_at, signer.signing_request_id = "signed", utcnow(), row.id
    audit("esign.envelope_signed", object_type=OBJECT, object_id=envelope.id,
          details={"signer_id": signer.id, "position": signer.position, "signing_request_id": row.id,
                   "signed_sha256": hashlib.sha256(signed).hexdigest()})
    _announce(envelope, "signed")
    if all(s.status == "signed" for s in _signers(envelope.id)):
        envelope.status, envelope.completed_at = "completed", utcnow()
        envelope.final_sha256 = hashlib.sha256(signed).hexdigest()
        _close(envelope, "completed", None)
    else:
        _invite_next(envelope)
    return signed


def decline(principal: Principal, envelope_id: str, reason: str) -> Envelope:
    envelope = get(principal, envelope_id)
    with db.unit_of_work():
        envelope = db.session().execute(select(Envelope).where(Envelope.id == envelope_id)
                                        .with_for_update()).scalar_one()
        signer = _my_turn(principal, envelope)
        signer.status, signer.declined_reason = "declined", reason
        _close(envelope, "declined", reason, by=signer)
    return envelope


def remind(principal: Principal, envelope_id: str) -> dict:
    """The creator reminds the signers whose turn it is (at most once an hour each)."""
    envelope = get(principal, envelope_id, action="esign:envelope.remind")
    if envelope.status != "open":
        raise Conflict("This envelope is closed.", code="envelope_closed", details={"status": envelope.status})
    reminded = 0
    with db.unit_of_work():
        for signer in _signers(envelope.id):
            last = signer.reminded_at or signer.invited_at
            if signer.status != "invited" or (last and as_utc(last) + REMIND_EVERY > utcnow()
                                                and signer.reminded_at is not None):
                continue
            signer.reminded_at = utcnow()
            _tell(signer.user_id, envelope, "esign_reminder",
                  {"title": envelope.title, "deadline": _local(envelope.expires_at)}, sms=True,
                  dedupe=isoformat(signer.reminded_at))
            audit("esign.envelope_reminded", object_type=OBJECT, object_id=envelope.id,
                  details={"signer_id": signer.id})
            reminded += 1
    return {"reminded": reminded}


def expire_due() -> int:
    """Close every open envelope past its expiry (the scheduler's job; reads also do it)."""
    ids = db.session().execute(select(Envelope.id).where(Envelope.status == "open",
                                                         Envelope.expires_at <= utcnow())).scalars().all()
    for envelope_id in ids:
        with db.unit_of_work():
            envelope = db.session().execute(select(Envelope).where(Envelope.id == envelope_id)
                                            .with_for_update()).scalar_one()
            if envelope.status == "open":
                _close(envelope, "expired", None)
    return len(ids)


def with_signers(envelope: Envelope) -> With:
    """An envelope with the digest of its document as signed so far, and its signers (each
    with their masked name), for EnvelopeSchema."""
    return With(envelope, current_sha256=hashlib.sha256(base64.b64decode(envelope.document)).hexdigest(),
                signers=[With(s, display=party("citizen", s.user_id)["display"]) for s in _signers(envelope.id)])
