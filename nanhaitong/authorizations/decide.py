"""The one decision point: may this principal do this action on this resource?

Every route and service asks ``authorize``; none compares ids itself. It checks, in
order: that the resource belongs to whom the caller acts for (else 404, so ids leak
nothing), the assurance level the action needs, and then the caller's standing: the
owner themself, an enterprise member whose role holds the scope, or a grantee whose
live grant names the scope and whose constraints the resource meets. Uses by anyone but
the owner land in the audit log and in the owner's access log.

The same decision answers personal actions (on the caller's own account whomever they
act for), party actions (on an object several parties share: an envelope's creator and
signers) and rules about the object acted on (a service's audience, the member removed,
the requester of a signing step). Every refusal it makes with a reason is kept as evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

from flask import current_app
from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..errors import Forbidden, NotFound
from ..ids import new_id
from ..kernel import Principal, member_role
from ..timeutil import as_utc, utcnow
from .models import AccessLogEntry, Grant
from .scopes import (
    ACTIONS,
    CITIZEN,
    DISTRICT,
    DISTRICT_ID,
    ENTERPRISE,
    PARTNER,
    PARTY_ACTIONS,
    SCOPES,
    STAFF,
    STAFF_ACTIONS,
    role_holds,
)

PASS_ON = "grants:pass_on"


@dataclass(frozen=True)
class Resource:
    type: str  # what it is: "enterprise", "member", "licence", ...
    owner_kind: str  # citizen | enterprise
    owner_id: str
    id: str | None = None
    attrs: dict = field(default_factory=dict)  # what constraints look at: licence_type, service_code, amount_fen


def shared(type_: str, id_: str, **parties) -> Resource:
    """An object several parties share (an envelope): each keyword names a party (``creator``,
    ``signer``) and the (kind, id) pairs who are it. Party actions are decided on it."""
    return Resource(type=type_, owner_kind="shared", owner_id=id_, id=id_,
                    attrs={"parties": {name: frozenset(who) for name, who in parties.items()}})


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
    if action in PARTY_ACTIONS:
        return _authorize_party(principal, action, resource, audit_denial)
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    rule = ACTIONS[action]
    if rule.personal and principal is not None:
        principal = replace(principal, enterprise_id=None, role=None, grant_id=None, for_citizen=None)
    grantee = _is_grantee(principal, resource)
    principal = principal if grantee else _standing(principal, resource)
    context = _context_refusal(action, resource)
    if context is not None:
        _refuse(context, action, resource, audit_denial)
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
        if grant is None or not _allows(grant, action, resource):
            continue
        # Passing on is bounded by the grant itself (create_grant keeps a child within it).
        problem = None if action == PASS_ON else constraint_violation(grant, resource)
        if problem is None:
            decision = Decision("partner" if principal.kind == PARTNER else "delegate", grant.id)
            break
        violation = {"constraint": problem, "grant_id": grant.id}
    if decision is None:
        _deny(principal, action, resource, rule, violation, audit_denial)
    problem = _object_refusal(principal, action, resource)
    if problem is not None:
        _refuse(problem, action, resource, audit_denial)
    # Checks other domains register on the decision (privacy: a guardian's consent for minors).
    for check in current_app.extensions.get("nht.authorization_checks", ()):
        check(principal, action, resource, audit_denial=audit_denial, sensitive=sensitive)
    if record_use and decision.via != "owner" and not (
            decision.via == "member" and principal.role == "legal_representative"):
        # A use is recorded when it is allowed, whether or not the work after it succeeds.
        db.keep_as_evidence(_log_use, principal, action, resource, decision)
    return decision


def _allows(grant: Grant, action: str, resource: Resource) -> bool:
    """Whether a grant names the action; for passing on (sub-delegation), whether it holds
    each of the resource's ``scopes`` and each may be passed on."""
    held = json.loads(grant.scopes)
    if action == PASS_ON:
        return all(s in held and SCOPES[s].sub_delegable for s in resource.attrs.get("scopes", ()))
    return action in held


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
        _refuse(problem, action, resource, audit_denial)
    decision = Decision(STAFF)
    if record_use and resource.owner_kind in (CITIZEN, ENTERPRISE):
        db.keep_as_evidence(lambda: _log_use(principal, action, resource, decision))
    return decision


def _authorize_party(principal: Principal | None, action: str, resource: Resource, audit_denial: bool) -> Decision:
    """A party named for the action may do it; another of the object's parties is refused
    (403, kept as evidence); anyone else learns nothing of the object (404).

    A party acts as themself (a citizen's account whomever their token acts for, a
    partner platform), so nothing is recorded in anyone's access log."""
    me = (principal.kind, principal.account_id) if principal is not None else None
    parties = resource.attrs.get("parties", {})
    if any(me in parties.get(name, ()) for name in PARTY_ACTIONS[action].parties):
        return Decision("party")
    if me is not None and any(me in who for who in parties.values()):
        _refuse(_refusal_of(action) or Forbidden("You are not authorized to do this.", code="not_authorized",
                                                 details={"action": action}), action, resource, audit_denial)
    raise NotFound("No such {resource}.".format(resource=resource.type), code=f"{resource.type}_not_found")


