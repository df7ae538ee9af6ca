"""Enterprises and their members: registration against the registry, membership management.

Registering an enterprise needs a real-name verified citizen (level 2) who is its legal
representative at the enterprise registry (Yueshangtong): their verified resident ID
number must be the registry's. The enterprise is created verified, with the registrant
as its one legal representative member.

Members are the legal representative, admins and handlers. The legal representative or
an admin manages members; an enterprise a caller is not a member of does not exist for
them (404). A token acting for an enterprise reaches that enterprise only.

Who may do what is asked of ``authorizations.authorize`` (through ``_membership_for``),
including the rule about whom a removal is done to (only the legal representative removes
an admin, unless the admin leaves); ``_check_removable`` keeps the one invariant, that the
legal representative stays. Registering is the decision's too (``enterprises:register``):
a personal act, by the citizen the registry names as the legal representative.
"""

from __future__ import annotations

import hmac

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..clients import clients
from ..errors import AppError, Conflict, Forbidden, NotFound, ValidationFailed
from ..kernel import Principal
from ..ratelimit import enforce
from ..security.fields import normalize_id_number
from ..timeutil import utcnow
from ..upstream import upstream_errors
from . import codes
from .models import AuthSession, Enterprise, EnterpriseMember, User

LEGAL_REPRESENTATIVE = "legal_representative"
MANAGER_ROLES = (LEGAL_REPRESENTATIVE, "admin")
ASSIGNABLE_ROLES = ("admin", "handler")  # the legal representative comes from the registry only
# Adding members by phone looks accounts up: bound how fast a manager can probe numbers.
MEMBER_ADD_LIMIT = "30 per hour"


# -- access --------------------------------------------------------

def _membership_for(principal: Principal, enterprise_id: str, *, manage: bool = False,
                    removing: EnterpriseMember | None = None) -> EnterpriseMember | None:
    """Ask the one decision point; return the caller's membership (None when a grant,
    not a membership, gives them standing).

    No standing: 404, as if the enterprise did not exist. With ``manage`` (adding and
    removing members) the caller needs ``members:manage``, else 403; ``removing`` names
    the member a removal is done to, for the rule about removing an admin.
    """
    attrs = {"member": (removing.user_id, removing.role)} if removing is not None else {}
    authorize(principal, "members:manage" if manage else "enterprise:read",
              Resource(type="enterprise", owner_kind="enterprise", owner_id=enterprise_id, id=enterprise_id,
                       attrs=attrs))
    return _member(enterprise_id, principal.account_id)


def _check_removable(target: EnterpriseMember) -> None:
    """The legal representative is never removed: there is always exactly one, and it
    changes only with the registry."""
    if target.role == LEGAL_REPRESENTATIVE:
        raise Conflict("The legal representative cannot be removed; an enterprise always has exactly one.",
                       code="legal_representative_not_removable")


# -- registration -------------------------------------------------------------------

def register(principal: Principal, uscc: str) -> tuple[Enterprise, str, bool]:
    """Register the enterprise ``uscc`` with the caller as its legal representative.

    Returns the enterprise, the caller's role and whether it was created now (``False``
    when the caller had already registered it: the call is idempotent).
    """
    session = db.session()
    user = session.get(User, principal.account_id)
    existing = _enterprise_by_uscc(uscc)
    record = None if existing is not None else _registry_record(uscc)
    # Who the registry names, when it was asked: this caller, or nobody of ours.
    named = {} if record is None else {
        "legal_representative": user.id if _same_id_number(user.id_number, record.legal_representative_id_number)
        else None}
    kind, ident = principal.subject
    try:
        authorize(principal, "enterprises:register", Resource(
            type="enterprise", owner_kind=kind, owner_id=ident, id=existing.id if existing else None,
            attrs={"audience": "citizen", **named}), audit_denial=False)
    except Forbidden as refused:  # audited below as a refused registration, with its reason
        raise _refused(uscc, refused, result="denied") from None
    if existing is not None:
        return _already_registered(existing, user.id, uscc)

    enterprise = Enterprise(uscc=record.uscc, name=record.name, industry_code=record.industry_code,
                            town=record.town, size=record.size, registered_on=record.registered_on,
                            verified_at=utcnow())
    try:
        with db.unit_of_work():
            session.add(enterprise)
            session.flush()
            session.add(EnterpriseMember(enterprise_id=enterprise.id, user_id=user.id, role=LEGAL_REPRESENTATIVE,
                                         added_by=user.id))
            audit("enterprise.registration", object_type="enterprise", object_id=enterprise.id,
                  on_behalf_of=f"enterprise:{enterprise.id}", details={"uscc": record.uscc})
    except IntegrityError:
        # Someone registered the same code between our check and our insert.
        existing = _enterprise_by_uscc(uscc)
        if existing is None:
            raise
        return _already_registered(existing, principal.account_id, uscc)
    return enterprise, LEGAL_REPRESENTATIVE, True


