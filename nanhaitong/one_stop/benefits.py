"""Benefits granted without application (免申即享): a published policy is marked as granted
automatically with an amount; every enterprise its targeting rules match (policy push's
rules, asked through its public functions) gets an offer in its inbox, which the legal
representative, or a member the enterprise authorised (scope ``one_stop:benefits``),
confirms in one step with an SMS code. A confirmed offer gives rise to a disbursement
record (拨付) to the enterprise's account on file; an offer is confirmed once. Matching
runs when the policy is marked and again on demand or by the hourly job (a republished or
amended policy reaches new matches; nobody is offered twice). An enterprise that is not
offered can ask why: the same rule-by-rule explanation as policy matches.
"""

from __future__ import annotations

import json

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import db, identity
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..errors import Conflict, NotFound
from ..identity import consume_code, enterprise_profile, phone_of
from ..ids import new_id
from ..kernel import Principal
from ..licences import service as licences
from ..messages import service as messages
from ..policy_push import explain
from ..policy_push import service as policy_push
from ..sms_templates import inbox_text
from ..timeutil import china_today, utcnow
from .models import Benefit, BenefitOffer, Disbursement

BATCH = 1000


def _published(policy_id: str) -> dict:
    try:
        _, version = policy_push.get_published(policy_id)
    except NotFound:
        raise Conflict("Only a published policy can be granted without application.",
                       code="policy_not_published") from None
    return {"version": version.version, "title": version.title, "rules": json.loads(version.rules)}


@db.unit_of_work(conflict=Conflict("This policy is already granted without application.", code="benefit_exists"))
def create_benefit(staff: Principal, policy_id: str, amount_fen: int) -> tuple[Benefit, int]:
    policy = _published(policy_id)
    benefit = Benefit(policy_id=policy_id, policy_version=policy["version"], title=policy["title"],
                      amount_fen=amount_fen, created_by=staff.audit_name)
    db.session().add(benefit)
    db.session().flush()
    audit("one_stop.benefit_created", actor=staff.audit_name, object_type="benefit", object_id=benefit.id,
          details={"policy_id": policy_id, "version": policy["version"], "amount_fen": amount_fen})
    return benefit, _offer(benefit, policy, staff.audit_name)


@db.unit_of_work()
def run_offers(staff_name: str, benefit_id: str) -> tuple[Benefit, int]:
    benefit = get_benefit(benefit_id, lock=True)
    policy = _published(benefit.policy_id)
    benefit.policy_version, benefit.title = policy["version"], policy["title"]
    return benefit, _offer(benefit, policy, staff_name)


def _offer(benefit: Benefit, policy: dict, actor: str) -> int:
    """Offer the benefit to every matching enterprise not offered yet; answers how many."""
    session = db.session()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    new, last_id = 0, None
    while True:
        ids = list(session.execute(policy_push.matching_enterprise_ids(policy["rules"], after_id=last_id,
                                                                       limit=BATCH)).scalars())
        if not ids:
            break
        last_id = ids[-1]
        offered = set(session.execute(select(BenefitOffer.enterprise_id).where(
            BenefitOffer.benefit_id == benefit.id, BenefitOffer.enterprise_id.in_(ids))).scalars())
        fresh = [e for e in ids if e not in offered]
        if not fresh:
            continue
        session.execute(insert(BenefitOffer.__table__).values([
            {"id": new_id(), "benefit_id": benefit.id, "enterprise_id": e, "amount_fen": benefit.amount_fen,
             "status": "offered", "created_at": utcnow()} for e in fresh]).on_conflict_do_nothing())
        yuan = f"{benefit.amount_fen / 100:.2f}"
        title, body = inbox_text("benefit_offered", benefit=benefit.title, yuan=yuan)
        messages.notify_enterprises(
            fresh, topic="payment", title=title, body=body,
            data={"benefit_id": benefit.id, "kind": "one_stop_benefit"}, dedupe_key=f"benefit:{benefit.id}")
        new += len(fresh)
    benefit.offered = session.execute(select(func.count()).select_from(BenefitOffer)
                                      .where(BenefitOffer.benefit_id == benefit.id)).scalar_one()
    audit("one_stop.benefit_offered", actor=actor, object_type="benefit", object_id=benefit.id,
          details={"new_offers": new, "offered": benefit.offered, "version": policy["version"]})
    return new


def sync_all() -> int:
    """The job: offer every benefit's policy to new matches. Answers how many new offers."""
    total = 0
    for benefit_id in db.session().execute(select(Benefit.id)).scalars().all():
        try:
            total += run_offers("system:jobs", benefit_id)[1]
        except Conflict:  # withdrawn meanwhile: nothing to offer
            continue
    return total


