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
