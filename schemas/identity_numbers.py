"""Checks of the two national identifiers we accept, done locally before any upstream call.

- Resident identity number (公民身份号码, GB 11643-1999): 18 characters, 17 digits then
  an ISO 7064 MOD 11-2 check character (a digit or ``X``).
- Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
  31-character set, the last one a MOD 31 check character.

``check_*`` return ``None`` for a valid value and otherwise a short English reason that
never repeats the value (it is personal data, and reasons may reach logs).
``normalize_*`` return the canonical form (surrounding whitespace removed, upper case);
the checks accept what the normalizers would turn into a valid value, so a schema
normalizes, checks, and stores the normalized form.

Pure standard-library Python: schemas, services and tests may all import it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone


def N_(text: str) -> str:
    """Marks a reason for message extraction (nanhaitong/translations/babel.cfg); translated where shown."""
    return text

__all__ = [
    "PROVINCE_CODES",
    "USCC_AUTHORITY_CATEGORIES",
    "USCC_CHARSET",
    "check_resident_id",
    "check_uscc",
    "normalize_resident_id",
    "normalize_uscc",
    "resident_id_birth_date",
    "resident_id_check_char",
    "uscc_check_char",
]

_DIGITS = frozenset("0123456789")

# -- resident identity numbers (GB 11643-1999) ------------------------------------

RESIDENT_ID_LENGTH = 18
# W_i = 2^(18-i) mod 11 for positions 1..17 (ISO 7064 MOD 11-2).
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# (sum of weighted digits) mod 11 -> check character.
_RESIDENT_ID_CHECK_MAP = "10X98765432"
_EARLIEST_BIRTH_YEAR = 1900
# Births are registered on China Standard Time: a baby born this morning in Foshan may
# still be "tomorrow" in UTC.
_CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")

# Province-level codes of GB/T 2260 (the first two digits of the address code), plus 83,
# the code the Ministry of Public Security uses on residence permits for Taiwan
# residents (81 and 82 likewise appear on those of Hong Kong and Macao residents).
PROVINCE_CODES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
    "83": "台湾居民居住证",
}


def normalize_resident_id(value: str) -> str:
    """Surrounding whitespace removed, a lowercase check ``x`` made ``X``."""
    return value.strip().upper()


def resident_id_check_char(first17: str) -> str:
    """The check character for the first 17 digits of a resident identity number."""
    if len(first17) != RESIDENT_ID_LENGTH - 1 or not set(first17) <= _DIGITS:
        raise ValueError("expected 17 ASCII digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _RESIDENT_ID_WEIGHTS))
    return _RESIDENT_ID_CHECK_MAP[total % 11]


def resident_id_birth_date(value: str) -> date | None:
    """The date of birth held in positions 7-14, or ``None`` when it is not a date."""
    digits = normalize_resident_id(value)[6:14]
    if len(digits) != 8 or not set(digits) <= _DIGITS:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def check_resident_id(value: str, *, today: date | None = None) -> str | None:
    """``None`` when ``value`` is a valid resident identity number, else why not.

    ``today`` (default: today in China Standard Time) bounds the date of birth.
    """
    if not isinstance(value, str):
        return N_("must be a string")
    number = normalize_resident_id(value)
    if len(number) != RESIDENT_ID_LENGTH:
        return N_("must be 18 characters")
    body, check = number[:-1], number[-1]
    if not set(body) <= _DIGITS:
        return N_("the first 17 characters must be digits")
    if check not in _DIGITS and check != "X":
        return N_("the last character must be a digit or X")
    if body[:2] not in PROVINCE_CODES:
        return N_("unknown region code")
    born = resident_id_birth_date(number)
    if born is None:
        return N_("invalid date of birth")
    if born.year < _EARLIEST_BIRTH_YEAR:
        return N_("date of birth before 1900")
    if born > (today or datetime.now(_CHINA_STANDARD_TIME).date()):
        return N_("date of birth in the future")
    if resident_id_check_char(body) != check:
        return N_("wrong check character")
    return None


# -- unified social credit codes (GB 32100-2015) ----------------------------------

USCC_LENGTH = 18
# The code's character set: digits and capitals except I, O, Z, S and V. A character's
# value is its index here.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {char: index for index, char in enumerate(USCC_CHARSET)}
# W_i = 3^(i-1) mod 31 for positions 1..17.
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Position 1 (registration authority) -> the position-2 entity type codes it assigns,
# as published with the standard:
#   1 机构编制: 1 机关, 2 事业单位, 3 中央编办直接管理机构编制的群众团体, 9 其他
#   2 外交: 1 外国常驻新闻机构, 9 其他
#   3 司法行政: 1 律师执业机构, 2 公证处, 3 基层法律服务所, 4 司法鉴定机构, 5 仲裁委员会, 9 其他
#   4 文化: 1 外国在华文化中心, 9 其他
#   5 民政: 1 社会团体, 2 民办非企业单位, 3 基金会, 9 其他
#   6 旅游: 1 外国旅游部门常驻代表机构, 2 港澳台地区旅游部门常驻内地（大陆）代表机构, 9 其他
#   7 宗教: 1 宗教活动场所, 2 宗教院校, 9 其他
#   8 工会: 1 基层工会, 9 其他
#   9 工商（市场监管）: 1 企业, 2 个体工商户, 3 农民专业合作社
#   A 中央军委改革和编制办公室: 1 军队事业单位, 9 其他
#   N 农业: 1 组级, 2 村级, 3 乡镇级集体经济组织, 9 其他
#   Y 其他: 1
USCC_AUTHORITY_CATEGORIES: dict[str, frozenset[str]] = {
    "1": frozenset("1239"),
    "2": frozenset("19"),
    "3": frozenset("123459"),
    "4": frozenset("19"),
    "5": frozenset("1239"),
    "6": frozenset("129"),
    "7": frozenset("129"),
    "8": frozenset("19"),
    "9": frozenset("123"),
    "A": frozenset("19"),
    "N": frozenset("1239"),
    "Y": frozenset("1"),
}


def normalize_uscc(value: str) -> str:
    """Surrounding whitespace removed, upper case."""
    return value.strip().upper()


def uscc_check_char(first17: str) -> str:
    """The check character for the first 17 characters of a unified social credit code."""
    if len(first17) != USCC_LENGTH - 1 or any(char not in _USCC_VALUES for char in first17):
        raise ValueError(f"expected 17 characters from {USCC_CHARSET}")
    total = sum(_USCC_VALUES[char] * weight for char, weight in zip(first17, _USCC_WEIGHTS))
    return USCC_CHARSET[(31 - total % 31) % 31]  # 31 - 0 = 31 means 0


def check_uscc(value: str) -> str | None:
    """``None`` when ``value`` is a valid unified social credit code, else why not.

    Checked: length, character set, the registration authority and entity type codes
    (positions 1-2), a numeric region code (positions 3-8) and the check character.
    The organisation code in positions 9-17 is checked for its character set only.
    """
    if not isinstance(value, str):
        return N_("must be a string")
    code = normalize_uscc(value)
    if len(code) != USCC_LENGTH:
        return N_("must be 18 characters")
    if any(char not in _USCC_VALUES for char in code):
        return N_("may hold only digits and capital letters other than I, O, Z, S and V")
    categories = USCC_AUTHORITY_CATEGORIES.get(code[0])
    if categories is None:
        return N_("unknown registration authority code")
    if code[1] not in categories:
        return N_("unknown entity type for its registration authority")
    if not set(code[2:8]) <= _DIGITS:
        return N_("the region code (characters 3-8) must be digits")
    if uscc_check_char(code[:-1]) != code[-1]:
        return N_("wrong check character")
    return None
