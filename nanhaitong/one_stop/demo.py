"""Demo catalogue for the embedded mode (`flask demo seed`): 45 matters of 15 departments
as Nanhai's town and street centres handle them, and two bundled life events (新生儿出生一件事, 企业开办一件事). Idempotent."""

from __future__ import annotations

from ..kernel import Principal
from . import bundles, catalogue

SEEDER = Principal(kind="system", account_id="demo-seed", session_id="-", audience="staff", assurance_level=1,
                   role="operator")

ALL = ("guicheng", "jiujiang", "xiqiao", "danzao", "shishan", "dali", "lishui")
DEPARTMENTS = {
    "SJ": "佛山市南海区市场监督管理局", "GA": "佛山市公安局南海分局", "RS": "佛山市南海区人力资源和社会保障局",
    "WJ": "佛山市南海区卫生健康局", "MZ": "佛山市南海区民政局", "ZJ": "佛山市南海区住房城乡建设和水利局",
    "ZR": "佛山市自然资源局南海分局", "JY": "佛山市南海区教育局", "YB": "佛山市南海区医疗保障局",
    "SW": "国家税务总局佛山市南海区税务局", "JT": "佛山市南海区交通运输局", "CG": "佛山市南海区城市管理和综合执法局",
    "TY": "佛山市南海区退役军人事务局", "CL": "佛山市南海区残疾人联合会", "GJ": "佛山市住房公积金管理中心南海分中心",
}
ID_CARD = {"name": "居民身份证", "copies": 0, "note": "原件核验"}
HUKOU = {"name": "居民户口簿", "copies": 0, "note": "原件核验"}
LICENCE = {"name": "营业执照", "copies": 1, "note": None}
FORM = {"name": "申请表", "copies": 1, "note": "可在南海通在线填写"}
LEGAL_REP_ID = {"name": "法定代表人身份证明", "copies": 1, "note": None}
PREMISES = {"name": "经营场所使用证明", "copies": 1, "note": "租赁合同或产权证明"}

