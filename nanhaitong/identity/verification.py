"""Raising a citizen's assurance level: real name (level 2) and face (level 3)."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from .. import db, events
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..clients import clients
from ..errors import AppError, Conflict
from ..kernel import Principal
from ..ratelimit import enforce
from ..security.fields import normalize_id_number
from ..timeutil import utcnow
from ..upstream import upstream_errors
from .models import User

REAL_NAME_DAILY = "5 per day"
FACE_DAILY = "10 per day"


class VerificationFailed(AppError):
    status, code = 422, "verification_failed"


CLAIMS_PATH = "/api/v1/me/identity-claims"


def id_number_index(id_number: str) -> str:
    return current_app.extensions["nht.blind_index"].digest(id_number, domain="id_number",
                                                            normalize=normalize_id_number)


def _record_failure(user_id: str, reason: str, **details) -> None:
    db.keep_as_evidence(lambda: audit("identity.real_name_verification", result="failure", object_type="user",
                                      object_id=user_id, details={"reason": reason, **details}))


def verify_real_name(principal: Principal, name: str, id_number: str) -> dict:
    """Raise the account to level 2 with a name and ID number the national register matches.

    The day's allowance is checked first and every answered attempt spends one, whatever
    the number; a wrong name answers the same for a free, a taken and an unknown number.
    Only a caller who gave the register's own name and number learns that the number is
    verified on another account, with the way to claim it (face verification).
    """
    session = db.session()
    user = session.get(User, principal.account_id)
    index = id_number_index(id_number)
    if user.id_number_index == index and user.real_name == name:
        return {"assurance_level": user.assurance_level}  # already verified as this person
    if user.id_number_index is not None:
        raise Conflict("Your account is already verified with another identity.", code="already_verified")
    # Each answered upstream call is paid for: a few a day per account. An outage
    # (no answer, no bill) spends none of them.
    enforce(REAL_NAME_DAILY, "real-name", user.id, count=False)
    with upstream_errors("identity verification"):
        check = clients().idv.verify(name, id_number)
    enforce(REAL_NAME_DAILY, "real-name", user.id)
    if not check.match:
        _record_failure(user.id, check.reason, upstream_request_id=check.request_id)
        # One answer for a wrong name, an unknown number and a number another account holds:
        # "id_number_taken" before the name check, and "name_mismatch" for a number nobody
        # used, told anyone which numbers had accounts and which were in the register.
        raise VerificationFailed("The name and ID number could not be verified. Check both and try again.")
    taken = Conflict("This identity is verified on another account. If it is yours, confirm it with face "
                     "verification to move it to this account.", code="id_number_taken",
                     details={"recovery": CLAIMS_PATH})
    if session.execute(select(User.id).where(User.id_number_index == index)).first():
        _record_failure(user.id, "id_number_taken", upstream_request_id=check.request_id)
        raise taken
    with db.unit_of_work(conflict=taken):
        user.real_name, user.id_number, user.id_number_index = name, id_number, index
        user.assurance_level = max(user.assurance_level, 2)
        user.real_name_verified_at = utcnow()
        audit("identity.assurance_raised", object_type="user", object_id=user.id,
              details={"level": user.assurance_level, "method": "real_name", "upstream_request_id": check.request_id})
    return {"assurance_level": user.assurance_level}


def claim_identity(principal: Principal, name: str, id_number: str, liveness_token: str) -> dict:
    """Move a verified identity held by another account to this one, proved by the holder's face.

    The face upstream matches the liveness capture against the register's photo for this
    name and number. On a pass, the other account loses the verification (back to level
    1) and is told in its inbox; this one is raised to level 3.
    """
    session = db.session()
    user = session.get(User, principal.account_id)
    if user.id_number_index is not None:
        raise Conflict("Your account is already verified with an identity.", code="already_verified")
    enforce(FACE_DAILY, "face", user.id, count=False)
    enforce(REAL_NAME_DAILY, "real-name", user.id, count=False)
    index = id_number_index(id_number)
    with upstream_errors("face verification"):
        check = clients().face.verify(liveness_token, name=name, id_number=id_number)
    enforce(FACE_DAILY, "face", user.id)
    enforce(REAL_NAME_DAILY, "real-name", user.id)
    if not check.passed:
        db.keep_as_evidence(lambda: audit("identity.claim", result="failure", object_type="user", object_id=user.id,
                                          details={"reason": check.reason}))
        raise VerificationFailed("Face verification did not pass; try again.")
    with db.unit_of_work(conflict=Conflict("The identity changed hands meanwhile; try again.", code="claim_conflict")):
        holder = session.execute(select(User).where(User.id_number_index == index).with_for_update()).scalar_one_or_none()
        if holder is not None and holder.id != user.id:
            holder.real_name = holder.id_number = holder.id_number_index = None
            holder.real_name_verified_at = holder.face_verified_at = None
            holder.assurance_level = 1
            session.flush()  # the number's index is free before this account takes it
            audit("identity.verification_lost", object_type="user", object_id=holder.id,
                  details={"reason": "claimed_by_face_verification", "claimed_by": user.id})
            events.identity_claimed.send(__name__, user_id=holder.id, claimed_by=user.id)
        user.real_name, user.id_number, user.id_number_index = name, id_number, index
        user.assurance_level = 3
        user.real_name_verified_at = user.face_verified_at = utcnow()
        audit("identity.assurance_raised", object_type="user", object_id=user.id,
              details={"level": 3, "method": "identity_claim", "score": check.score,
                       "previous_holder": holder.id if holder is not None else None})
    return {"assurance_level": user.assurance_level}


@db.unit_of_work()
def verify_face(principal: Principal, liveness_token: str) -> dict:
    session = db.session()
    user = session.get(User, principal.account_id)
    # A personal action: about the person themself, whoever they act for (a minor needs a
    # guardian's consent: privacy).
    authorize(principal, "identity:face", Resource("account", "citizen", user.id, user.id), sensitive=True)
    enforce(FACE_DAILY, "face", user.id, count=False)
    with upstream_errors("face verification"):
        check = clients().face.verify(liveness_token, name=user.real_name, id_number=user.id_number)
    enforce(FACE_DAILY, "face", user.id)
    if not check.passed:
        db.keep_as_evidence(audit, "identity.face_verification", result="failure", object_type="user",
                            object_id=user.id, details={"reason": check.reason})
        raise VerificationFailed("Face verification did not pass; try again.", details={"reason": check.reason})
    user.assurance_level = 3
    user.face_verified_at = utcnow()
    audit("identity.assurance_raised", object_type="user", object_id=user.id,
          details={"level": 3, "method": "face", "score": check.score})
    return {"assurance_level": user.assurance_level}
