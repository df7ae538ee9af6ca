"""What was shared: every third party that received the person's data, which fields,
when, and under which consent or grant, generated from the records themselves (the
access log, grants and consents, presentations, applications handed to provincial
platforms)."""

from __future__ import annotations

from schemas.common import With

from .. import authorizations, gov_services, licences, partners
from ..authorizations import authorize
from ..identity import parties as party_labels
from ..kernel import Principal
from ..timeutil import as_utc, isoformat
from .collection import COLLECTION_LIST
from .terms import own_account

# What each use of someone's data gives the user of it.
ACTION_FIELDS = {
    "licences:read": ["licence.type", "licence.number", "licence.holder_name", "licence.fields", "licence.validity"],
    "licences:present": ["licence.chosen_fields"],
    "licences:reveal": ["licence.number", "licence.holder_name", "licence.fields"],
    "profile:read": ["real_name", "id_number_masked", "phone_masked", "assurance_level"],
    "gov_services:query": ["real_name", "id_number", "query_parameters", "query_result"],
    "gov_services:apply": ["real_name", "id_number", "application_form", "attached_licences", "application_status"],
    "payments:pay": ["utility_account_number", "amount_fen", "order_status"],
    "esign:sign": ["document", "signing_certificate"],
    "messages:read": ["inbox_messages"],
}
ROLES = {"delegate": "delegate", "partner": "partner", "verifier": "verifier", "staff": "staff",
         "member": "enterprise_member"}
BASIS_KINDS = {"partner": "consent", "citizen": "delegation"}


def _basis(grant: dict | None) -> dict | None:
    if grant is None:
        return None
    return {"kind": BASIS_KINDS.get(grant["grantee_kind"], "grant"), "id": grant["id"], "scopes": grant["scopes"],
            "purpose": grant["purpose"], "status": grant["status"]}


def _verified_fields(entry: dict, presentations: list[dict]) -> tuple[list[str], dict | None]:
    """The fields a verifier saw: those of the presentations of that licence live when it checked."""
    at = as_utc(entry["at"])
    live = [p for p in presentations if p["licence_id"] == entry["object_id"]
            and as_utc(p["created_at"]) <= at <= as_utc(p["expires_at"])]
    fields = sorted({f"licence.{name}" for p in live for name in p["disclosed"]})
    basis = {"kind": "presentation", "id": live[0]["id"], "scopes": [], "purpose": "您出示的亮证二维码",
             "status": "shown"} if live else None
    return fields, basis


def data_sharing(principal: Principal, *, limit: int, cursor: str | None) -> dict:
    user_id = principal.account_id
    authorize(principal, "privacy:manage", own_account(principal))
    entries = authorizations.access_entries(user_id, before_id=cursor, limit=limit + 1)
    deliveries = [d for d in gov_services.deliveries_of(user_id) if cursor is None or d["id"] < cursor]
    given = authorizations.grants_given(user_id)
    consents = [g for g in given if g["grantee_kind"] == "partner"]  # newest first
    webhooks = [w for w in partners.webhook_disclosures(user_id, {g["grantee_id"] for g in consents})
                if cursor is None or w["id"] < cursor]
    grants = authorizations.grants_by_id([e["grant_id"] for e in entries] + [d["grant_id"] for d in deliveries])
    presentations = licences.presentations_of(user_id)
    types = licences.licence_types([e["object_id"] for e in entries if e["object_type"] == "licence"])
    parties = party_labels(list({(e["accessor_kind"], e["accessor_id"]) for e in entries}
                                     | {("partner", w["partner_id"]) for w in webhooks}))

    rows: list[tuple[str, dict]] = []
    for e in entries:
        fields = list(ACTION_FIELDS.get(e["action"], [e["action"]]))
        basis = _basis(grants.get(e["grant_id"]))
        if e["action"] == "licences:verify":
            fields, basis = _verified_fields(e, presentations)
        elif e["acting_as"] == "staff" and basis is None:
            basis = {"kind": "staff_duty", "id": None, "scopes": [], "purpose": "工作人员依职责查询", "status": "-"}
        rows.append((e["id"], {
            "id": e["id"], "at": isoformat(e["at"]), "recipient": parties[(e["accessor_kind"], e["accessor_id"])],
            "recipient_role": ROLES.get(e["acting_as"], e["acting_as"]), "action": e["action"],
            "object_type": e["object_type"], "object_id": e["object_id"],
            "licence_type": types.get(e["object_id"]) if e["object_type"] == "licence" else None,
            "fields": fields, "basis": basis}))
    for d in deliveries:
        rows.append((d["id"], {
            "id": d["id"], "at": isoformat(d["at"]),
            "recipient": {"kind": "provincial_platform", "id": d["provider"], "display": d["provider_name"]},
            "recipient_role": "provincial_platform", "action": "gov_services:apply", "object_type": "application",
            "object_id": d["id"], "licence_type": None, "fields": d["fields"],
            "basis": _basis(grants.get(d["grant_id"])) or {"kind": "your_application", "id": d["id"], "scopes": [],
                                                          "purpose": d["service_name"], "status": "submitted"}}))
    for w in webhooks:
        rows.append((w["id"], {
            "id": w["id"], "at": isoformat(w["at"]), "recipient": parties[("partner", w["partner_id"])],
            "recipient_role": "partner", "action": f"webhook:{w['event']}", "object_type": "webhook",
            "object_id": w["id"], "licence_type": None, "fields": ["pairwise_subject", *[
                f for f in w["fields"] if f != "sub"]], "basis": _basis(_consent_at(consents, w))}))
    rows.sort(key=lambda row: row[0], reverse=True)
    page = [row for _, row in rows[:limit]]
    more = len(rows) > limit
    return {
        "disclosures": page,
        "next_cursor": page[-1]["id"] if more and page else None,
        "grants": _with_grantees(given),
        "collection_list": list(COLLECTION_LIST),
    }


def _consent_at(consents: list[dict], webhook: dict) -> dict | None:
    """The partner's consent a webhook went out under: the newest given before it."""
    mine = [g for g in consents if g["grantee_id"] == webhook["partner_id"]]
    sent = isoformat(webhook["at"])
    return next((g for g in mine if g["created_at"] <= sent), mine[-1] if mine else None)


def _with_grantees(grants: list[dict]) -> list[With]:
    """The grants given, for GrantGivenSchema: each with its grantee's label and its kind of basis."""
    labels = party_labels(list({(g["grantee_kind"], g["grantee_id"]) for g in grants}))
    return [With(g, kind=BASIS_KINDS.get(g["grantee_kind"], "grant"), grantee=labels[(g["grantee_kind"], g["grantee_id"])])
            for g in grants]