# code, name, department, audience, legal days, promised days, fee (fen), fee note, online, by post,
# visits, materials, centres
MATTERS = (
    ("NH-SJ-0001", "企业设立登记", "SJ", "enterprise", 15, 1, 0, None, True, True, 0,
     [FORM, LEGAL_REP_ID, PREMISES, {"name": "公司章程", "copies": 1, "note": None}], ALL),
    ("NH-SJ-0002", "企业变更登记", "SJ", "enterprise", 15, 1, 0, None, True, True, 0, [FORM, LICENCE], ALL),
    ("NH-SJ-0003", "企业注销登记", "SJ", "enterprise", 15, 3, 0, None, True, False, 0,
     [FORM, LICENCE, {"name": "清算报告", "copies": 1, "note": None}], ALL),
    ("NH-SJ-0004", "个体工商户设立登记", "SJ", "enterprise", 15, 1, 0, None, True, True, 0, [FORM, ID_CARD, PREMISES], ALL),
    ("NH-SJ-0005", "食品经营许可", "SJ", "enterprise", 20, 5, 0, None, True, True, 1,
     [FORM, LICENCE, {"name": "食品安全管理制度", "copies": 1, "note": None}], ALL),
    ("NH-SJ-0006", "小餐饮经营许可", "SJ", "enterprise", 20, 5, 0, None, True, False, 1, [FORM, ID_CARD, PREMISES], ALL),
    ("NH-SJ-0007", "药品经营许可（零售）", "SJ", "enterprise", 30, 15, 0, None, True, False, 1,
     [FORM, LICENCE, {"name": "执业药师注册证", "copies": 1, "note": None}], ("guicheng", "shishan", "dali")),
    ("NH-GA-0001", "居民身份证换领", "GA", "citizen", 60, 20, 2000, "工本费20元", False, True, 1,
     [ID_CARD, HUKOU, {"name": "数码相片回执", "copies": 1, "note": None}], ALL),
    ("NH-GA-0002", "居民身份证挂失补领", "GA", "citizen", 60, 20, 4000, "工本费40元", False, True, 1, [HUKOU], ALL),
    ("NH-GA-0003", "临时居民身份证办理", "GA", "citizen", 3, 1, 1000, "工本费10元", False, False, 1, [HUKOU], ALL),
    ("NH-GA-0004", "出生登记（入户）", "GA", "citizen", 20, 5, 0, None, True, False, 1,
     [HUKOU, {"name": "出生医学证明", "copies": 1, "note": None}, {"name": "父母结婚证", "copies": 1, "note": None}], ALL),
    ("NH-GA-0005", "户口迁入（投靠）", "GA", "citizen", 20, 10, 0, None, True, False, 1,
     [HUKOU, ID_CARD, {"name": "亲属关系证明", "copies": 1, "note": None}], ALL),
    ("NH-GA-0006", "居住证申领", "GA", "citizen", 15, 10, 0, "首次申领免费", True, True, 1,
     [ID_CARD, {"name": "居住登记凭证", "copies": 1, "note": None}], ALL),
    ("NH-GA-0007", "无犯罪记录证明开具", "GA", "citizen", 7, 3, 0, None, True, False, 0, [ID_CARD, FORM], ALL),
    ("NH-RS-0001", "失业保险金申领", "RS", "citizen", 10, 5, 0, None, True, False, 0,
     [ID_CARD, {"name": "解除劳动关系证明", "copies": 1, "note": None}], ALL),
    ("NH-RS-0002", "社会保障卡申领", "RS", "citizen", 20, 10, 0, None, True, True, 0, [ID_CARD], ALL),
    ("NH-RS-0003", "城乡居民养老保险参保登记", "RS", "citizen", 10, 3, 0, None, True, False, 0, [ID_CARD, HUKOU], ALL),
    ("NH-RS-0004", "就业登记", "RS", "citizen", 5, 1, 0, None, True, False, 0, [ID_CARD], ALL),
    ("NH-RS-0005", "工伤认定申请", "RS", "citizen", 60, 30, 0, None, False, True, 1,
     [ID_CARD, {"name": "劳动关系证明", "copies": 1, "note": None}, {"name": "医疗诊断证明", "copies": 1, "note": None}],
     ("guicheng", "shishan", "dali")),
    ("NH-RS-0006", "企业社会保险登记", "RS", "enterprise", 5, 1, 0, None, True, False, 0, [LICENCE, LEGAL_REP_ID], ALL),
    ("NH-WJ-0001", "出生医学证明首次签发", "WJ", "citizen", 10, 1, 0, None, False, False, 1,
     [ID_CARD, {"name": "分娩记录", "copies": 1, "note": "助产机构出具"}], ("guicheng", "shishan", "dali", "jiujiang")),
    ("NH-WJ-0002", "生育登记", "WJ", "citizen", 5, 1, 0, None, True, False, 0, [ID_CARD, HUKOU], ALL),
    ("NH-WJ-0003", "公共场所卫生许可", "WJ", "enterprise", 20, 10, 0, None, True, True, 1, [FORM, LICENCE, PREMISES], ALL),
    ("NH-MZ-0001", "结婚登记", "MZ", "citizen", 1, 1, 0, None, False, False, 1,
     [ID_CARD, HUKOU, {"name": "近期二寸半身免冠合影照片", "copies": 3, "note": None}], ("guicheng", "dali", "shishan")),
    ("NH-MZ-0002", "最低生活保障申请", "MZ", "citizen", 30, 20, 0, None, True, False, 1,
     [ID_CARD, HUKOU, {"name": "家庭收入情况声明", "copies": 1, "note": None}], ALL),
    ("NH-MZ-0003", "高龄老人津贴申领", "MZ", "citizen", 20, 10, 0, None, True, False, 0, [ID_CARD, HUKOU], ALL),
    ("NH-MZ-0004", "殡葬补贴申领", "MZ", "citizen", 20, 5, 0, None, True, False, 0,
     [{"name": "火化证明", "copies": 1, "note": None}, ID_CARD], ALL),
    ("NH-ZJ-0001", "建筑工程施工许可", "ZJ", "enterprise", 7, 3, 0, None, True, False, 0,
     [FORM, {"name": "建设工程规划许可证", "copies": 1, "note": None}], ("guicheng",)),
    ("NH-ZJ-0002", "商品房预售许可", "ZJ", "enterprise", 10, 5, 0, None, True, False, 0,
     [FORM, {"name": "预售方案", "copies": 1, "note": None}], ("guicheng",)),
    ("NH-ZR-0001", "不动产登记资料查询", "ZR", "both", 1, 1, 0, None, True, False, 0, [ID_CARD], ALL),
    ("NH-ZR-0002", "不动产转移登记", "ZR", "both", 30, 5, 8000, "登记费80元", True, True, 1,
     [ID_CARD, {"name": "不动产权证书", "copies": 1, "note": None}, {"name": "买卖合同", "copies": 1, "note": None}], ALL),
    ("NH-JY-0001", "义务教育阶段入学申请", "JY", "citizen", 30, 20, 0, None, True, False, 0,
     [HUKOU, {"name": "房产证明或居住证", "copies": 1, "note": None}], ALL),
    ("NH-JY-0002", "教师资格认定", "JY", "citizen", 60, 30, 0, None, True, True, 1,
     [ID_CARD, {"name": "学历证书", "copies": 1, "note": None}, {"name": "普通话水平测试等级证书", "copies": 1, "note": None}],
     ("guicheng",)),
    ("NH-YB-0001", "城乡居民医疗保险参保登记", "YB", "citizen", 5, 1, 0, None, True, False, 0, [ID_CARD, HUKOU], ALL),
    ("NH-YB-0002", "生育医疗费用报销", "YB", "citizen", 20, 10, 0, None, True, True, 0,
     [ID_CARD, {"name": "医疗费用发票", "copies": 1, "note": None}], ALL),
    ("NH-YB-0003", "门诊特定病种待遇认定", "YB", "citizen", 15, 5, 0, None, True, False, 0,
     [ID_CARD, {"name": "病历资料", "copies": 1, "note": None}], ALL),
    ("NH-SW-0001", "发票领用", "SW", "enterprise", 5, 1, 0, None, True, True, 0, [LICENCE], ALL),
    ("NH-SW-0002", "个人所得税完税证明开具", "SW", "citizen", 1, 1, 0, None, True, False, 0, [ID_CARD], ALL),
    ("NH-JT-0001", "道路运输经营许可", "JT", "enterprise", 20, 10, 0, None, True, True, 1,
     [FORM, LICENCE, {"name": "车辆行驶证", "copies": 1, "note": None}], ("guicheng", "shishan")),
    ("NH-CG-0001", "城市建筑垃圾处置核准", "CG", "enterprise", 20, 10, 0, None, True, False, 0,
     [FORM, {"name": "处置方案", "copies": 1, "note": None}], ALL),
    ("NH-CG-0002", "户外广告设施设置许可", "CG", "enterprise", 20, 10, 0, None, True, True, 1,
     [FORM, LICENCE, {"name": "设计效果图", "copies": 1, "note": None}], ALL),
    ("NH-TY-0001", "退役军人优待证申领", "TY", "citizen", 30, 15, 0, None, True, True, 0,
     [ID_CARD, {"name": "退役证件", "copies": 1, "note": None}], ALL),
    ("NH-CL-0001", "残疾人证办理", "CL", "citizen", 30, 20, 0, None, False, True, 1,
     [ID_CARD, HUKOU, {"name": "残疾评定表", "copies": 1, "note": None}], ALL),
    ("NH-GJ-0001", "住房公积金提取（租房）", "GJ", "citizen", 5, 1, 0, None, True, False, 0,
     [ID_CARD, {"name": "租赁合同", "copies": 1, "note": None}], ALL),
    ("NH-GJ-0002", "住房公积金单位缴存登记", "GJ", "enterprise", 5, 1, 0, None, True, False, 0, [LICENCE], ALL),
)


