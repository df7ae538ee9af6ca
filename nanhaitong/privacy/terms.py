"""Terms of service and privacy policy: versions staff publish, agreements people give.

Sign-up (the first SMS sign-in) records the person's agreement to the current version of
each document; without it the account is not created. When staff publish a version that
requires agreement, every authenticated citizen call answers 428
``terms_update_required`` until the person agrees, except the routes that let them
agree, read their account, sign out, withdraw consents or delete the account.

Until both documents are published, sign-up is closed (503 ``terms_not_published``):
nobody may get an account that agreed to nothing. Only development and test (NHT_ENV)
let a person sign up without, so tests of other domains need not publish terms first;
`flask demo seed` publishes them for `make run`.
"""

from __future__ import annotations

import time
from typing import NamedTuple

from flask import current_app, has_request_context, request
from sqlalchemy import func, select

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..errors import Conflict, NotFound, ValidationFailed
from ..kernel import Principal
from .errors import PreconditionRequired, SignUpClosed
from .models import Agreement, LegalDocument

KINDS = ("terms", "privacy_policy")
TITLES = {"terms": "南海通用户服务协议", "privacy_policy": "南海通隐私政策"}
_CACHE = "nht.privacy.required_versions"
CACHE_SECONDS = 5.0  # other instances see a new version within this; the publishing one at once
# Where sign-up may go on with no document published (every other NHT_ENV refuses: fail closed).
SIGN_UP_WITHOUT_TERMS_ENVS = ("development", "test")


def own_account(principal: Principal) -> Resource:
    """The account of whom the caller acts for, as privacy operations name it to
    authorize(): privacy:manage is held by the owner alone (no role holds it, no grant
    carries it), so a token acting for an enterprise or under a grant is refused (403)."""
    kind, ident = principal.subject
    return Resource("account", kind, ident, ident)


# -- documents -----------------------------------------------------------------------------

def current_documents() -> dict[str, LegalDocument]:
    """The newest published version of each kind that has one."""
    latest = select(LegalDocument.kind, func.max(LegalDocument.version).label("version")).group_by(
        LegalDocument.kind).subquery()
    rows = db.session().execute(select(LegalDocument).join(
        latest, (LegalDocument.kind == latest.c.kind) & (LegalDocument.version == latest.c.version))).scalars()
    return {row.kind: row for row in rows}


def document(kind: str, version: int | None = None) -> LegalDocument:
    query = select(LegalDocument).where(LegalDocument.kind == kind)
    query = query.where(LegalDocument.version == version) if version else query.order_by(
        LegalDocument.version.desc()).limit(1)
    row = db.session().execute(query).scalars().first()
    if row is None:
        raise NotFound("No such document version.", code="legal_document_not_found")
    return row


def versions(kind: str) -> list[LegalDocument]:
    return list(db.session().execute(select(LegalDocument).where(LegalDocument.kind == kind)
                                     .order_by(LegalDocument.version.desc())).scalars())


def required_versions() -> dict[str, int]:
    """kind -> the lowest version a person must have agreed to (the newest one that
    requires agreement). Kept a few seconds per process: every citizen request asks."""
    cached = current_app.extensions.get(_CACHE)
    if cached and cached[0] > time.monotonic():
        return cached[1]
    rows = db.session().execute(select(LegalDocument.kind, func.max(LegalDocument.version))
                                .where(LegalDocument.requires_agreement.is_(True))
                                .group_by(LegalDocument.kind)).all()
    required = {kind: version for kind, version in rows}
    current_app.extensions[_CACHE] = (time.monotonic() + CACHE_SECONDS, required)
    return required


@db.unit_of_work(conflict=Conflict("Another version was published at the same moment; try again.",
                                   code="legal_document_version_taken"))
def publish(principal: Principal, body: dict) -> LegalDocument:
    """Publish the next version of the terms or the privacy policy (staff: operator)."""
    session = db.session()
    kind = body["kind"]
    last = session.execute(select(func.max(LegalDocument.version)).where(LegalDocument.kind == kind)).scalar()
    doc = LegalDocument(kind=kind, version=(last or 0) + 1, title=body.get("title") or TITLES[kind],
                        body=body["body"], summary_of_changes=body.get("summary_of_changes"),
                        requires_agreement=body.get("requires_agreement", True), published_by=principal.audit_name)
    session.add(doc)
    session.flush()
    audit("privacy.legal_document_published", object_type="legal_document", object_id=doc.id,
          details={"kind": kind, "version": doc.version, "requires_agreement": doc.requires_agreement})
    current_app.extensions.pop(_CACHE, None)
    return doc


# -- agreements ----------------------------------------------------------------------------

