"""The one decision point: may this principal do this action on this resource?

Every route and service asks ``authorize``; none compares ids itself. It checks, in
order: that the resource belongs to whom the caller acts for (else 404, so ids leak
nothing), the assurance level the action needs, and then the caller's standing: the
owner themself, an enterprise member whose role holds the scope, or a grantee whose
live grant names the scope and whose constraints the resource meets. Uses by anyone but
the owner land in the audit log and in the owner's access log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from flask import current_app
from sqlalchemy import insert, select

from .. import db
from ..audit.service import record as audit
from ..errors import Forbidden, NotFound
from ..kernel import Principal, member_role
from ..timeutil import as_utc, utcnow
from .models import AccessLogEntry, Grant
from .scopes import ACTIONS, CITIZEN, DISTRICT, DISTRICT_ID, ENTERPRISE, PARTNER, STAFF, STAFF_ACTIONS, role_holds


@dataclass(frozen=True)
class Resource:
    type: str  # what it is: "enterprise", "member", "licence", ...
    owner_kind: str  # citizen | enterprise
    owner_id: str
    id: str | None = None
    attrs: dict = field(default_factory=dict)  # what constraints look at: licence_type, service_code, amount_fen


def district(type_: str, id_: str | None = None, **attrs) -> Resource:
    """A district-wide object (the order book, the audit log, a staff account): staff work on it."""
    return Resource(type=type_, owner_kind=DISTRICT, owner_id=DISTRICT_ID, id=id_, attrs=attrs)


@dataclass(frozen=True)
class Decision:
    via: str  # owner | member | delegate | partner | grantee
    grant_id: str | None = None


def live_grant(grant_id: str, *, grantee_kind: str, grantee_id: str) -> Grant | None:
    grant = db.session().get(Grant, grant_id)
    now = utcnow()
    if (grant is None or grant.status != "active" or grant.grantee_kind != grantee_kind
            or grant.grantee_id != grantee_id):
        return None
    return grant if as_utc(grant.not_before) <= now < as_utc(grant.expires_at) else None


def _grants_from(grantor_kind: str, grantor_id: str, grantee_id: str):
    return db.session().execute(
        select(Grant).where(Grant.grantor_kind == grantor_kind, Grant.grantor_id == grantor_id,
                            Grant.grantee_kind == CITIZEN, Grant.grantee_id == grantee_id, Grant.status == "active")
    ).scalars().all()


def constraint_violation(grant: Grant, resource: Resource) -> str | None:
    """Why the resource falls outside the grant's constraints, or None."""
    constraints = json.loads(grant.constraints or "{}")
    attrs = resource.attrs
    if "licence_types" in constraints and attrs.get("licence_type") not in constraints["licence_types"]:
        return "licence_type"
    if "service_codes" in constraints and attrs.get("service_code") not in constraints["service_codes"]:
        return "service_code"
    if "amount_ceiling_fen" in constraints and attrs.get("amount_fen", 0) > constraints["amount_ceiling_fen"]:
        return "amount_fen"
    return None


def _standing(principal: Principal | None, resource: Resource) -> Principal:
    """The principal as it stands towards the resource's owner; 404 when it has no standing."""
    if principal is not None and principal.kind == CITIZEN:
        if principal.subject == (resource.owner_kind, resource.owner_id):
            return principal
        # A member may work on the enterprise's objects with their personal token too, but
        # manages the enterprise's authority only acting for it.
        if (resource.owner_kind == ENTERPRISE and not principal.enterprise_id and not principal.grant_id
                and resource.type != "authorization"):
            role = member_role(resource.owner_id, principal.account_id)
            if role:
                return replace(principal, enterprise_id=resource.owner_id, role=role)
    # A partner platform stands towards the one user whose consent its token carries.
    if (principal is not None and principal.kind == PARTNER and principal.grant_id and principal.for_citizen
            and (resource.owner_kind, resource.owner_id) == (CITIZEN, principal.for_citizen)):
        return principal
    raise NotFound("No such {resource}.".format(resource=resource.type), code=f"{resource.type}_not_found")


def _is_grantee(principal: Principal | None, resource: Resource) -> bool:
    """The citizen a grant was given to stands towards that grant (to see or renounce it)."""
    return (principal is not None and principal.kind == CITIZEN and not principal.enterprise_id
            and resource.type == "authorization" and resource.attrs.get("grantee") == (CITIZEN, principal.account_id))


