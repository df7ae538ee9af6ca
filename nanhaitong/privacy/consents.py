"""Optional consents and their withdrawal, one call each, effective at once.

* ``policy_push``: policy interpretations pushed to the inbox (the messages domain's
  optional ``policy`` topic);
* ``marketing``: promotional pushes; off until the person turns it on (GB/T 35273 5.3);
* partner consents: each live consent to a partner platform (a grant), withdrawn by
  revoking it; the partner is told by the ``consent.revoked`` webhook.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from schemas.common import With

from .. import db
from ..audit.service import record as audit
from ..authorizations import authorize
from ..authorizations import service as authorizations
from ..errors import NotFound
from ..identity import parties
from ..kernel import Principal
from ..messages import service as messages
from ..timeutil import utcnow
from .models import OptionalConsent
from .terms import own_account

NAMES = ("policy_push", "marketing")
POLICY_TOPIC = "policy"


def marketing_allowed(user_id: str) -> bool:
    """Whether the person agreed to marketing pushes (senders of promotions ask this)."""
    row = db.session().execute(select(OptionalConsent).where(OptionalConsent.user_id == user_id,
                                                             OptionalConsent.name == "marketing")).scalar_one_or_none()
    return bool(row and row.granted)


def _own(principal: Principal) -> Principal:
    authorize(principal, "privacy:manage", own_account(principal))
    return principal


@dataclass(frozen=True)
class Optional:
    name: str
    granted: bool
    description: str


@dataclass(frozen=True)
class Consents:
    """What ConsentsSchema shows: the optional consents, and each live consent to a partner
    (its grant, ``With`` the partner's label)."""

    optional: list[Optional]
    partners: list[With]


def consents_of(principal: Principal) -> Consents:
    _own(principal)
    user_id = principal.account_id
    prefs = messages.preferences_of("citizen", user_id)
    grants = authorizations.live_partner_consents(user_id)
    labels = parties([("partner", g.grantee_id) for g in grants])
    return Consents(
        optional=[Optional("policy_push", POLICY_TOPIC in prefs["topics"], "向您推送惠企政策解读消息"),
                  Optional("marketing", marketing_allowed(user_id), "向您推送活动与服务推荐信息")],
        partners=[With(g, partner=labels[("partner", g.grantee_id)]) for g in grants])


@db.unit_of_work()
def set_optional(principal: Principal, name: str, granted: bool) -> Consents:
    _own(principal)
    user_id = principal.account_id
    if name == "policy_push":
        prefs = messages.preferences_of("citizen", user_id)
        topics = set(prefs["topics"]) | {POLICY_TOPIC} if granted else set(prefs["topics"]) - {POLICY_TOPIC}
        followed = set(prefs["enterprise_topics"]) - (set() if granted else {POLICY_TOPIC})
        messages.set_preferences(principal, {"topics": sorted(topics), "enterprise_topics": sorted(followed)})
    else:
        session = db.session()
        row = session.execute(select(OptionalConsent).where(OptionalConsent.user_id == user_id,
                                                            OptionalConsent.name == name)).scalar_one_or_none()
        if row is None:
            row = OptionalConsent(user_id=user_id, name=name)
            session.add(row)
        row.granted, row.changed_at = granted, utcnow()
    audit("privacy.consent_given" if granted else "privacy.consent_withdrawn", object_type="consent",
          object_id=name, details={"name": name})
    return consents_of(principal)


@db.unit_of_work()
def withdraw_partner_consent(principal: Principal, grant_id: str) -> Consents:
    _own(principal)
    if grant_id not in {g.id for g in authorizations.live_partner_consents(principal.account_id)}:
        raise NotFound("No such consent.", code="consent_not_found")
    authorizations.revoke_grant(principal, grant_id)
    return consents_of(principal)