def _agreed_versions(user_id: str) -> dict[str, int]:
    rows = db.session().execute(select(Agreement.kind, func.max(Agreement.version))
                                .where(Agreement.user_id == user_id).group_by(Agreement.kind)).all()
    return {kind: version for kind, version in rows}


def pending_for(user_id: str, required: dict[str, int] | None = None) -> list[dict]:
    """The documents the person must (re)agree to: the current version of each kind whose
    required version is newer than anything they agreed to."""
    required = required_versions() if required is None else required
    if not required:
        return []
    agreed = _agreed_versions(user_id)
    stale = [kind for kind, version in required.items() if agreed.get(kind, 0) < version]
    if not stale:
        return []
    current = current_documents()
    return [{"kind": kind, "version": current[kind].version, "title": current[kind].title} for kind in sorted(stale)]


def _record(user_id: str, agreements: list[dict], *, context: str, channel: str) -> list[Agreement]:
    """Record agreement to the current versions named; anything else is refused."""
    current = current_documents()
    problems = [f"{a['kind']} {a['version']}" for a in agreements
                if a["kind"] not in current or current[a["kind"]].version != a["version"]]
    if problems:
        raise ValidationFailed({"agreements": ["Only the current version of each document can be agreed to."]})
    session = db.session()
    already = _agreed_versions(user_id)
    client = ((request.user_agent.string or "")[:200] or None) if has_request_context() else None
    made = []
    for item in agreements:
        if already.get(item["kind"], 0) >= item["version"]:
            continue
        row = Agreement(user_id=user_id, kind=item["kind"], version=item["version"], context=context,
                        channel=channel, client=client)
        session.add(row)
        made.append(row)
    session.flush()
    for row in made:
        audit("privacy.agreed", actor=f"citizen:{user_id}", object_type="legal_agreement", object_id=row.id,
              details={"kind": row.kind, "version": row.version, "context": context, "channel": channel})
    return made


def on_signing_up(_sender, *, user_id: str, channel: str, agreements: list[dict] | None, **_):
    """A new account must carry agreement to every current document."""
    current = current_documents()
    unpublished = [kind for kind in KINDS if kind not in current]
    if unpublished and current_app.config["ENV"] not in SIGN_UP_WITHOUT_TERMS_ENVS:
        raise SignUpClosed("Sign-up is closed until the terms of service and privacy policy are published; "
                           "please try again later.", code="terms_not_published",
                           details={"unpublished": unpublished})
    given = {a["kind"]: a["version"] for a in agreements or ()}
    missing = [{"kind": kind, "version": doc.version, "title": doc.title} for kind, doc in sorted(current.items())
               if given.get(kind) != doc.version]
    if missing:
        raise PreconditionRequired("Agree to the current terms and privacy policy to create your account.",
                                   code="terms_agreement_required", details={"required": missing})
    _record(user_id, agreements or [], context="sign_up", channel=channel)


@db.unit_of_work(conflict=Conflict("This agreement was just recorded; try again.", code="agreement_in_progress"))
def agree(principal: Principal, agreements: list[dict]) -> Agreements:
    authorize(principal, "privacy:manage", own_account(principal))
    _record(principal.account_id, agreements, context="update", channel=principal.audience)
    return agreements_of(principal)


class Agreements(NamedTuple):
    """What AgreementsSchema shows: the documents still to agree to, and every agreement given."""

    pending: list[dict]
    agreements: list[Agreement]


def agreements_of(principal: Principal) -> Agreements:
    authorize(principal, "privacy:manage", own_account(principal))
    rows = db.session().execute(select(Agreement).where(Agreement.user_id == principal.account_id)
                                .order_by(Agreement.agreed_at.desc(), Agreement.id.desc())).scalars()
    return Agreements(pending_for(principal.account_id), list(rows))


# -- the 428 gate --------------------------------------------------------------------------

# Open while an agreement is pending: agreeing, reading one's own account, signing out,
# and the rights the law does not let us make conditional (withdrawing consent, deletion).
_OPEN_PREFIXES = ("/api/v1/me/agreements", "/api/v1/me/consents", "/api/v1/me/account-deletion",
                  "/api/v1/auth/logout")


def _open_while_pending() -> bool:
    path = request.path
    if path.startswith(_OPEN_PREFIXES):
        return True
    return request.method in ("GET", "HEAD") and (path == "/api/v1/me" or path.startswith("/api/v1/me/"))


def require_current_agreement(principal: Principal) -> None:
    """Registered with identity's citizen authenticator (app and mini-program tokens alike)."""
    required = required_versions()
    if not required or _open_while_pending():
        return
    pending = pending_for(principal.account_id, required)
    if pending:
        raise PreconditionRequired("The terms or privacy policy changed; agree to the new version to go on.",
                                   code="terms_update_required", details={"required": pending})
