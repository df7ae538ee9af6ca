"""Staff (operator) accounts: kept apart from citizens, in their own table and token audience.

Accounts are made and managed from the command line (``flask staff ...``) by whoever
runs the service; every change is audited as ``system:cli``. Staff sign in with their
password *and* an SMS code (purpose ``staff_login``) and get a token pair whose
audience is ``staff``, which citizen routes refuse (and citizen tokens are refused by
``/api/v1/admin``). Each request re-reads the account, so deactivation and role changes
take effect on the next request.

The role vocabulary is ``STAFF_ROLES``; views require roles with
``@blp.login_required("staff", roles=(...))``.
"""

from __future__ import annotations

import re
import time

from flask import current_app, has_request_context, request
from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..audit.service import verify_chain
from ..authorizations import authorize, district
from ..errors import N_, Conflict, NotFound, RateLimited, Unauthorized, ValidationFailed
from ..kernel import STAFF_AUDIENCE, Principal
from ..ratelimit import strategy
from ..security.passwords import hash_password, upgraded_hash, verify_password
from . import codes, service, sessions
from .models import StaffAccount

# The one list of staff roles. A test checks every route's role requirement against it.
STAFF_ROLES = ("operator", "policy_editor", "payments_ops", "auditor")
CLI_ACTOR = "system:cli"
LOGIN_PURPOSE = "staff_login"
# Failed staff sign-ins slow further tries down; nothing locks an account shut (anyone who
# knows a staff phone could otherwise keep it locked). Per phone and client address: free
# tries (NHT_LOGIN_FAILURES_BEFORE_LOCK), then waits of 5 s, 10 s, 20 s... up to
# NHT_LOGIN_LOCK_SECONDS. Per phone from any address: more free tries, then waits of 1 s,
# 2 s, 4 s... up to PHONE_MAX_WAIT_SECONDS, so a distributed guesser is slowed while the
# staff member is kept waiting a minute at most, and can lift both with an SMS code
# (POST /api/v1/admin/auth/unlock).
PHONE_FREE_FACTOR = 4
PHONE_MAX_WAIT_SECONDS = 60
FAILURE_MEMORY_SECONDS = 24 * 3600

# Staff are held to more than citizens (8+).
PASSWORD_RULE = "12 to 128 characters with at least one letter and one digit"
_PASSWORD = re.compile(r"^(?=.*[A-Za-z])(?=.*[0-9]).{12,128}$", re.DOTALL)

# One answer for an unknown phone, a wrong password, a wrong code and a deactivated account.
INVALID_CREDENTIALS = "The phone number, password or code is wrong. Ask for a new code and try again."


def password_problem(password: str) -> str | None:
    """Why ``password`` is not good enough for a staff account, or None."""
    if not _PASSWORD.match(password or ""):
        return N_("Use 12 to 128 characters with at least one letter and one digit.")
    return None


def find_by_phone(phone: str) -> StaffAccount | None:
    return db.session().execute(
        select(StaffAccount).where(StaffAccount.phone_index == codes.phone_index(phone))
    ).scalar_one_or_none()


def get(staff_id: str) -> StaffAccount:
    staff = db.session().get(StaffAccount, staff_id)
    if staff is None:
        raise NotFound("No such staff account.", code="staff_not_found")
    return staff


def _check_role(role: str) -> None:
    if role not in STAFF_ROLES:
        raise ValidationFailed({"role": ["Must be one of: {choices}.".format(choices=", ".join(STAFF_ROLES))]})


def phone_taken() -> Conflict:
    return Conflict("A staff account with this phone number already exists.", code="staff_phone_taken")


# --- Administration (the CLI) ---------------------------------------------------------

@db.unit_of_work("create_staff", conflict=Conflict("A staff account with this phone number already exists.",
                                                  code="staff_phone_taken"))
def create(phone: str, role: str, password: str, *, actor: str = CLI_ACTOR) -> StaffAccount:
    """Create an active staff account; 409 staff_phone_taken when the phone has one."""
    _check_role(role)
    problem = password_problem(password)
    if problem:
        raise ValidationFailed({"password": [problem]})
    session = db.session()
    if find_by_phone(phone) is not None:
        raise phone_taken()
    staff = StaffAccount(phone=phone, phone_index=codes.phone_index(phone),
                         password_hash=hash_password(password), role=role, active=True)
    session.add(staff)
    session.flush()  # a concurrent duplicate: the unit turns it into staff_phone_taken
    audit("staff.created", actor=actor, object_type="staff_account", object_id=staff.id, details={"role": role})
    return staff


