"""Two published policies for the embedded mode (`flask demo seed`), once."""

from __future__ import annotations

from sqlalchemy import select

from .. import db
from ..kernel import Principal
from . import service
from .models import PolicyVersion

SEEDER = Principal(kind="system", account_id="demo-seed", session_id="-", audience="staff", assurance_level=1,
                   role="policy_editor")

DEMO_POLICIES = (
    {"title": "南海区制造业企业技术改造补贴", "category": "subsidy", "issuer": "佛山市南海区经济促进局",
     "summary": "金属制品、家电等制造业中小企业购置新设备、实施数字化改造的，按设备投入的15%给予补贴。",
     "eligibility": "在南海区注册满2年的制造业中小微企业（C33、C38大类）。", "max_amount_fen": 200_000_000,
     "amount_note": "单个企业最高200万元", "apply_from": "2026-11-01", "apply_until": "2027-03-31",
     "how_to_apply": "登录南海通企业端，进入“政策申报”，上传设备发票和改造方案。",
     "service_codes": ["NH-JC-0101"], "body": "为推动制造业高质量发展，支持企业技术改造，制定本实施细则。",
     "rules": {"industry_codes": ["C33", "C38"], "sizes": ["micro", "small", "medium", "large"],
               "min_registration_years": 2}},
    {"title": "南海区软件和信息技术服务企业人才补贴", "category": "talent", "issuer": "佛山市南海区人力资源和社会保障局",
     "summary": "软件企业新引进本科以上人才并缴纳社保满6个月的，每人给予1万元一次性生活补贴。",
     "eligibility": "桂城街道、大沥镇的软件和信息技术服务企业（I65大类）。", "max_amount_fen": 1_000_000,
     "amount_note": "每人1万元", "apply_from": "2026-10-01", "apply_until": "2027-06-30",
     "how_to_apply": "企业经办人在南海通提交人才名册和社保缴纳证明。",
     "service_codes": ["NH-RS-0207"], "body": "为集聚软件产业人才，制定本办法。",
     "rules": {"industry_codes": ["I65"], "towns": ["桂城街道", "大沥镇"]}},
)


def seed_policies() -> list[str]:
    """Publish the demo policies not there yet; answers the titles published."""
    published = []
    for fields in DEMO_POLICIES:
        exists = db.session().execute(
            select(PolicyVersion.id).where(PolicyVersion.title == fields["title"]).limit(1)).first()
        if exists is None:
            policy = service.create_policy(SEEDER, dict(fields))
            service.publish(SEEDER, policy.id)
            published.append(fields["title"])
    return published
