"""Policy documents: drafting, publishing, amending and withdrawing (staff with
``policy_editor``), public reading and search, and which policies match an enterprise.

A version is a row; once published it never changes, and amending a published policy
drafts the next version. Publishing (a new version, or the same again) records a fan-out
and queues the job that matches every enterprise set-wise and sends the policy to the
inbox of each (fanout.py); the inbox's dedupe key "policy:<id>:v<version>" makes it once
per version, whatever is re-run. Enterprise attributes come from identity's directory
and licences held from the licences service; this domain reads neither's tables.
"""

from __future__ import annotations

import json

from sqlalchemy import func, literal_column, or_, select

from schemas.common import With

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..errors import Conflict, NotFound, ValidationFailed
from ..identity import enterprise_ids_where, enterprise_profile
from ..kernel import Principal
from ..licences import service as licences
from ..timeutil import china_today, utcnow
from . import rules as targeting
from .models import Policy, PolicyFanOut, PolicyVersion

CONTENT_FIELDS = ("title", "category", "issuer", "summary", "eligibility", "max_amount_fen", "amount_note",
                  "apply_from", "apply_until", "how_to_apply", "body")
MAX_OFFSET = 10_000


# -- staff: drafting and publishing -------------------------------------------------------

def _fill(version: PolicyVersion, fields: dict) -> None:
    problems = targeting.validate(fields.get("rules") or {})
    if problems:
        raise ValidationFailed({"rules": problems})
    for name in CONTENT_FIELDS:
        setattr(version, name, fields.get(name))
    version.service_codes = json.dumps(sorted(set(fields.get("service_codes") or [])))
    version.rules = json.dumps(targeting.normalise(fields.get("rules") or {}), ensure_ascii=False, sort_keys=True)
    version.search_text = targeting.document_tokens(
        version.title, version.summary, version.eligibility, version.amount_note, version.how_to_apply,
        version.issuer, version.body)


@db.unit_of_work()
def create_policy(principal: Principal, fields: dict) -> Policy:
    session = db.session()
    policy = Policy(status="draft", latest_version=1, created_by=principal.audit_name)
    session.add(policy)
    session.flush()
    version = PolicyVersion(policy_id=policy.id, version=1, state="draft", created_by=principal.audit_name)
    _fill(version, fields)
    session.add(version)
    session.flush()
    audit("policy_push.drafted", actor=principal.audit_name, object_type="policy", object_id=policy.id,
          details={"version": 1, "category": version.category})
    return policy


def _policy(policy_id: str, *, lock: bool = False) -> Policy:
    policy = db.session().get(Policy, policy_id, with_for_update=lock)
    if policy is None:
        raise NotFound("No such policy.", code="policy_not_found")
    return policy


def _version(policy: Policy, number: int | None) -> PolicyVersion | None:
    if number is None:
        return None
    return db.session().execute(select(PolicyVersion).where(
        PolicyVersion.policy_id == policy.id, PolicyVersion.version == number)).scalar_one()


@db.unit_of_work()
def save(principal: Principal, policy_id: str, fields: dict) -> Policy:
    """Replace the draft's content; when the newest version is published (or superseded by
    a withdrawal), amend: draft the next version. A published version never changes."""
    session = db.session()
    policy = _policy(policy_id, lock=True)
    latest = _version(policy, policy.latest_version)
    if latest.state == "draft":
        _fill(latest, fields)
        action = "policy_push.draft_saved"
    else:
        policy.latest_version += 1
        latest = PolicyVersion(policy_id=policy.id, version=policy.latest_version, state="draft",
                               created_by=principal.audit_name)
        _fill(latest, fields)
        session.add(latest)
        action = "policy_push.amended"
    session.flush()
    audit(action, actor=principal.audit_name, object_type="policy", object_id=policy.id,
          details={"version": latest.version})
    return policy


def publish(principal: Principal, policy_id: str) -> tuple[Policy, PolicyFanOut]:
    """Publish the newest draft (superseding the version before it), or, with no draft,
    publish the current version again (also after a withdrawal). Either way a fan-out is
    recorded and queued; for a version already sent it sends nothing new."""
    from .fanout import queue_fanout

    with db.unit_of_work():
        policy, fanout = _record_publication(principal, policy_id)
    queue_fanout(fanout.id)
    db.session().refresh(fanout)
    return policy, fanout