def _registry_record(uscc: str):
    """The registry's record of an active enterprise (refusals audited as failures)."""
    try:
        with upstream_errors("enterprise registry"):
            record = clients().yueshangtong.lookup_enterprise(uscc)
    except AppError as error:
        raise _refused(uscc, error, result="failure") from None
    if record is None:
        raise _refused(uscc, ValidationFailed(
            {"uscc": ["No enterprise is registered under this code at the enterprise registry."]},
            message="The enterprise registry has no enterprise with this unified social credit code.",
            code="enterprise_not_registered"), result="failure")
    if not record.is_active:
        raise _refused(uscc, Conflict(
            "The enterprise is not active at the enterprise registry (revoked or cancelled).",
            code="enterprise_not_active", details={"status": record.status}), result="failure")
    return record


@db.unit_of_work()
def _already_registered(enterprise: Enterprise, user_id: str, uscc: str) -> tuple[Enterprise, str, bool]:
    role = _member_role(enterprise.id, user_id)
    if role != LEGAL_REPRESENTATIVE:
        raise _refused(uscc, Conflict(
            "This enterprise is already registered; its legal representative or an admin can add you as a member.",
            code="enterprise_already_registered"), result="denied", enterprise_id=enterprise.id)
    audit("enterprise.registration", object_type="enterprise", object_id=enterprise.id,
          on_behalf_of=f"enterprise:{enterprise.id}", details={"uscc": uscc, "already_registered": True})
    return enterprise, role, False


def _refused(uscc: str, error: AppError, *, result: str, enterprise_id: str | None = None) -> AppError:
    """Audit a refused registration and hand back ``error`` to raise.

    The details hold the code (public business data) and the reason, no personal data.
    """
    db.keep_as_evidence(audit, "enterprise.registration", result=result, object_type="enterprise",
                        object_id=enterprise_id, details={"uscc": uscc, "reason": error.code})
    return error


def _same_id_number(ours: str | None, theirs: str | None) -> bool:
    if not ours or not theirs:
        return False
    return hmac.compare_digest(normalize_id_number(ours).encode(), normalize_id_number(theirs).encode())


# -- reading ------------------------------------------------------------------------

def list_enterprises(principal: Principal, *, limit: int, cursor: str | None) -> tuple[list[tuple[Enterprise, str]], str | None]:
    """The caller's enterprises with their role; a token acting for one sees only that one."""
    query = (select(Enterprise, EnterpriseMember.role, EnterpriseMember.id)
             .join(EnterpriseMember, EnterpriseMember.enterprise_id == Enterprise.id)
             .where(EnterpriseMember.user_id == principal.account_id))
    if principal.enterprise_id:
        query = query.where(Enterprise.id == principal.enterprise_id)
    rows, next_cursor = _page(query, EnterpriseMember.id, limit=limit, cursor=cursor)
    return [(enterprise, role) for enterprise, role, _ in rows], next_cursor


def get_enterprise(principal: Principal, enterprise_id: str) -> tuple[Enterprise, str | None]:
    member = _membership_for(principal, enterprise_id)
    return db.session().get(Enterprise, enterprise_id), member.role if member else None


def list_members(principal: Principal, enterprise_id: str, *, limit: int,
                 cursor: str | None) -> tuple[list[tuple[EnterpriseMember, User]], str | None]:
    """Any member sees the members (personal data masked by the view)."""
    _membership_for(principal, enterprise_id)
    query = (select(EnterpriseMember, User, EnterpriseMember.id).join(User, User.id == EnterpriseMember.user_id)
             .where(EnterpriseMember.enterprise_id == enterprise_id))
    rows, next_cursor = _page(query, EnterpriseMember.id, limit=limit, cursor=cursor)
    return [(member, user) for member, user, _ in rows], next_cursor


