"""What privacy asks of partners about one person (issue 23): their tokens and codes end
when the account is deleted (the consents themselves are grants: authorizations revokes
them, and the consent.revoked webhook tells each partner). The caller holds the unit of work."""

from __future__ import annotations

from sqlalchemy import delete, update

from .. import db
from ..timeutil import utcnow
from .models import OAuthCode, OAuthToken


def erase(user_id: str) -> dict:
    session = db.session()
    tokens = session.execute(update(OAuthToken).where(OAuthToken.user_id == user_id, OAuthToken.revoked_at.is_(None))
                             .values(revoked_at=utcnow())).rowcount
    codes = session.execute(delete(OAuthCode).where(OAuthCode.user_id == user_id)).rowcount
    return {"partner_tokens_revoked": tokens, "authorization_codes_deleted": codes}


def webhook_disclosures(user_id: str, partner_ids) -> list[dict]:
    """Webhooks that told the given partners something about the person (found by the
    person's pairwise subject for each partner): which event, which fields, when."""
    import json

    from sqlalchemy import select

    from .models import Partner, WebhookDelivery
    from .oauth_clients import pairwise_subject

    found = []
    for partner in db.session().execute(select(Partner).where(Partner.id.in_(sorted(set(partner_ids))))).scalars():
        sub = pairwise_subject(partner, user_id)
        for delivery in db.session().execute(select(WebhookDelivery).where(
                WebhookDelivery.partner_id == partner.id, WebhookDelivery.payload.contains(sub))).scalars():
            data = json.loads(delivery.payload).get("data", {})
            found.append({"id": delivery.id, "partner_id": partner.id, "event": delivery.event,
                          "fields": sorted(data), "status": delivery.status, "at": delivery.created_at})
    return found