def _record_publication(principal: Principal, policy_id: str) -> tuple[Policy, PolicyFanOut]:
    session = db.session()
    policy = _policy(policy_id, lock=True)
    latest = _version(policy, policy.latest_version)
    now = utcnow()
    if latest.state == "draft":
        previous = _version(policy, policy.current_version)
        if previous is not None:
            previous.state = "superseded"
        latest.state, latest.published_at, latest.published_by = "published", now, principal.audit_name
        policy.current_version, policy.published_at = latest.version, now
        action = "policy_push.published"
    elif policy.current_version is not None:
        action = "policy_push.republished"
    else:  # pragma: no cover - a policy always has a draft or a current version
        raise Conflict("Nothing to publish.", code="nothing_to_publish")
    policy.status, policy.withdrawn_at = "published", None
    fanout = PolicyFanOut(policy_id=policy.id, version=policy.current_version, status="queued")
    session.add(fanout)
    session.flush()
    audit(action, actor=principal.audit_name, object_type="policy", object_id=policy.id,
          details={"version": policy.current_version, "fanout_id": fanout.id})
    return policy, fanout


@db.unit_of_work()
def withdraw(principal: Principal, policy_id: str) -> Policy:
    """Hide a published policy. Messages already sent stay; a fan-out still running stops."""
    policy = _policy(policy_id, lock=True)
    if policy.status != "published":
        raise Conflict("Only a published policy can be withdrawn.", code="policy_not_published",
                       details={"status": policy.status})
    policy.status, policy.withdrawn_at = "withdrawn", utcnow()
    audit("policy_push.withdrawn", actor=principal.audit_name, object_type="policy", object_id=policy.id,
          details={"version": policy.current_version})
    return policy


def get_admin(policy_id: str) -> Policy:
    return _policy(policy_id)


