"""Minors (PIPL art. 31; GB/T 35273-2020 5.4): a person under 14, by the birth date in
their verified resident ID number, needs a verified guardian's consent for sensitive
processing: face verification, signing (and the signing certificate made in their name),
paying. The consent is a grant from the guardian to the minor with the
``guardian:consent`` scope (POST /api/v1/authorizations); the guardian must be real-name
verified and an adult.

The check rides on authorize(): the operations that are themselves sensitive processing
say so (``authorize(..., sensitive=True)``: verify_face, issuing or renewing a
certificate, a signing request and its confirmation, creating a payment order). Everything
else under the same actions (reading orders and bills, binding a utility account, listing
or revoking certificates, downloading what was signed) stays open to the minor."""

from __future__ import annotations

from datetime import date

from .. import authorizations, db, identity
from ..audit.service import record as audit
from ..errors import Forbidden
from ..identity import find_citizen
from ..kernel import Principal
from ..timeutil import china_today

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


def require_guardian_consent(principal: Principal, action: str, resource, *, audit_denial: bool = True,
                             sensitive: bool = False) -> None:
    """Registered with authorize(): refuse a minor's sensitive processing without a guardian's consent."""
    if not sensitive or principal.kind != "citizen" or not is_under(principal.account_id, MINOR_BELOW):
        return
    if any(_verified_adult(guardian) for guardian in authorizations.guardians_consenting(principal.account_id)):
        return
    if audit_denial:
        db.keep_as_evidence(lambda: audit("authorization.denied", result="denied", object_type=resource.type,
                                          object_id=resource.id,
                                          details={"action": action, "reason": "guardian_consent_required"}))
    raise Forbidden("A guardian's consent is needed for this: you are under 14.", code="guardian_consent_required",
                    details={"action": action, "scope": "guardian:consent"})
