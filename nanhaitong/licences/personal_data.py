"""What privacy asks of licences about one person (issue 23): presentations made (which
fields each disclosed), a copy of the wallet, and its erasure at account deletion.
The caller holds the unit of work."""

from __future__ import annotations

import json

from sqlalchemy import delete, select

from .. import db
from ..timeutil import isoformat
from .models import Licence, Presentation

CITIZEN = "citizen"


def _licences(user_id: str) -> list[Licence]:
    return list(db.session().execute(select(Licence).where(Licence.holder_kind == CITIZEN,
                                                           Licence.holder_id == user_id)
                                     .order_by(Licence.id)).scalars())


def presentations_of(user_id: str) -> list[dict]:
    """The person's presentations: which licence, which fields, when and how long."""
    rows = db.session().execute(
        select(Presentation, Licence.type_code).join(Licence, Licence.id == Presentation.licence_id)
        .where(Licence.holder_kind == CITIZEN, Licence.holder_id == user_id).order_by(Presentation.id.desc())).all()
    return [{"id": p.id, "licence_id": p.licence_id, "licence_type": type_code, "disclosed": json.loads(p.disclosed),
             "created_by": p.created_by, "created_at": p.created_at, "expires_at": p.expires_at,
             "revoked_at": p.revoked_at} for p, type_code in rows]


def licence_types(ids) -> dict[str, str]:
    ids = sorted({i for i in ids if i})
    if not ids:
        return {}
    return dict(db.session().execute(select(Licence.id, Licence.type_code).where(Licence.id.in_(ids))).all())


def export(user_id: str) -> dict:
    """Each licence as the library signed it (decrypted), and the presentations made."""
    return {
        "licences": [{"id": lic.id, "code": lic.code, "type_code": lic.type_code, "issuer_code": lic.issuer_code,
                      "issuer_name": lic.issuer_name, "number": lic.number, "holder_name": lic.holder_name,
                      "fields": json.loads(lic.fields), "valid_from": lic.valid_from, "valid_until": lic.valid_until,
                      "status": lic.status, "digest": lic.digest, "fetched_at": isoformat(lic.fetched_at)}
                     for lic in _licences(user_id)],
        "presentations": [{**p, "created_at": isoformat(p["created_at"]), "expires_at": isoformat(p["expires_at"]),
                           "revoked_at": isoformat(p["revoked_at"]) if p["revoked_at"] else None}
                          for p in presentations_of(user_id)],
    }


def erase(user_id: str) -> dict:
    """Delete the person's licences and their presentations (the library keeps the originals)."""
    session = db.session()
    ids = [lic.id for lic in _licences(user_id)]
    if not ids:
        return {"licences_deleted": 0, "presentations_deleted": 0}
    presentations = session.execute(delete(Presentation).where(Presentation.licence_id.in_(ids))).rowcount
    licences = session.execute(delete(Licence).where(Licence.id.in_(ids))).rowcount
    return {"licences_deleted": licences, "presentations_deleted": presentations}
