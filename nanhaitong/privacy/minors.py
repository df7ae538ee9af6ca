"""Minors (PIPL art. 31; GB/T 35273-2020 5.4): a person under 14, by the birth date in
their verified resident ID number, needs a verified guardian's consent for sensitive
processing: face verification, signing, payments. The consent is a grant from the
guardian to the minor with the ``guardian:consent`` scope (POST /api/v1/authorizations);
the guardian must be real-name verified and an adult. The check rides on authorize():
every such action, whoever it is done for, asks it once."""

from __future__ import annotations

from datetime import date

from .. import authorizations, db, identity
from ..audit.service import record as audit
from ..errors import Forbidden
from ..identity import find_citizen
from ..kernel import Principal
from ..timeutil import china_today

SENSITIVE_ACTIONS = frozenset({"identity:face", "esign:sign", "esign:seal", "payments:pay"})
MINOR_BELOW = 14
ADULT_FROM = 18


def age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def is_under(user_id: str, years: int) -> bool:
    born = identity.birth_date(user_id)
    return born is not None and age(born, china_today()) < years


def _verified_adult(user_id: str) -> bool:
    ref = find_citizen(user_id=user_id)
    born = identity.birth_date(user_id)
    return ref is not None and ref.assurance_level >= 2 and born is not None and age(born, china_today()) >= ADULT_FROM


def require_guardian_consent(principal: Principal, action: str, resource, *, audit_denial: bool = True) -> None:
    """Registered with authorize(): refuse a minor's sensitive processing without a guardian's consent."""
    if action not in SENSITIVE_ACTIONS or principal.kind != "citizen" or not is_under(principal.account_id,
                                                                                      MINOR_BELOW):
        return
    if any(_verified_adult(guardian) for guardian in authorizations.guardians_consenting(principal.account_id)):
        return
    if audit_denial:
        db.keep_as_evidence(lambda: audit("authorization.denied", result="denied", object_type=resource.type,
                                          object_id=resource.id,
                                          details={"action": action, "reason": "guardian_consent_required"}))
    raise Forbidden("A guardian's consent is needed for this: you are under 14.", code="guardian_consent_required",
                    details={"action": action, "scope": "guardian:consent"})
