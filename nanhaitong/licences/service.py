"""The wallet: pulling licences from the provincial library, reading and revealing them.

Every read goes through ``authorize`` with the licence's type, so a delegate sees a
citizen's licences only under a live ``licences:read`` grant (and only the types it
allows), enterprise members according to their role and grants, and every such read
lands in the holder's access log.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import lru_cache

from sqlalchemy import bindparam, select

from integrations.licence_library import licence_type

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize, permitted
from ..clients import clients
from ..errors import Forbidden, NotFound
from ..identity import consume_code, contact_phone, phone_of, registry_identifier
from ..jobs.tasks import enqueue_sms
from ..kernel import Principal
from ..messages import service as messages
from ..sms_templates import china_date_text, inbox_text, sms_params
from ..timeutil import china_today, utcnow
from ..upstream import upstream_errors
from .models import Licence

EXPIRY_NOTICE_DAYS = 30


def licence_resource(licence: Licence) -> Resource:
    return Resource(type="licence", owner_kind=licence.holder_kind, owner_id=licence.holder_id, id=licence.id,
                    attrs={"licence_type": licence.type_code})


def _wallet(principal: Principal) -> Resource:
    kind, ident = principal.subject
    return Resource(type="licence_wallet", owner_kind=kind, owner_id=ident)


@db.unit_of_work()  # the library is asked before the first write
def sync(principal: Principal) -> dict:
    """Pull the holder's licences again; answers what was added, changed and withdrawn.

    Pulling twice in a row changes nothing the second time. A licence whose issuer
    signature does not verify never enters the wallet: it is listed under ``refused``
    and audited.
    """
    wallet = _wallet(principal)
    authorize(principal, "licences:read", wallet)
    identifier = registry_identifier(wallet.owner_kind, wallet.owner_id)
    if identifier is None:
        raise Forbidden("Verify your real name first: the library finds licences by ID number.",
                        code="assurance_level_required", details={"required": 2})
    with upstream_errors("licence library"):
        pull = clients().licence_library.licences_of(wallet.owner_kind, identifier)

    session = db.session()
    held = {row.code: row for row in session.execute(
        select(Licence).where(Licence.holder_kind == wallet.owner_kind, Licence.holder_id == wallet.owner_id)
    ).scalars()}
    changes: dict[str, list[str]] = {"added": [], "updated": [], "withdrawn": [], "unchanged": []}
    for pulled in pull.accepted:
        row = held.pop(pulled.code, None)
        if row is None:
            row = Licence(holder_kind=wallet.owner_kind, holder_id=wallet.owner_id, code=pulled.code)
            session.add(row)
            changes["added"].append(pulled.code)
        elif row.digest != pulled.digest or row.status != pulled.status:
            changes["updated"].append(pulled.code)
        else:
            changes["unchanged"].append(pulled.code)
            continue
        row.type_code, row.issuer_code, row.issuer_name = pulled.type_code, pulled.issuer_code, pulled.issuer_name
        row.number, row.holder_name = pulled.number, pulled.holder_name
        row.fields = json.dumps(pulled.fields, ensure_ascii=False, sort_keys=True)
        if row.valid_until != pulled.valid_until:
            row.expiry_notified_at = None  # renewed: its new expiry is announced in its turn
        row.valid_from, row.valid_until, row.status = pulled.valid_from, pulled.valid_until, pulled.status
        row.digest, row.fetched_at = pulled.digest, utcnow()
    refused_codes = {refused.code for refused in pull.refused}
    for code, row in held.items():
        # Gone from the library, or now failing its signature check: no longer to be shown.
        if row.status != "withdrawn":
            row.status = "withdrawn"
            changes["withdrawn"].append(code)
    refused = [{"code": r.code, "reason": r.reason} for r in pull.refused]
    for entry in refused:
        audit("licence.refused", result="denied", object_type="licence", object_id=entry["code"],
              on_behalf_of=f"{wallet.owner_kind}:{wallet.owner_id}", details={"reason": entry["reason"]})
    audit("licence.synced", on_behalf_of=f"{wallet.owner_kind}:{wallet.owner_id}",
          details={k: len(v) for k, v in changes.items()} | {"refused": len(refused_codes)})
    return {**changes, "refused": refused}


def list_licences(principal: Principal, *, type_code: str | None, status: str | None, limit: int,
                  cursor: str | None) -> tuple[list[Licence], str | None]:
    wallet = _wallet(principal)
    params = {"kind": wallet.owner_kind, "ident": wallet.owner_id, "type_code": type_code, "status": status,
              "today": china_today().isoformat(), "cursor": cursor}
    rows = db.session().execute(_wallet_query(bool(type_code), status, bool(cursor)), params).scalars().all()
    # A delegate's grant may cover only some types: show those, and record each read shown.
    visible = [row for row in rows if permitted(principal, "licences:read", licence_resource(row))]
    page = visible[:limit]
    for row in page:
        authorize(principal, "licences:read", licence_resource(row))
    return page, (page[-1].id if len(visible) > limit else None)


@lru_cache(maxsize=None)
def _wallet_query(type_code: bool, status: str | None, after_cursor: bool):
    """The wallet's SELECT for each combination of filters, built once: composing it cost
    a tenth of the request. A valid licence past its last day (``today``, China's date) is
    expired, whatever the library last said."""
    query = select(Licence).where(Licence.holder_kind == bindparam("kind"), Licence.holder_id == bindparam("ident"),
                                  Licence.status != "withdrawn")
    if type_code:
        query = query.where(Licence.type_code == bindparam("type_code"))
    lapsed = ((Licence.status == "valid") & Licence.valid_until.is_not(None)
              & (Licence.valid_until < bindparam("today")))
    if status == "valid":
        query = query.where(Licence.status == "valid", ~lapsed)
    elif status == "expired":
        query = query.where((Licence.status == "expired") | lapsed)
    elif status:
        query = query.where(Licence.status == bindparam("status"))
    if after_cursor:
        query = query.where(Licence.id > bindparam("cursor"))
    return query.order_by(Licence.id)


def get_licence(principal: Principal, licence_id: str, action: str = "licences:read") -> Licence:
    licence = db.session().get(Licence, licence_id)
    if licence is None or licence.status == "withdrawn":
        raise NotFound("No such licence.", code="licence_not_found")
    authorize(principal, action, licence_resource(licence))
    return licence


@db.unit_of_work()
def reveal(principal: Principal, licence_id: str, step_up_code: str) -> Licence:
    """The holder themself (for an enterprise, its legal representative), after a step-up
    code, sees the licence unmasked."""
    licence = get_licence(principal, licence_id, action="licences:reveal")
    consume_code(phone_of(principal.account_id), "step_up", step_up_code)
    audit("licence.revealed", object_type="licence", object_id=licence.id)
    licence.revealed = True
    return licence


def effective_status(licence: Licence) -> str:
    return licence.effective_status


@db.unit_of_work()
def notify_expiring(today: date | None = None) -> int:
    """Tell each holder, once, of their licences that expire within EXPIRY_NOTICE_DAYS."""
    today = today or china_today()
    horizon = (today + timedelta(days=EXPIRY_NOTICE_DAYS)).isoformat()
    session = db.session()
    due = session.execute(
        select(Licence).where(Licence.status == "valid", Licence.expiry_notified_at.is_(None),
                              Licence.valid_until.is_not(None), Licence.valid_until <= horizon,
                              Licence.valid_until >= today.isoformat())
    ).scalars().all()
    for licence in due:
        values = {"licence": licence_type(licence.type_code).name, "date": china_date_text(licence.valid_until)}
        phone = contact_phone(licence.holder_kind, licence.holder_id)
        if phone:
            enqueue_sms(phone, "licence_expiry", sms_params("licence_expiry", **values))
        title, body = inbox_text("licence_expiry", **values)
        notify = messages.notify_enterprise if licence.holder_kind == "enterprise" else messages.notify_user
        notify(licence.holder_id, topic="licence_expiry", title=title, body=body,
               data={"licence_id": licence.id, "valid_until": licence.valid_until},
               dedupe_key=f"licence_expiry:{licence.id}:{licence.valid_until}")
        licence.expiry_notified_at = utcnow()
        audit("licence.expiry_notified", actor="system:jobs", object_type="licence", object_id=licence.id,
              on_behalf_of=f"{licence.holder_kind}:{licence.holder_id}")
    return len(due)


# -- for policy push: which licence types an enterprise holds, set-wise and one by one ----

def _held(today: date):
    return (Licence.status == "valid") & (Licence.valid_until.is_(None) | (Licence.valid_until >= today.isoformat()))


def enterprise_holders_of(type_codes, today: date | None = None):
    """A Select of the ids of enterprises holding a valid licence of any of ``type_codes``
    (to use inside another query: no rows are fetched here)."""
    today = today or china_today()
    return select(Licence.holder_id).where(Licence.holder_kind == "enterprise",
                                           Licence.type_code.in_(list(type_codes)), _held(today))


def licence_types_held(holder_kind: str, holder_id: str, today: date | None = None) -> set[str]:
    """The type codes of the holder's valid licences (as last synced from the library)."""
    today = today or china_today()
    return set(db.session().execute(select(Licence.type_code).where(
        Licence.holder_kind == holder_kind, Licence.holder_id == holder_id, _held(today))).scalars())
