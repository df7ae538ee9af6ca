"""The licence catalogue: holder kinds, statuses, licence types and licence codes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping

CITIZEN = "citizen"
ENTERPRISE = "enterprise"
HOLDER_KINDS = (CITIZEN, ENTERPRISE)

# Licence statuses as the library signs them. A "valid" licence whose valid_until has
# passed is reported as "expired" (see VerifiedLicence.status).
STATUSES = ("valid", "revoked", "expired")

# Refusal reasons.
BAD_SIGNATURE = "bad_signature"
UNTRUSTED_ISSUER = "untrusted_issuer"
ISSUER_EXPIRED = "issuer_expired"
MALFORMED = "malformed"
HOLDER_MISMATCH = "holder_mismatch"
REFUSAL_REASONS = (BAD_SIGNATURE, UNTRUSTED_ISSUER, ISSUER_EXPIRED, MALFORMED, HOLDER_MISMATCH)

# Licence validity is stated in dates on China Standard Time (CHINA_STANDARD_TIME).

# -- catalogue ----------------------------------------------------------------------


@dataclass(frozen=True)
class LicenceType:
    """One kind of licence.

    ``fields`` maps each field the licence carries to its printed Chinese label, in
    the order the document shows them; the holder's name is not among them (it is
    the licence's ``holder_name``). ``sensitive_fields`` are masked in responses
    unless the holder asks to reveal them.
    """

    type_code: str
    name: str
    holder_kind: str  # "citizen" | "enterprise"
    fields: Mapping[str, str]
    sensitive_fields: frozenset[str]


def _type(type_code: str, name: str, holder_kind: str, fields: dict[str, str],
          sensitive: tuple[str, ...] = ()) -> LicenceType:
    unknown = set(sensitive) - set(fields)
    if unknown:
        raise ValueError(f"{type_code}: sensitive fields not among its fields: {sorted(unknown)}")
    return LicenceType(type_code, name, holder_kind, MappingProxyType(dict(fields)), frozenset(sensitive))


CATALOGUE: tuple[LicenceType, ...] = (
    _type("resident_id_card", "居民身份证", CITIZEN, {
        "sex": "性别",
        "ethnicity": "民族",
        "birth_date": "出生",
        "address": "住址",
        "id_number": "公民身份号码",
        "issuing_authority": "签发机关",
    }, sensitive=("birth_date", "address", "id_number")),
    _type("driver_licence", "机动车驾驶证", CITIZEN, {
        "licence_number": "证号",
        "sex": "性别",
        "nationality": "国籍",
        "address": "住址",
        "birth_date": "出生日期",
        "first_issue_date": "初次领证日期",
        "vehicle_class": "准驾车型",
        "file_number": "档案编号",
        "issuing_authority": "发证机关",
    }, sensitive=("licence_number", "address", "birth_date", "file_number")),
    _type("household_register", "居民户口簿", CITIZEN, {
        "household_number": "户号",
        "household_type": "户别",
        "head_of_household": "户主姓名",
        "relationship_to_head": "与户主关系",
        "address": "住址",
        "native_place": "籍贯",
        "birth_date": "出生日期",
        "id_number": "公民身份号码",
        "registration_authority": "户口登记机关",
    }, sensitive=("household_number", "head_of_household", "address", "birth_date", "id_number")),
    _type("social_security_card", "社会保障卡", CITIZEN, {
        "social_security_number": "社会保障号码",
        "card_number": "社会保障卡号",
        "card_generation": "卡规格",
        "bank": "开户银行",
        "bank_account": "金融账户",
        "issuing_region": "发卡地",
    }, sensitive=("social_security_number", "card_number", "bank_account")),
    _type("marriage_certificate", "结婚证", CITIZEN, {
        "certificate_number": "结婚证字号",
        "registration_date": "登记日期",
        "id_number": "身份证件号",
        "spouse_name": "配偶姓名",
        "spouse_id_number": "配偶身份证件号",
        "registration_authority": "登记机关",
    }, sensitive=("certificate_number", "id_number", "spouse_name", "spouse_id_number")),
    _type("degree_certificate", "学位证书", CITIZEN, {
        "degree": "学位",
        "major": "学科、专业",
        "university": "学位授予单位",
        "conferred_on": "授予日期",
        "certificate_number": "证书编号",
        "birth_date": "出生日期",
        "id_number": "身份证件号",
    }, sensitive=("certificate_number", "birth_date", "id_number")),
    # Enterprise licences carry what the law makes public (企业信用信息公示): nothing
    # on them is masked.
    _type("business_licence", "营业执照", ENTERPRISE, {
        "uscc": "统一社会信用代码",
        "name": "名称",
        "entity_type": "类型",
        "legal_representative": "法定代表人",
        "registered_capital": "注册资本",
        "established_on": "成立日期",
        "business_term": "营业期限",
        "address": "住所",
        "business_scope": "经营范围",
        "registration_authority": "登记机关",
    }),
    _type("food_business_permit", "食品经营许可证", ENTERPRISE, {
        "permit_number": "许可证编号",
        "operator": "经营者名称",
        "uscc": "社会信用代码",
        "legal_representative": "法定代表人（负责人）",
        "address": "住所",
        "business_premises": "经营场所",
        "business_type": "主体业态",
        "business_items": "经营项目",
        "daily_supervisor": "日常监督管理机构",
        "complaint_hotline": "投诉举报电话",
        "issuing_authority": "发证机关",
    }),
    _type("construction_permit", "建筑工程施工许可证", ENTERPRISE, {
        "permit_number": "编号",
        "construction_unit": "建设单位",
        "project_name": "工程名称",
        "construction_address": "建设地址",
        "scale": "建设规模",
        "contract_price": "合同价格",
        "designer": "设计单位",
        "contractor": "施工单位",
        "supervisor": "监理单位",
        "contract_period": "合同工期",
        "issuing_authority": "发证机关",
    }),
)

LICENCE_TYPES: Mapping[str, LicenceType] = MappingProxyType({t.type_code: t for t in CATALOGUE})


def licence_type(type_code: str) -> LicenceType:
    """The catalogue entry of ``type_code``; ``KeyError`` when there is none."""
    return LICENCE_TYPES[type_code]


# -- licence codes ----------------------------------------------------------------

# Province-level division codes (GB/T 2260), the first two digits of a region code.
_PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
})
_ISSUER_CODE = re.compile(r"^([0-9]{6})([A-Z]{2})([0-9]{4})$")
_TYPE_CODE = re.compile(r"^[a-z][a-z_]{1,38}[a-z]$")
_NUMBER = re.compile(r"^([0-9]{4})([0-9]{8})([0-9X])$")
MAX_CODE_LENGTH = 12 + 1 + 40 + 1 + 13


class InvalidLicenceCode(ValueError):
    """A string that is not a licence code. The message never repeats the string."""


@dataclass(frozen=True)
class LicenceCode:
    """The parts of a licence code (see :func:`parse_licence_code`)."""

    code: str
    issuer_code: str
    type_code: str
    number: str

    @property
    def region_code(self) -> str:
        return self.issuer_code[:6]

    @property
    def sector(self) -> str:
        return self.issuer_code[6:8]

    @property
    def issue_year(self) -> int:
        return int(self.number[:4])

    @property
    def serial(self) -> str:
        return self.number[4:12]

    def __str__(self) -> str:
        return self.code


def number_check_char(digits: str) -> str:
    """ISO 7064 MOD 11-2 check character of a string of digits (as GB 11643 uses)."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("digits only")
    carry = 0
    for digit in digits:
        carry = (carry + int(digit)) * 2 % 11
    return "0123456789X"[(12 - carry) % 11]