def list_accounts() -> list[StaffAccount]:
    return list(db.session().execute(
        select(StaffAccount).order_by(StaffAccount.created_at, StaffAccount.id)
    ).scalars())


@db.unit_of_work("deactivate_staff")
def deactivate(staff_id: str, *, actor: str = CLI_ACTOR) -> int:
    """Deactivate an account and end its sessions at once; returns how many ended."""
    staff = get(staff_id)
    was_active = staff.active
    staff.active = False
    ended = sessions.revoke_all("staff", staff.id, reason="staff_deactivated")
    audit("staff.deactivated", actor=actor, object_type="staff_account", object_id=staff.id,
          details={"was_active": was_active, "sessions_ended": ended})
    return ended


@db.unit_of_work("reset_staff")
def reset(staff_id: str, *, phone: str | None = None, password: str | None = None,
          actor: str = CLI_ACTOR) -> tuple[StaffAccount, int]:
    """Reset an account's second factor (the phone its sign-in codes go to) and/or its
    password; every session ends. Returns the account and how many sessions ended."""
    if not phone and not password:
        raise ValidationFailed({"phone": ["Give a new phone, a new password, or both."]})
    staff = get(staff_id)
    changed = []
    if phone:
        other = find_by_phone(phone)
        if other is not None and other.id != staff.id:
            raise phone_taken()
        staff.phone, staff.phone_index = phone, codes.phone_index(phone)
        changed.append("second_factor")
    if password:
        problem = password_problem(password)
        if problem:
            raise ValidationFailed({"password": [problem]})
        staff.password_hash = hash_password(password)
        changed.append("password")
    ended = sessions.revoke_all("staff", staff.id, reason="staff_reset")
    audit("staff.reset", actor=actor, object_type="staff_account", object_id=staff.id,
          details={"changed": changed, "sessions_ended": ended})
    return staff, ended


# --- Administration by an operator (the admin API and the console) -------------------

MANAGE = "admin:staff.manage"


def create_by(principal: Principal, phone: str, role: str, password: str) -> StaffAccount:
    authorize(principal, MANAGE, district("staff_accounts"))
    return create(phone, role, password, actor=principal.audit_name)


def list_by(principal: Principal) -> list[StaffAccount]:
    authorize(principal, MANAGE, district("staff_accounts"))
    return list_accounts()


def deactivate_by(principal: Principal, staff_id: str) -> StaffAccount:
    authorize(principal, MANAGE, district("staff_account", staff_id))
    deactivate(staff_id, actor=principal.audit_name)
    return get(staff_id)


def reset_second_factor_by(principal: Principal, staff_id: str, phone: str) -> StaffAccount:
    authorize(principal, MANAGE, district("staff_account", staff_id))
    return reset(staff_id, phone=phone, actor=principal.audit_name)[0]


@db.unit_of_work("set_staff_role")
def set_role(staff_id: str, role: str, *, actor: str = CLI_ACTOR) -> tuple[StaffAccount, int]:
    """Change an account's role; its sessions end (their tokens carry the old role).

    Returns the account and how many sessions ended. Setting the role it has changes nothing.
    """
    _check_role(role)
    staff = get(staff_id)
    if staff.role == role:
        return staff, 0
    previous, staff.role = staff.role, role
    ended = sessions.revoke_all("staff", staff.id, reason="staff_role_changed")
    audit("staff.role_changed", actor=actor, object_type="staff_account", object_id=staff.id,
          details={"from": previous, "to": role, "sessions_ended": ended})
    return staff, ended


# --- Signing in ----------------------------------------------------------------------

def _can_sign_in(staff: StaffAccount | None) -> bool:
    return staff is not None and staff.active


def send_login_code(phone: str) -> dict:
    """Same answer, limits and work for any phone; only an active staff account gets the SMS,
    sent after the answer, so neither the answer's timing nor a gateway failure tells."""
    return codes.send(phone, LOGIN_PURPOSE, deliver=_can_sign_in(find_by_phone(phone)), deliver_after_response=True)


def _address() -> str:
    return (request.remote_addr if has_request_context() else None) or "-"


def _throttles(index: str) -> list[tuple[str, int, float, float]]:
    """(key, free failures, first wait, longest wait) for the phone with this address, and alone."""
    cfg = current_app.config
    free = max(1, cfg["LOGIN_FAILURES_BEFORE_LOCK"])
    return [(f"pa:{index}:{_address()}", free, 5.0, float(cfg["LOGIN_LOCK_SECONDS"])),
            (f"p:{index}", free * PHONE_FREE_FACTOR, 1.0, float(PHONE_MAX_WAIT_SECONDS))]


