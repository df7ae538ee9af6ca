"""Policies: a request body as an editor writes one, and a policy made through the service."""

from __future__ import annotations

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