def _page(query, key, *, limit: int, cursor: str | None):
    """Keyset page on ``key`` (a ULID column: creation order); the cursor is the last key seen."""
    if cursor:
        query = query.where(key > cursor)
    rows = db.session().execute(query.order_by(key).limit(limit + 1)).all()
    if len(rows) > limit:
        return rows[:limit], rows[limit - 1][-1]
    return rows, None


# -- managing members ---------------------------------------------------------------

def add_member(principal: Principal, enterprise_id: str, *, role: str, phone: str | None = None,
               user_id: str | None = None) -> tuple[EnterpriseMember, User]:
    """Add a registered citizen as ``role`` (admin or handler)."""
    session = db.session()
    _membership_for(principal, enterprise_id, manage=True)  # non-members learn nothing past this
    if role not in ASSIGNABLE_ROLES:
        raise ValidationFailed({"role": ["Only admin or handler can be given."]}, code="role_not_assignable")
    enforce(MEMBER_ADD_LIMIT, "enterprise-member-add", principal.account_id)
    grantee = _grantee(phone, user_id)
    if _member(enterprise_id, grantee.id) is not None:
        raise Conflict("This citizen is already a member of the enterprise.", code="member_exists")
    member = EnterpriseMember(enterprise_id=enterprise_id, user_id=grantee.id, role=role,
                              added_by=principal.account_id)
    try:
        with db.unit_of_work():
            session.add(member)
            session.flush()
            audit("enterprise.member_added", on_behalf_of=f"enterprise:{enterprise_id}",
                  object_type="enterprise_member", object_id=grantee.id, details={"role": role})
    except IntegrityError:
        if _member(enterprise_id, grantee.id) is not None:
            raise Conflict("This citizen is already a member of the enterprise.", code="member_exists") from None
        raise
    return member, grantee


@db.unit_of_work()
def remove_member(principal: Principal, enterprise_id: str, user_id: str) -> None:
    """Remove a member; their enterprise-context sessions for this enterprise end at once."""
    session = db.session()
    target = _member(enterprise_id, user_id)  # told to no one the decision refuses
    _membership_for(principal, enterprise_id, manage=True, removing=target)
    if target is None:
        raise NotFound("No such member.", code="member_not_found")
    _check_removable(target)
    role = target.role
    session.delete(target)
    # The per-request membership check (authn) and the refresh-time one (claims_for) would
    # refuse these tokens anyway; ending the sessions also keeps them dead if the citizen
    # is added back later.
    ended = session.execute(
        update(AuthSession)
        .where(AuthSession.account_kind == "citizen", AuthSession.account_id == user_id,
               AuthSession.enterprise_id == enterprise_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason="enterprise_member_removed")
        .execution_options(synchronize_session="fetch")
    ).rowcount
    audit("enterprise.member_removed", on_behalf_of=f"enterprise:{enterprise_id}",
          object_type="enterprise_member", object_id=user_id, details={"role": role, "sessions_ended": ended})


def _grantee(phone: str | None, user_id: str | None) -> User:
    """The registered citizen to add; 422 naming the field when there is none."""
    if phone is not None:
        user = db.session().execute(select(User).where(User.phone_index == codes.phone_index(phone))).scalar_one_or_none()
        field = "phone"
    else:
        user = db.session().get(User, user_id) if user_id else None
        field = "user_id"
    if user is None:
        raise ValidationFailed({field: ["No citizen account has this " + field.replace("_", " ") + "."]},
                               message="The citizen to add must have a Nanhai-Tong account.",
                               code="grantee_not_registered")
    return user


# -- lookups --------------------------------------------------------------------------

def _enterprise_by_uscc(uscc: str) -> Enterprise | None:
    return db.session().execute(select(Enterprise).where(Enterprise.uscc == uscc)).scalar_one_or_none()


def _member(enterprise_id: str, user_id: str) -> EnterpriseMember | None:
    return db.session().execute(
        select(EnterpriseMember).where(EnterpriseMember.enterprise_id == enterprise_id,
                                       EnterpriseMember.user_id == user_id)
    ).scalar_one_or_none()


def _member_role(enterprise_id: str, user_id: str) -> str | None:
    member = _member(enterprise_id, user_id)
    return member.role if member else None
