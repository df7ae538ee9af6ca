"""Raising a citizen's assurance level: real name (level 2) and face (level 3)."""

from __future__ import annotations

from dataclasses import replace

from flask import current_app
from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..authorizations.decide import Resource, authorize
from ..clients import clients
from ..errors import AppError, Conflict
from ..ratelimit import enforce
from ..security.fields import normalize_id_number
from ..timeutil import utcnow
from ..upstream import upstream_errors
from .models import User
from .principal import Principal

REAL_NAME_DAILY = "5 per day"
FACE_DAILY = "10 per day"


class VerificationFailed(AppError):
    status, code = 422, "verification_failed"


def id_number_index(id_number: str) -> str:
    return current_app.extensions["nht.blind_index"].digest(id_number, domain="id_number",
                                                            normalize=normalize_id_number)


def verify_real_name(principal: Principal, name: str, id_number: str) -> dict:
    session = db.session()
    user = session.get(User, principal.account_id)
    index = id_number_index(id_number)
    if user.id_number_index == index and user.real_name == name:
        return {"assurance_level": user.assurance_level}  # already verified as this person
    if user.id_number_index is not None:
        raise Conflict("Your account is already verified with another identity.", code="already_verified")
    taken = Conflict("This ID number is already verified on another account.", code="id_number_taken")
    if session.execute(select(User.id).where(User.id_number_index == index)).first():
        raise taken
    # Each answered upstream call is paid for: a few a day per account. An outage
    # (no answer, no bill) spends none of them.
    enforce(REAL_NAME_DAILY, "real-name", user.id, count=False)
    with upstream_errors("identity verification"):
        check = clients().idv.verify(name, id_number)
    enforce(REAL_NAME_DAILY, "real-name", user.id)
    if not check.match:
        audit("identity.real_name_verification", result="failure", object_type="user", object_id=user.id,
              details={"reason": check.reason, "upstream_request_id": check.request_id})
        session.commit()
        raise VerificationFailed("The name and ID number do not match the national register.",
                                 details={"reason": check.reason})
    user.real_name, user.id_number, user.id_number_index = name, id_number, index
    user.assurance_level = max(user.assurance_level, 2)
    user.real_name_verified_at = utcnow()
    audit("identity.assurance_raised", object_type="user", object_id=user.id,
          details={"level": user.assurance_level, "method": "real_name", "upstream_request_id": check.request_id})
    with db.unique_or_conflict(taken):
        session.commit()
    return {"assurance_level": user.assurance_level}


def verify_face(principal: Principal, liveness_token: str) -> dict:
    session = db.session()
    user = session.get(User, principal.account_id)
    # About the person themself, whoever they act for (a minor needs a guardian's consent: privacy).
    authorize(replace(principal, enterprise_id=None, role=None, grant_id=None, for_citizen=None), "identity:face",
              Resource("account", "citizen", user.id, user.id))
    enforce(FACE_DAILY, "face", user.id, count=False)
    with upstream_errors("face verification"):
        check = clients().face.verify(liveness_token, name=user.real_name, id_number=user.id_number)
    enforce(FACE_DAILY, "face", user.id)
    if not check.passed:
        audit("identity.face_verification", result="failure", object_type="user", object_id=user.id,
              details={"reason": check.reason})
        session.commit()
        raise VerificationFailed("Face verification did not pass; try again.", details={"reason": check.reason})
    user.assurance_level = 3
    user.face_verified_at = utcnow()
    audit("identity.assurance_raised", object_type="user", object_id=user.id,
          details={"level": 3, "method": "face", "score": check.score})
    session.commit()
    return {"assurance_level": user.assurance_level}