def get_benefit(benefit_id: str, *, lock: bool = False) -> Benefit:
    benefit = db.session().get(Benefit, benefit_id, with_for_update=lock)
    if benefit is None:
        raise NotFound("No such benefit.", code="benefit_not_found")
    return benefit


def list_benefits(*, limit: int, cursor: str | None):
    query = select(Benefit)
    if cursor:
        query = query.where(Benefit.id < cursor)
    rows = db.session().execute(query.order_by(Benefit.id.desc()).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def confirmed_count(benefit_id: str) -> int:
    return db.session().execute(select(func.count()).select_from(BenefitOffer).where(
        BenefitOffer.benefit_id == benefit_id, BenefitOffer.status == "confirmed")).scalar_one()


# -- the enterprise -----------------------------------------------------------------------

def _resource(enterprise_id: str, offer_id: str | None = None) -> Resource:
    return Resource(type="benefit_offer", owner_kind="enterprise", owner_id=enterprise_id, id=offer_id)


def list_offers(principal: Principal, enterprise_id: str, *, limit: int, cursor: str | None):
    authorize(principal, "enterprise:read", _resource(enterprise_id))
    query = select(BenefitOffer).where(BenefitOffer.enterprise_id == enterprise_id)
    if cursor:
        query = query.where(BenefitOffer.id < cursor)
    rows = db.session().execute(query.order_by(BenefitOffer.id.desc()).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def _offer_of(enterprise_id: str, offer_id: str) -> BenefitOffer:
    offer = db.session().get(BenefitOffer, offer_id)
    if offer is None or offer.enterprise_id != enterprise_id:
        raise NotFound("No such benefit offer.", code="benefit_offer_not_found")
    return offer


def _code_purpose(offer_id: str) -> str:
    return f"benefit:{offer_id[-12:]}"  # one_time_codes.purpose holds 20 characters


def _open(offer: BenefitOffer) -> None:
    if offer.status != "offered":
        raise Conflict("This offer has been confirmed already.", code="offer_already_confirmed")


def send_code(principal: Principal, enterprise_id: str, offer_id: str) -> dict:
    authorize(principal, "one_stop:benefits", _resource(enterprise_id, offer_id))
    offer = _offer_of(enterprise_id, offer_id)
    _open(offer)
    return identity.send_code(phone_of(principal.account_id), _code_purpose(offer.id))


@db.unit_of_work()
def confirm(principal: Principal, enterprise_id: str, offer_id: str, code: str) -> BenefitOffer:
    """One step: the SMS code confirms the offer, and the disbursement is recorded."""
    authorize(principal, "one_stop:benefits", _resource(enterprise_id, offer_id))
    offer = _offer_of(enterprise_id, offer_id)
    _open(offer)
    consume_code(phone_of(principal.account_id), _code_purpose(offer.id), code)
    taken = db.session().execute(update(BenefitOffer).where(BenefitOffer.id == offer.id,
                                                            BenefitOffer.status == "offered")
                                 .values(status="confirmed", confirmed_by=principal.audit_name, confirmed_at=utcnow())
                                 .execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise Conflict("This offer has been confirmed already.", code="offer_already_confirmed")
    db.session().refresh(offer)
    disbursement = Disbursement(offer_id=offer.id, enterprise_id=enterprise_id, amount_fen=offer.amount_fen,
                                status="scheduled")
    db.session().add(disbursement)
    db.session().flush()
    audit("one_stop.benefit_confirmed", object_type="benefit_offer", object_id=offer.id,
          details={"benefit_id": offer.benefit_id, "amount_fen": offer.amount_fen,
                   "disbursement_id": disbursement.id})
    return offer


def disbursement_of(offer_id: str) -> Disbursement | None:
    return db.session().execute(select(Disbursement).where(Disbursement.offer_id == offer_id)).scalar_one_or_none()


def eligibility(principal: Principal, enterprise_id: str, benefit_id: str) -> dict:
    """Why the enterprise is (not) offered the benefit: each targeting rule, required and held."""
    authorize(principal, "enterprise:read", _resource(enterprise_id))
    benefit = get_benefit(benefit_id)
    policy = _published(benefit.policy_id)
    profile = enterprise_profile(enterprise_id)
    if profile is None:
        raise NotFound("No such enterprise.", code="enterprise_not_found")
    held = licences.licence_types_held("enterprise", enterprise_id)
    explanation = explain(policy["rules"], profile, held, china_today())
    offer = db.session().execute(select(BenefitOffer).where(BenefitOffer.benefit_id == benefit.id,
                                                            BenefitOffer.enterprise_id == enterprise_id)
                                 ).scalar_one_or_none()
    return {"benefit_id": benefit.id, "matches": explanation["matches"], "rules": explanation["rules"],
            "offer_id": offer.id if offer else None}