def _refusal_of(action: str) -> Forbidden | None:
    """The refusal an action answers in its own words, where it has them (else the decision's own)."""
    if action == "esign:envelope.remind":
        return Forbidden("Only the envelope's creator sends reminders.", code="not_the_creator")
    if action == "access_log:read":
        return Forbidden("Only the owner reads this access log.", code="not_authorized")
    if action == PASS_ON:
        return Forbidden("These scopes may not be passed on.", code="sub_delegation_not_allowed")
    return None


def _context_refusal(action: str, resource: Resource) -> Forbidden | None:
    """An object that serves one kind of party (an ``audience``: a personal or an enterprise
    government service, a registration only a person makes) is used only by a caller acting
    as that kind, before anything else is asked of them."""
    audience = resource.attrs.get("audience")
    if audience is None or audience == resource.owner_kind:
        return None
    if action == "enterprises:register":
        return Forbidden("Register an enterprise from your personal session, not while acting for one.",
                         code="personal_context_required")
    if audience == ENTERPRISE:
        return Forbidden("This is an enterprise service: act for your enterprise first.",
                         code="enterprise_context_required")
    return Forbidden("This is a personal service: it cannot be used acting for an enterprise.",
                     code="personal_context_required")


def _object_refusal(principal: Principal, action: str, resource: Resource) -> Forbidden | None:
    """Rules about the object acted on, once the caller's standing towards its owner holds.

    - Removing a member (``members:manage`` on a resource naming the ``member`` as
      ``(user_id, role)``) who is an admin takes ``members:remove_admin`` in the caller's
      member role (never a grant), unless the admin removes themself (leaves).
    - A step only whoever asked for the object may take (a resource naming its
      ``requester`` and the ``step``): confirming a signature with the code sent to them,
      or having that code sent again.
    - An enterprise registered at the registry's word (a resource naming the account of its
      ``legal_representative`` as the registry gives it, None when it is none of ours) is
      registered by that person only.
    """
    member = resource.attrs.get("member")
    if (action == "members:manage" and member is not None and member[1] == "admin"
            and member[0] != principal.account_id and not role_holds(principal.role, "members:remove_admin")):
        return Forbidden("Only the legal representative removes an admin.", code="legal_representative_required")
    requester = resource.attrs.get("requester")
    if requester is not None and requester != principal.audit_name:
        if resource.attrs.get("step") == "resend_code":
            return Forbidden("Only the signer who asked gets its code.", code="not_the_signer")
        return Forbidden("Only the signer who asked may confirm, with the code sent to them.", code="not_the_signer")
    if "legal_representative" in resource.attrs and resource.attrs["legal_representative"] != principal.account_id:
        return Forbidden("Only the enterprise's legal representative, as registered, can register it.",
                         code="not_legal_representative")
    return None


def _refuse(problem: Forbidden, action: str, resource: Resource, audit_denial: bool):
    """Raise ``problem``, the refusal kept as evidence (it outlives the operation it ends)."""
    if audit_denial:
        db.keep_as_evidence(audit, "authorization.denied", result="denied", object_type=resource.type,
                            object_id=resource.id, details={"action": action, "reason": problem.code})
    raise problem


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
    refusal = _refusal_of(action)
    if refusal is not None:
        raise refusal
    if principal.role:
        raise Forbidden("Your role in the enterprise does not allow this.", code="member_role_required",
                        details={"action": action, "roles": sorted(rule.roles)})
    raise Forbidden("You are not authorized to do this.", code="not_authorized", details={"action": action})


def _log_use(principal: Principal, action: str, resource: Resource, decision: Decision) -> None:
    record_access(resource, accessor=principal, acting_as=decision.via, action=action, grant_id=decision.grant_id,
                  reason=resource.attrs.get("reason"))


def record_access(resource: Resource, *, accessor: Principal, acting_as: str, action: str,
                  grant_id: str | None = None, reason: str | None = None) -> None:
    """Put a use of someone's data in their access log and the audit log (caller commits).

    The entry is a plain row, not an ORM object (flushing one cost about 15 % of a licence
    verification's API CPU), and goes in with the audit event: on PostgreSQL the one
    statement that appends the event inserts it too."""
    entry = dict(
        id=new_id(), at=utcnow(), owner_kind=resource.owner_kind, owner_id=resource.owner_id,
        accessor_kind=accessor.kind, accessor_id=accessor.account_id, acting_as=acting_as, action=action,
        object_type=resource.type, object_id=resource.id, grant_id=grant_id, reason=reason,
    )
    audit(f"access.{action}", object_type=resource.type, object_id=resource.id,
          on_behalf_of=f"{resource.owner_kind}:{resource.owner_id}",
          details={"via": acting_as, "grant_id": grant_id, **({"reason": reason} if reason else {})},
          along=(AccessLogEntry.__table__, entry))
