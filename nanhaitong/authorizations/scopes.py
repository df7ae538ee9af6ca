"""The scope vocabulary and its rules: one table answers who may grant what, and what roles hold.

Delegation between citizens (代办), an enterprise's authority given to its staff
(业务授权) and a user's consent to a partner platform all speak these scopes. A member's
role holds the scopes listed for it here, so "what may a handler do" has one answer.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Mapping
from dataclasses import dataclass

CITIZEN = "citizen"
ENTERPRISE = "enterprise"
PARTNER = "partner"


@dataclass(frozen=True)
class ScopeRule:
    description: str
    grantable_by: frozenset[str]  # grantor kinds that may grant it
    grantees: frozenset[str]  # grantee kinds that may receive it
    grantee_level: int  # assurance level a citizen grantee must hold
    sub_delegable: bool
    max_days: int
    roles: frozenset[str]  # enterprise member roles that hold it without a grant
    level: int = 1  # assurance level the acting citizen needs to use it
    # Decided on the caller's own account, whomever their token acts for: one's sessions,
    # password and face stay one's own in every context.
    personal: bool = False


def _rule(description, *, by, to, grantee_level=2, sub=False, days=365, roles=(), level=1,
          personal=False) -> ScopeRule:
    return ScopeRule(description, frozenset(by), frozenset(to), grantee_level, sub, days, frozenset(roles), level,
                     personal)


ALL_ROLES = ("legal_representative", "admin", "handler")
# Who, inside an enterprise, may grant its scopes to others.
ENTERPRISE_GRANTING_ROLES = ("legal_representative", "admin")

SCOPES: dict[str, ScopeRule] = {
    "licences:read": _rule("Read e-licences (optionally only some types)", by=(CITIZEN, ENTERPRISE),
                           to=(CITIZEN, PARTNER), roles=ALL_ROLES),
    # Seeing a licence unmasked stays with its holder: not grantable, and in an enterprise
    # only the legal representative.
    "licences:reveal": _rule("See e-licences unmasked", by=(), to=(), days=0, roles=("legal_representative",),
                             level=2),
    "licences:present": _rule("Present e-licences by QR code", by=(CITIZEN, ENTERPRISE), to=(CITIZEN,),
                              days=90, roles=ALL_ROLES, level=2),
    "gov_services:query": _rule("Query provincial services", by=(CITIZEN, ENTERPRISE), to=(CITIZEN, PARTNER),
                                roles=ALL_ROLES),
    "gov_services:apply": _rule("Apply for provincial services (optionally only some service codes)",
                                by=(CITIZEN, ENTERPRISE), to=(CITIZEN,), days=180, roles=ALL_ROLES, level=2),
    "payments:pay": _rule("Pay utility bills and top-ups (optionally up to an amount ceiling)",
                          by=(CITIZEN, ENTERPRISE), to=(CITIZEN,), days=180, roles=("legal_representative", "admin"),
                          level=2),
    # A personal signature cannot be delegated: only the person signs for themself.
    "esign:sign": _rule("Sign documents with one's own certificate", by=(), to=(), days=0, level=2),
    "esign:seal": _rule("Apply the enterprise's electronic seal", by=(ENTERPRISE,), to=(CITIZEN,), grantee_level=3,
                        days=90, roles=("legal_representative",), level=3),
    "enterprise:read": _rule("See the enterprise and its members", by=(ENTERPRISE,), to=(CITIZEN,),
                             grantee_level=1, roles=ALL_ROLES),
    "members:manage": _rule("Manage the enterprise's members", by=(ENTERPRISE,), to=(CITIZEN,), days=365,
                            roles=("legal_representative", "admin"), level=2),
    "profile:read": _rule("Read verified identity (name, masked ID number)", by=(CITIZEN,), to=(PARTNER,)),
    # The inbox stays with its owner (and an enterprise's members): not grantable.
    "messages:read": _rule("Read the message inbox", by=(), to=(), days=0, roles=ALL_ROLES),
    "messages:settings": _rule("Choose message topics and quiet hours", by=(), to=(), days=0,
                               roles=("legal_representative", "admin")),
}

# Actions that are no scope (never granted, so not in the vocabulary above) but that the one
# decision answers all the same.
OWNER_ACTIONS: dict[str, ScopeRule] = {
    # Authority itself: granting on the owner's behalf, seeing and revoking what was granted.
    # Never granted (a delegate passes on only what their own grant allows: sub-delegation);
    # the grantee of a grant may see and renounce it too.
    "grants:manage": _rule("See and revoke the authorizations granted on one's behalf", by=(), to=(), days=0,
                           roles=ENTERPRISE_GRANTING_ROLES),
    "grants:create": _rule("Grant authority on one's behalf", by=(), to=(), days=0, roles=ENTERPRISE_GRANTING_ROLES,
                           level=2),
    "grants:create_reserved": _rule("Grant the enterprise's seal or member management", by=(), to=(), days=0,
                                    roles=("legal_representative",), level=2),
    # Sub-delegation: a delegate passing on, within their own grant, scopes it holds and
    # that may be passed on (the resource names them as ``scopes``).
    "grants:pass_on": _rule("Pass on what one's own authorization allows", by=(), to=(), days=0, level=2),
    # Removing an admin from an enterprise (members:manage on an admin other than oneself):
    # the legal representative's alone, never granted.
    "members:remove_admin": _rule("Remove an admin from the enterprise", by=(), to=(), days=0,
                                  roles=("legal_representative",), level=2),
    # Reading whose uses of one's data were made: the owner's (an enterprise's legal
    # representative and admins), never a delegate's.
    "access_log:read": _rule("Read the access log of one's data", by=(), to=(), days=0,
                             roles=ENTERPRISE_GRANTING_ROLES),
    # One's own account: sessions, password, phone.
    "account:manage": _rule("Manage one's own account and sessions", by=(), to=(), days=0, personal=True),
    # Registering an enterprise at the registry's word: a personal act (not while acting for
    # anyone), by the citizen the registry names as its legal representative.
    "enterprises:register": _rule("Register an enterprise one is the legal representative of", by=(), to=(),
                                  days=0, level=2),
}
# Every action the one decision answers: a live view, so scopes added below are actions too.
ACTIONS: Mapping[str, ScopeRule] = ChainMap(SCOPES, OWNER_ACTIONS)
# Only the legal representative may hand out the seal.
SCOPES_ONLY_LEGAL_REP_GRANTS = ("esign:seal", "members:manage")


def scopes_of_role(role: str) -> frozenset[str]:
    return frozenset(name for name, rule in SCOPES.items() if role in rule.roles)


def role_holds(role: str | None, action: str) -> bool:
    """Whether a member role holds the action (a scope or an owner action) without a grant."""
    return role is not None and role in ACTIONS[action].roles


def unknown(scopes) -> list[str]:
    return sorted(set(scopes) - set(SCOPES))

# Issue 6 (esign): managing the enterprise's seal certificates and seal images stays with
# its legal representative (not grantable); applying the seal is esign:seal above.
SCOPES["esign:manage"] = _rule("Manage the enterprise's e-seal certificates and seal images", by=(), to=(), days=0,
                               roles=("legal_representative",), level=2)

# Issue 27 (one-stop services): booking at the service centres, applying and following
# cases, rating them, and an enterprise's benefits granted without application, which
# only its legal representative (or a member it authorised) confirms.
SCOPES["one_stop:book"] = _rule("Book, change and cancel appointments at the service centres",
                                by=(CITIZEN, ENTERPRISE), to=(CITIZEN,), days=180, roles=ALL_ROLES)
SCOPES["one_stop:apply"] = _rule("Apply for the district's matters and follow the cases",
                                 by=(CITIZEN, ENTERPRISE), to=(CITIZEN,), days=180, roles=ALL_ROLES, level=2)
SCOPES["one_stop:evaluate"] = _rule("Rate a finished case and appraise the follow-up of a bad rating",
                                    by=(CITIZEN, ENTERPRISE), to=(CITIZEN,), days=180, roles=ALL_ROLES)
SCOPES["one_stop:benefits"] = _rule("See and confirm benefits granted without application (免申即享)",
                                    by=(ENTERPRISE,), to=(CITIZEN,), days=365, roles=("legal_representative",),
                                    level=2)

# Issue 24 (the staff console): what the district's staff may do, by staff role. These are
# not scopes anyone grants: a staff member holds an action through their role alone, and
# ``authorize`` decides it like any other. District-wide objects (the order book, the audit
# log) are resources owned by the district itself.
STAFF = "staff"
DISTRICT = "district"
DISTRICT_ID = "nanhai"


@dataclass(frozen=True)
class StaffAction:
    description: str
    staff_roles: frozenset[str]
    four_eyes: bool = False  # the staff member who asked for it may not also approve it


def _staff(description: str, *roles: str, four_eyes: bool = False) -> StaffAction:
    return StaffAction(description, frozenset(roles), four_eyes)


STAFF_ACTIONS: dict[str, StaffAction] = {
    "admin:payments.read": _staff("Search payment orders and read their timelines", "payments_ops"),
    "admin:payments.refund": _staff("Refund a payment order by hand", "payments_ops"),
    "admin:payments.approve_refund": _staff("Approve another's manual refund", "payments_ops", four_eyes=True),
    "admin:payments.reconcile": _staff("Run reconciliation and resolve mismatches", "payments_ops"),
    "admin:people.lookup": _staff("Look up a citizen or an enterprise (with a reason)", "operator"),
    "admin:staff.manage": _staff("Create, disable and reset staff accounts", "operator"),
    "admin:partners.manage": _staff("Register and manage partner platforms", "operator"),
    "admin:catalogue.manage": _staff("Manage the gov-service catalogue", "operator"),
    "admin:policies.manage": _staff("Draft, publish and withdraw policies", "policy_editor"),
    "admin:audit.read": _staff("Browse, verify and export the audit log", "auditor"),
    "admin:access_log.read": _staff("Search everyone's access logs", "auditor"),
}
# Issue 27 (one-stop services): operators run the catalogue, the cases and the follow-ups
# of bad ratings; auditors read the evaluation statistics and the national export too.
STAFF_ACTIONS["admin:one_stop.manage"] = _staff("Manage one-stop matters, cases and follow-ups of bad ratings",
                                                "operator")
STAFF_ACTIONS["admin:one_stop.read"] = _staff("Read one-stop evaluation statistics and the national export",
                                              "operator", "auditor")

# Issue 23 (privacy): a person's own agreements, consents, data copies and account
# deletion stay with that person (not grantable); a guardian's consent to a minor's
# sensitive processing is a grant from the guardian to the minor.
SCOPES["privacy:manage"] = _rule("Manage one's own agreements, consents, data copies and account deletion",
                                 by=(), to=(), days=0)
SCOPES["identity:face"] = _rule("Verify one's own face", by=(), to=(), days=0, level=2, personal=True)
SCOPES["guardian:consent"] = _rule("A guardian's consent to a minor's face verification, signing and payments",
                                   by=(CITIZEN,), to=(CITIZEN,), grantee_level=2, days=365)

# Issue 19: actions on an object that several parties share (an envelope: its creator and
# its signers), decided by whether the caller is one of the parties the action names. The
# object has no single owner whose standing others borrow; a party acts as themself.
@dataclass(frozen=True)
class PartyAction:
    description: str
    parties: frozenset[str]  # which of the object's named parties may do it


PARTY_ACTIONS: dict[str, PartyAction] = {
    "esign:envelope.read": PartyAction("See an envelope, its signers and its document", frozenset({"creator", "signer"})),
    "esign:envelope.remind": PartyAction("Remind the signers whose turn it is", frozenset({"creator"})),
}
