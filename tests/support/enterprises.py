"""The demo enterprises at the sandbox registry, registering one, its members, acting for it."""

from __future__ import annotations

from nanhaitong import db
from nanhaitong.identity.models import EnterpriseMember
from schemas.identity_numbers import org_code_check_char, uscc_check_char

from .citizens import Citizen, account, acting

GUICHENG = "91440605MA4UJ2K83Y"  # active, legal representative 陈家豪 (CHEN)
SHISHAN = "914406057321746127"  # active, 黄志强 (HUANG)
DALI_REVOKED = "91440605MA51QP3R7B"  # revoked, 何俊杰 (HE)
DANZAO = "91440605MA53C7HT9N"  # active, 梁雅婷 (LIANG)
_UNKNOWN_17 = "91440605MA4UJ2K9" + org_code_check_char("MA4UJ2K9")  # with its organisation-code check
UNKNOWN_USCC = _UNKNOWN_17 + uscc_check_char(_UNKNOWN_17)  # valid, not at the registry


def register(citizen, uscc: str = GUICHENG):
    return citizen.post("/api/v1/enterprises", json={"uscc": uscc})


def registered(citizen, uscc: str = GUICHENG) -> str:
    answer = register(citizen, uscc)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def act_for(citizen: Citizen, enterprise_id: str) -> Citizen:
    """The citizen's token acting for an enterprise they belong to."""
    answer = citizen.post("/api/v1/auth/act-as", json={"enterprise_id": enterprise_id})
    assert answer.status_code == 200, answer.get_json()
    return acting(citizen, answer.get_json())


def add_member(app, enterprise_id: str, role: str = "handler", level: int = 1) -> str:
    """A new account made a member of the enterprise straight in the database; its user id."""
    ident, _ = account(app, level)
    with app.app_context():
        db.session().add(EnterpriseMember(enterprise_id=enterprise_id, user_id=ident, role=role))
        db.session().commit()
    return ident
