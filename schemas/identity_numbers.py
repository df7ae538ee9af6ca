"""Checks of the two national identifiers we accept, done locally before any upstream call.

The published rules are python-stdnum's (``stdnum.cn.ric``, ``stdnum.cn.uscc``): the check
characters, and for a resident identity number its address code as it stood at the date
of birth (GB/T 2260 codes come and go: Nanhai's 440605 exists only from 2002, and people
born there earlier carry 442722, 440622 or 440682 for life). What stdnum does not do is
kept here:

- Resident identity number (公民身份号码, GB 11643-1999): a date of birth from 1900 up to
  today in China; distinct reasons for each rule that fails; the address codes 810000,
  820000 and 830000 of residence permits for Hong Kong, Macao and Taiwan residents.
- Unified social credit code (统一社会信用代码, GB 32100-2015): the registration authority
  and entity type codes (positions 1-2, including the authorities A, N and Y that stdnum's
  format check refuses), and the check character of the embedded GB 11714 organisation
  code (positions 9-17).

``check_*`` return ``None`` for a valid value and otherwise a short English reason that
never repeats the value (it is personal data, and reasons may reach logs).
``normalize_*`` return the canonical form (surrounding whitespace removed, upper case);
the checks accept what the normalizers would turn into a valid value, so a schema
normalizes, checks, and stores the normalized form.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from stdnum import numdb
from stdnum.cn import ric as _ric
from stdnum.cn import uscc as _uscc
from stdnum.exceptions import InvalidComponent


def N_(text: str) -> str:
    """Marks a reason for message extraction (nanhaitong/translations/babel.cfg); translated where shown."""
    return text

__all__ = [
    "RESIDENCE_PERMIT_REGIONS",
    "USCC_AUTHORITY_CATEGORIES",
    "USCC_CHARSET",
    "check_resident_id",
    "check_uscc",
    "normalize_resident_id",
    "normalize_uscc",
    "org_code_check_char",
    "resident_id_birth_date",
    "resident_id_check_char",
    "uscc_check_char",
]

_DIGITS = frozenset("0123456789")

# -- resident identity numbers (GB 11643-1999) ------------------------------------

RESIDENT_ID_LENGTH = 18
_EARLIEST_BIRTH_YEAR = 1900
# Births are registered on China Standard Time: a baby born this morning in Foshan may
# still be "tomorrow" in UTC.
_CHINA_STANDARD_TIME = timezone(timedelta(hours=8), "CST")
# Residence permits of Hong Kong, Macao and Taiwan residents carry these address codes,
# which are not GB/T 2260 divisions (so not in stdnum's table).
RESIDENCE_PERMIT_REGIONS = frozenset({"810000", "820000", "830000"})

REGION_UNKNOWN = N_("unknown region code")
REGION_NOT_AT_BIRTH = N_("the region code did not exist on the date of birth")


def normalize_resident_id(value: str) -> str:
    """Surrounding whitespace removed, a lowercase check ``x`` made ``X``."""
    return value.strip().upper()


def resident_id_check_char(first17: str) -> str:
    """The check character for the first 17 digits of a resident identity number."""
    if len(first17) != RESIDENT_ID_LENGTH - 1 or not set(first17) <= _DIGITS:
        raise ValueError("expected 17 ASCII digits")
    return _ric.calc_check_digit(first17 + "0")


def resident_id_birth_date(value: str) -> date | None:
    """The date of birth held in positions 7-14, or ``None`` when it is not a date."""
    digits = normalize_resident_id(value)[6:14]
    if len(digits) != 8 or not set(digits) <= _DIGITS:
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def _region_problem(number: str) -> str | None:
    if number[:6] in RESIDENCE_PERMIT_REGIONS:
        return None
    try:
        _ric.get_birth_place(number)
    except InvalidComponent:
        known = any(props for _part, props in numdb.get("cn/loc").info(number[:6]))
        return REGION_NOT_AT_BIRTH if known else REGION_UNKNOWN
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
    born = resident_id_birth_date(number)
    if born is None:
        return N_("invalid date of birth")
    if born.year < _EARLIEST_BIRTH_YEAR:
        return N_("date of birth before 1900")
    if born > (today or datetime.now(_CHINA_STANDARD_TIME).date()):
        return N_("date of birth in the future")
    if resident_id_check_char(body) != check:
        return N_("wrong check character")
    return _region_problem(number)


# -- unified social credit codes (GB 32100-2015) ----------------------------------

USCC_LENGTH = 18
# The code's character set: digits and capitals except I, O, Z, S and V. A character's
# value is its index here.
USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUES = {char: index for index, char in enumerate(USCC_CHARSET)}

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
    return _uscc.calc_check_digit(first17)


# GB 11714-1997 organisation code: 8 characters (0-9 then A=10 .. Z=35) and a check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_CODE_WRONG_CHECK = N_("wrong check character of the embedded organisation code (characters 9-17, GB 11714)")


def org_code_check_char(first8: str) -> str:
    """The GB 11714 check character of an organisation code's first 8 characters."""
    if len(first8) != 8 or not all(char.isdigit() or "A" <= char <= "Z" for char in first8):
        raise ValueError("expected 8 digits or capital letters")
    total = sum((int(char) if char.isdigit() else ord(char) - 55) * weight for char, weight in zip(first8, _ORG_WEIGHTS))
    value = 11 - total % 11
    return {10: "X", 11: "0"}.get(value, str(value))


def check_uscc(value: str) -> str | None:
    """``None`` when ``value`` is a valid unified social credit code, else why not.

    Checked: length, character set, the registration authority and entity type codes
    (positions 1-2), a numeric region code (positions 3-8), the check character
    (stdnum's GB 32100 computation) and the embedded organisation code's check character.
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
    if org_code_check_char(code[8:16]) != code[16]:
        return ORG_CODE_WRONG_CHECK
    return None