def matter_fields(row) -> dict:
    (code, name, dept, audience, legal, promised, fee, fee_note, online, by_post, visits, materials, centres) = row
    return {"code": code, "name": name, "department": DEPARTMENTS[dept], "audience": audience,
            "legal_days": legal, "promised_days": promised, "fee_fen": fee, "fee_note": fee_note, "online": online,
            "by_post": by_post, "visits": visits, "slot_capacity": 3,
            "materials": [{"copies": 1, "note": None, **m} for m in materials], "centres": list(centres)}


def seed_matters() -> int:
    """Add the demo matters not there yet; answers how many were added."""
    added = 0
    for row in MATTERS:
        if catalogue.matter_by_code(row[0]) is None:
            catalogue.create_matter(SEEDER, matter_fields(row))
            added += 1
    return added


BUNDLES = (
    {"code": "NH-YJS-0001", "name": "新生儿出生一件事", "audience": "citizen",
     "description": "出生医学证明、出生登记（入户）、城乡居民医保参保和社会保障卡申领，一张表单一次办。",
     "matter_codes": ["NH-WJ-0001", "NH-GA-0004", "NH-YB-0001", "NH-RS-0002"],
     "fields": [
         {"name": "baby_name", "label": "新生儿姓名", "required": True,
          "matters": ["NH-WJ-0001", "NH-GA-0004", "NH-YB-0001", "NH-RS-0002"]},
         {"name": "birth_date", "label": "出生日期", "required": True, "matters": ["NH-WJ-0001", "NH-GA-0004"]},
         {"name": "birth_hospital", "label": "出生医院", "required": True, "matters": ["NH-WJ-0001"]},
         {"name": "household_address", "label": "户籍地址", "required": True, "matters": ["NH-GA-0004"]},
         {"name": "bank_account", "label": "社保卡关联银行", "required": False, "matters": ["NH-RS-0002"]}]},
    {"code": "NH-YJS-0002", "name": "企业开办一件事", "audience": "enterprise",
     "description": "企业设立登记、发票领用、社会保险登记和住房公积金缴存登记，一次提交、一日办结。",
     "matter_codes": ["NH-SJ-0001", "NH-SW-0001", "NH-RS-0006", "NH-GJ-0002"],
     "fields": [
         {"name": "company_name", "label": "企业名称", "required": True,
          "matters": ["NH-SJ-0001", "NH-SW-0001", "NH-RS-0006", "NH-GJ-0002"]},
         {"name": "registered_capital", "label": "注册资本（万元）", "required": True, "matters": ["NH-SJ-0001"]},
         {"name": "business_scope", "label": "经营范围", "required": True, "matters": ["NH-SJ-0001"]},
         {"name": "invoice_type", "label": "申领发票种类", "required": False, "matters": ["NH-SW-0001"]},
         {"name": "employees", "label": "参保职工人数", "required": True, "matters": ["NH-RS-0006", "NH-GJ-0002"]}]},
)


def seed_bundles() -> int:
    added = 0
    for fields in BUNDLES:
        if bundles.bundle_by_code(fields["code"]) is None:
            bundles.create_bundle(SEEDER, dict(fields))
            added += 1
    return added