def parse_licence_code(code: str) -> LicenceCode:
    """Split and check a licence code ``<issuer code>-<type code>-<number>``.

    Modelled on the national e-licence identifier (issuer, type, number), in a short
    form of our own:

    - issuer code, 12 characters ``RRRRRRSSNNNN``: the GB/T 2260 division code of the
      issuing authority's level (``440000`` Guangdong province, ``440605`` Nanhai
      district), two capital letters naming its sector (``GA`` 公安, ``SJ`` 市场监管,
      ``JY`` 教育...) and a four-digit unit number, e.g. ``440000GA0001``;
    - type code, a :data:`LICENCE_TYPES` key, e.g. ``resident_id_card``;
    - number, 13 characters assigned by the library: the four-digit year of issue, an
      eight-digit serial and an ISO 7064 MOD 11-2 check character (``0``-``9`` or
      ``X``) over those twelve digits, e.g. ``2015000001027``.

    The number is the library's, never the document's own (which for an ID card is
    the holder's ID number): a code holds no personal data and may be logged.
    Raises :class:`InvalidLicenceCode` (a ``ValueError``) for anything else,
    including a type not in the catalogue.
    """
    if not isinstance(code, str) or not 0 < len(code) <= MAX_CODE_LENGTH:
        raise InvalidLicenceCode("a licence code is a string of at most %d characters" % MAX_CODE_LENGTH)
    parts = code.split("-")
    if len(parts) != 3:
        raise InvalidLicenceCode("a licence code has three parts: issuer-type-number")
    issuer_code, type_code, number = parts
    issuer = _ISSUER_CODE.match(issuer_code)
    if not issuer or issuer.group(1)[:2] not in _PROVINCES or issuer.group(1).endswith("00000"):
        raise InvalidLicenceCode("the issuer code must be a division code, two capitals and four digits")
    if not _TYPE_CODE.match(type_code) or type_code not in LICENCE_TYPES:
        raise InvalidLicenceCode("the type code is not in the licence catalogue")
    parsed = _NUMBER.match(number)
    if not parsed or not 1949 <= int(parsed.group(1)) <= 2199:
        raise InvalidLicenceCode("the number must be a year, an eight-digit serial and a check character")
    if number_check_char(number[:12]) != number[12]:
        raise InvalidLicenceCode("the number's check character is wrong")
    return LicenceCode(code, issuer_code, type_code, number)


def make_licence_code(issuer_code: str, type_code: str, issue_year: int, serial: int) -> str:
    """The licence code for these parts, check character included (issuers and tests)."""
    if not isinstance(serial, int) or not 0 <= serial <= 99_999_999:
        raise ValueError("serial must be 0..99999999")
    digits = f"{issue_year:04d}{serial:08d}"
    return str(parse_licence_code(f"{issuer_code}-{type_code}-{digits}{number_check_char(digits)}"))


def is_licence_code(code: Any) -> bool:
    try:
        parse_licence_code(code)
    except InvalidLicenceCode:
        return False
    return True