def list_admin(*, status: str | None, limit: int, cursor: str | None) -> tuple[list[Policy], str | None]:
    query = select(Policy)
    if status:
        query = query.where(Policy.status == status)
    if cursor:
        query = query.where(Policy.id < cursor)
    rows = db.session().execute(query.order_by(Policy.id.desc()).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def fanouts_of(policy_id: str) -> list[PolicyFanOut]:
    policy = _policy(policy_id)
    return list(db.session().execute(select(PolicyFanOut).where(PolicyFanOut.policy_id == policy.id)
                                     .order_by(PolicyFanOut.id.desc())).scalars())


# -- the public: reading and searching ----------------------------------------------------

def _published():
    return (select(Policy, PolicyVersion)
            .join(PolicyVersion, (PolicyVersion.policy_id == Policy.id) & (PolicyVersion.version == Policy.current_version))
            .where(Policy.status == "published"))


def _offset(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or int(cursor) > MAX_OFFSET:
        raise ValidationFailed({"cursor": ["Not a cursor this list gave."]})
    return int(cursor)


def search(*, q: str | None, category: str | None, open_only: bool, limit: int,
           cursor: str | None) -> tuple[list[tuple[Policy, PolicyVersion]], str | None]:
    """Published policies (their current version). With ``q``: those holding every search
    token, most relevant first (PostgreSQL: ts_rank over the GIN-indexed tsvector;
    SQLite: how often the tokens occur), then newest first."""
    offset = _offset(cursor)
    query = _published()
    if category:
        query = query.where(PolicyVersion.category == category)
    if open_only:
        query = query.where(or_(PolicyVersion.apply_until.is_(None),
                                PolicyVersion.apply_until >= china_today().isoformat()))
    order = [Policy.published_at.desc(), Policy.id.desc()]
    if q is not None:
        tokens = targeting.query_tokens(q)
        if not tokens:
            return [], None  # nothing searchable in it (punctuation only)
        if db.session().get_bind().dialect.name == "postgresql":
            vector = func.to_tsvector(literal_column("'simple'"), PolicyVersion.search_text)
            tsquery = func.to_tsquery(literal_column("'simple'"), " & ".join(f"'{t}'" for t in tokens))
            query = query.where(vector.op("@@")(tsquery))
            order.insert(0, func.ts_rank(vector, tsquery).desc())
        else:
            occurrences = 0
            for token in tokens:
                padded = f" {token} "
                query = query.where(PolicyVersion.search_text.contains(padded, autoescape=True))
                occurrences = occurrences + (func.length(PolicyVersion.search_text) - func.length(
                    func.replace(PolicyVersion.search_text, padded, ""))) / len(padded)
            order.insert(0, occurrences.desc())
    rows = db.session().execute(query.order_by(*order).offset(offset).limit(limit + 1)).all()
    items = [(row[0], row[1]) for row in rows[:limit]]
    return items, (str(offset + limit) if len(rows) > limit and offset + limit <= MAX_OFFSET else None)


def get_published(policy_id: str) -> tuple[Policy, PolicyVersion]:
    row = db.session().execute(_published().where(Policy.id == policy_id)).first()
    if row is None:
        raise NotFound("No such policy.", code="policy_not_found")
    return row[0], row[1]


# -- matching -----------------------------------------------------------------------------

def matches_for(principal: Principal, enterprise_id: str, *, limit: int,
                cursor: str | None) -> tuple[dict, list[tuple[Policy, PolicyVersion, dict]], str | None]:
    """The published policies meant for the enterprise, each with the rules it met."""
    authorize(principal, "enterprise:read",
              Resource(type="enterprise", owner_kind="enterprise", owner_id=enterprise_id, id=enterprise_id))
    offset = _offset(cursor)
    profile = enterprise_profile(enterprise_id)
    if profile is None:
        raise NotFound("No such enterprise.", code="enterprise_not_found")
    held = licences.licence_types_held("enterprise", enterprise_id)
    today = china_today()
    matched = []
    for policy, version in db.session().execute(
            _published().order_by(Policy.published_at.desc(), Policy.id.desc())).all():
        explanation = targeting.explain(json.loads(version.rules), profile, held, today)
        if explanation["matches"]:
            matched.append((policy, version, explanation))
    page = matched[offset:offset + limit]
    next_cursor = str(offset + limit) if len(matched) > offset + limit else None
    return {**profile, "licence_types": sorted(held)}, page, next_cursor


def matching_enterprise_ids(rules: dict, *, after_id: str | None = None, limit: int | None = None):
    """The rules as ONE query over all enterprises (a Select of ids, by id): what the
    fan-out pages through. Same meaning as rules.explain, which a test checks."""
    today = china_today()
    on_or_before, after = targeting.registration_bounds(rules, today)
    holders = licences.enterprise_holders_of(rules["licence_types"], today) if rules.get("licence_types") else None
    return enterprise_ids_where(
        industry_prefixes=rules.get("industry_codes") or (), sizes=rules.get("sizes") or (),
        towns=rules.get("towns") or (), registered_on_or_before=on_or_before, registered_after=after,
        id_in=holders, after_id=after_id, limit=limit)


# -- views --------------------------------------------------------------------------------

def with_versions(policy: Policy) -> With:
    """A policy served with its versions (the latest among them) and its 20 newest fan-outs."""
    session = db.session()
    versions = session.execute(select(PolicyVersion).where(PolicyVersion.policy_id == policy.id)
                               .order_by(PolicyVersion.version)).scalars().all()
    fanouts = session.execute(select(PolicyFanOut).where(PolicyFanOut.policy_id == policy.id)
                              .order_by(PolicyFanOut.id.desc()).limit(20)).scalars().all()
    return With(policy, latest=versions[-1], versions=versions, fanouts=fanouts)


# -- staff: previewing a draft's reach (issue 24) -----------------------------------------

def preview_match_count(principal: Principal, rules: dict) -> int:
    """How many enterprises the targeting rules match today, before anything is published."""
    from ..authorizations import district

    authorize(principal, "admin:policies.manage", district("policies"))
    problems = targeting.validate(rules or {})
    if problems:
        raise ValidationFailed({"rules": problems})
    matching = matching_enterprise_ids(targeting.normalise(rules or {})).subquery()
    return db.session().execute(select(func.count()).select_from(matching)).scalar_one()