def authorize(principal: Principal | None, action: str, resource: Resource, *, audit_denial: bool = True,
              record_use: bool = True, sensitive: bool = False) -> Decision:
    """``sensitive``: this operation itself is sensitive processing of the person's
    information (PIPL art. 28: a face compared, a signature made, money paid), not merely
    a read or a step around it under the same action; checks registered with the decision
    ask more for it (privacy: a guardian's consent for a minor)."""
    if principal is not None and principal.kind == STAFF:
        return _authorize_staff(principal, action, resource, audit_denial, record_use)
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    grantee = _is_grantee(principal, resource)
    principal = principal if grantee else _standing(principal, resource)
    rule = ACTIONS[action]
    if principal.assurance_level < rule.level:
        raise Forbidden("This needs a higher identity assurance level.", code="assurance_level_required",
                        details={"required": rule.level, "current": principal.assurance_level})

    decision, violation = None, None
    if grantee:
        candidates, decision = [], Decision("grantee")
    elif principal.grant_id:
        candidates = [live_grant(principal.grant_id, grantee_kind=PARTNER if principal.kind == PARTNER else CITIZEN,
                                 grantee_id=principal.account_id)]
    elif resource.owner_kind == ENTERPRISE and not role_holds(principal.role, action):
        # The enterprise may have granted this member more than the role holds.
        candidates = [live_grant(g.id, grantee_kind=CITIZEN, grantee_id=principal.account_id)
                      for g in _grants_from(ENTERPRISE, resource.owner_id, principal.account_id)]
    else:
        candidates = []
        decision = Decision("member" if resource.owner_kind == ENTERPRISE else "owner")
    # Any one live grant that names the action and whose constraints the resource meets.
    for grant in candidates:
        if grant is None or action not in json.loads(grant.scopes):
            continue
        problem = constraint_violation(grant, resource)
        if problem is None:
            decision = Decision("partner" if principal.kind == PARTNER else "delegate", grant.id)
            break
        violation = {"constraint": problem, "grant_id": grant.id}
    if decision is None:
        _deny(principal, action, resource, rule, violation, audit_denial)
    # Checks other domains register on the decision (privacy: a guardian's consent for minors).
    for check in current_app.extensions.get("nht.authorization_checks", ()):
        check(principal, action, resource, audit_denial=audit_denial, sensitive=sensitive)
    if record_use and decision.via != "owner" and not (
            decision.via == "member" and principal.role == "legal_representative"):
        # A use is recorded when it is allowed, whether or not the work after it succeeds.
        db.keep_as_evidence(_log_use, principal, action, resource, decision)
    return decision


def _authorize_staff(principal: Principal, action: str, resource: Resource, audit_denial: bool,
                     record_use: bool) -> Decision:
    """Staff hold an action through their role; a four-eyes action refuses the one who asked.

    Staff stand towards every citizen's and enterprise's data (that is their work), so a
    use of a person's data is put in that person's access log, as any other's is."""
    rule = STAFF_ACTIONS.get(action)
    if rule is None:
        raise ValueError(f"unknown staff action {action!r}")
    problem = None
    if principal.role not in rule.staff_roles:
        problem = Forbidden("Your staff role does not allow this.", code="staff_role_required",
                            details={"action": action, "roles": sorted(rule.staff_roles)})
    elif rule.four_eyes and resource.attrs.get("requested_by") == principal.audit_name:
        problem = Forbidden("A second staff member must approve this.", code="second_person_required",
                            details={"action": action})
    if problem is not None:
        if audit_denial:
            db.keep_as_evidence(lambda: audit("authorization.denied", result="denied", object_type=resource.type,
                                              object_id=resource.id, details={"action": action,
                                                                              "reason": problem.code}))
        raise problem
    decision = Decision(STAFF)
    if record_use and resource.owner_kind in (CITIZEN, ENTERPRISE):
        db.keep_as_evidence(lambda: _log_use(principal, action, resource, decision))
    return decision


def permitted(principal: Principal | None, action: str, resource: Resource) -> bool:
    """The same decision for filtering a list, with no side effect: False rather than a
    refusal (a skipped item is no denial to audit), and no use recorded (record the items
    actually shown with ``authorize``)."""
    try:
        authorize(principal, action, resource, audit_denial=False, record_use=False)
    except (Forbidden, NotFound):
        return False
    return True


def _deny(principal: Principal, action: str, resource: Resource, rule, violation: dict | None,
          audit_denial: bool = True):
    if audit_denial:
        db.keep_as_evidence(audit, "authorization.denied", result="denied", object_type=resource.type,
                            object_id=resource.id, details={"action": action, **(violation or {})})
    if violation:
        raise Forbidden("This is outside what your authorization allows.", code="outside_grant_constraints",
                        details=violation)
    if principal.role:
        raise Forbidden("Your role in the enterprise does not allow this.", code="member_role_required",
                        details={"action": action, "roles": sorted(rule.roles)})
    raise Forbidden("You are not authorized to do this.", code="not_authorized", details={"action": action})


def _log_use(principal: Principal, action: str, resource: Resource, decision: Decision) -> None:
    record_access(resource, accessor=principal, acting_as=decision.via, action=action, grant_id=decision.grant_id,
                  reason=resource.attrs.get("reason"))


# A plain INSERT, not an ORM object: the unit of work flushing one new row cost about
# 15 % of a licence verification's API CPU. The columns' defaults (id, at) still apply.
_INSERT_ACCESS = insert(AccessLogEntry.__table__)


def record_access(resource: Resource, *, accessor: Principal, acting_as: str, action: str,
                  grant_id: str | None = None, reason: str | None = None) -> None:
    """Put a use of someone's data in their access log and the audit log (caller commits)."""
    db.session().execute(_INSERT_ACCESS, dict(
        owner_kind=resource.owner_kind, owner_id=resource.owner_id, accessor_kind=accessor.kind,
        accessor_id=accessor.account_id, acting_as=acting_as, action=action, object_type=resource.type,
        object_id=resource.id, grant_id=grant_id, reason=reason,
    ))
    audit(f"access.{action}", object_type=resource.type, object_id=resource.id,
          on_behalf_of=f"{resource.owner_kind}:{resource.owner_id}",
          details={"via": acting_as, "grant_id": grant_id, **({"reason": reason} if reason else {})})
