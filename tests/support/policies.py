"""Policies: a request body as an editor writes one, policies created and published through
the admin API, a policy made through the service, and enterprises with chosen attributes
(written straight into identity's table: only the registry could otherwise supply them)."""

from __future__ import annotations

import itertools

from nanhaitong import db
from nanhaitong.identity.models import Enterprise
from schemas.policy_push import PolicyWriteSchema


def policy_body(title="南海区企业研发费用补贴", rules=None, **extra) -> dict:
    return {
        "title": title, "category": "subsidy", "issuer": "佛山市南海区科学技术局",
        "summary": "对上年度研发投入超过100万元的企业，按研发费用的10%给予补贴。",
        "eligibility": "在南海区注册、纳税的企业。", "max_amount_fen": 50_000_000,
        "amount_note": "最高50万元", "apply_from": "2026-11-01", "apply_until": "2099-12-31",
        "how_to_apply": "通过南海通企业服务提交申报材料。", "service_codes": ["NH-KJ-001"],
        "body": "为鼓励企业加大研发投入，制定本办法。", "rules": rules or {}, **extra}


def make_policy(app, *, publish_it: bool = True, **kw) -> str:
    """A policy made through the service as an editor would (for the access matrix)."""
    from nanhaitong.kernel import Principal
    from nanhaitong.policy_push import service

    editor = Principal(kind="staff", account_id="matrix-editor", session_id="-", audience="staff",
                       assurance_level=1, role="policy_editor")
    with app.test_request_context():
        fields = PolicyWriteSchema().load(policy_body(**kw))
        policy = service.create_policy(editor, fields)
        if publish_it:
            service.publish(editor, policy.id)
        return policy.id


ADMIN = "/api/v1/admin/policies"


_usccs = itertools.count(1)


def create(editor, **kw) -> dict:
    answer = editor.post(ADMIN, json=policy_body(**kw))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def publish(editor, policy_id: str) -> dict:
    answer = editor.post(f"{ADMIN}/{policy_id}/publish")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def published(editor, **kw) -> dict:
    return publish(editor, create(editor, **kw)["id"])


def fake_uscc() -> str:
    return f"9144060500{next(_usccs):08d}"


def make_enterprises(app, rows: list[dict]) -> list[str]:
    """Enterprises with the given attributes (industry_code, size, town, registered_on)."""
    with app.app_context():
        made = [Enterprise(uscc=fake_uscc(), name=f"测试企业{i}", **row) for i, row in enumerate(rows)]
        db.session().add_all(made)
        db.session().commit()
        return [e.id for e in made]