def _check_throttle(index: str) -> None:
    storage = strategy().storage
    for key, *_ in _throttles(index):
        if storage.get(f"staff-wait:{key}") > 0:
            raise RateLimited(retry_after=storage.get_expiry(f"staff-wait:{key}") - time.time(),
                              message="Too many failed sign-ins; wait, or lift the wait with an SMS code.")


def _count_failure(index: str) -> None:
    storage = strategy().storage
    for key, free, first, longest in _throttles(index):
        failures = storage.incr(f"staff-fail:{key}", FAILURE_MEMORY_SECONDS)
        if failures >= free:
            wait = min(longest, first * 2 ** min(failures - free, 30))
            storage.incr(f"staff-wait:{key}", max(1, int(wait)))


def _clear_throttle(index: str) -> None:
    storage = strategy().storage
    for key, *_ in _throttles(index):
        storage.clear(f"staff-fail:{key}")
        storage.clear(f"staff-wait:{key}")


def unlock(phone: str, code: str) -> None:
    """Lift the waits on a phone's staff sign-in with a staff sign-in SMS code (only the
    phone's owner receives one). The code is spent; a wrong one is a 401 like any other."""
    with db.unit_of_work():
        codes.consume_code(phone, LOGIN_PURPOSE, code)
        staff = find_by_phone(phone)
        if _can_sign_in(staff):
            _clear_throttle(codes.phone_index(phone))
            audit("auth.sign_in_unthrottled", actor=f"staff:{staff.id}", details={"method": "sms_code"})


@db.unit_of_work()
def login(phone: str, password: str, code: str) -> dict:
    """Password plus SMS code; a token pair with audience ``staff``.

    Both factors are always checked (the code is spent either way), so neither the
    answer nor the work done tells which one was wrong or whether the account exists.
    Failures slow further tries down (per phone and address, and per phone), never lock.
    """
    index = codes.phone_index(phone)
    _check_throttle(index)
    staff = find_by_phone(phone)
    password_ok = verify_password(staff.password_hash if staff else None, password)
    try:
        codes.consume_code(phone, LOGIN_PURPOSE, code)
        code_ok = True
    except Unauthorized:
        code_ok = False
    if not (password_ok and code_ok and _can_sign_in(staff)):
        _count_failure(index)
        # The audit log (not the caller) may know which factor failed.
        reason = ("unknown_account" if staff is None else "inactive_account" if not staff.active
                  else "invalid_password" if not password_ok else "invalid_code")
        db.keep_as_evidence(codes.spend, phone, LOGIN_PURPOSE)  # spent either way, though the sign-in fails
        db.keep_as_evidence(audit, "auth.login", result="failure", actor=f"staff:{staff.id}" if staff else "anonymous",
                            details={"method": "password_sms", "audience": STAFF_AUDIENCE, "reason": reason})
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if upgraded := upgraded_hash(staff.password_hash, password):  # made under older parameters
        staff.password_hash = upgraded
    auth_session = sessions.open_session(account_kind="staff", account_id=staff.id, audience=STAFF_AUDIENCE)
    pair = service.token_pair(auth_session)
    audit("auth.login", actor=f"staff:{staff.id}", object_type="session", object_id=auth_session.id,
          details={"method": "password_sms", "audience": STAFF_AUDIENCE})
    return pair


def refresh(refresh_token: str) -> dict:
    """Rotate a staff session's refresh token; any other session's token is refused unspent."""
    return service.refresh(refresh_token, account_kind="staff")


def account(principal: Principal) -> StaffAccount:
    return get(principal.account_id)


# --- Staff tools -----------------------------------------------------------------------

@db.unit_of_work("verify_audit_chain")
def verify_audit_chain(principal: Principal) -> dict:
    """Walk the audit chain for an auditor; the check itself is audited."""
    authorize(principal, "admin:audit.read", district("audit_log"))
    report = verify_chain().as_dict()
    audit("audit.chain_verified", actor=principal.audit_name, details=report)
    return report


# --- The staff console's sign-in (a server-rendered client of the same rules) ----------

def console_sign_in(phone: str, password: str, code: str) -> str:
    """``login``, for the console: answers the new session's id, which its cookie carries."""
    from .tokens import decode_access_token

    pair = login(phone, password, code)
    return decode_access_token(pair["access_token"], (STAFF_AUDIENCE,))["sid"]


def console_principal(session_id: str) -> Principal | None:
    """The staff member of a live console session, or None when it has ended."""
    from .authn import staff_principal

    return staff_principal(session_id)
