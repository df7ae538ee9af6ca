"""Resident identity numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015).

Check characters are recomputed here from the published formulas, written out
independently of schemas.identity_numbers (which uses python-stdnum), so a shared mistake
cannot pass unnoticed. Region codes are judged as they stood at the date of birth.
"""

from __future__ import annotations

from datetime import date

import pytest

from nanhaitong.timeutil import china_today
from schemas.identity_numbers import (
    RESIDENCE_PERMIT_REGIONS,
    check_resident_id,
    check_uscc,
    normalize_resident_id,
    normalize_uscc,
    org_code_check_char,
    resident_id_birth_date,
    resident_id_check_char,
    uscc_check_char,
)

TODAY = date(2025, 6, 1)


# -- reference computations, from the standards' text ------------------------------

def reference_resident_id_check(first17: str) -> str:
    """GB 11643-1999 / ISO 7064 MOD 11-2: W_i = 2^(i-1) mod 11, counting positions from
    the right with the check character at i = 1; check a1 with (sum + a1) mod 11 == 1."""
    total = sum(int(digit) * (2 ** (18 - position) % 11)
                for position, digit in enumerate(first17, start=1))
    for candidate in range(11):
        if (total + candidate) % 11 == 1:
            return "X" if candidate == 10 else str(candidate)
    raise AssertionError("unreachable")


def reference_uscc_check(first17: str) -> str:
    """GB 32100-2015: values 0-30 in the order 0-9 then the capitals without I O Z S V;
    W_i = 3^(i-1) mod 31; C18 = 31 - (sum mod 31), where 31 stands for 0."""
    charset = "0123456789" + "".join(c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if c not in "IOZSV")
    total = sum(charset.index(char) * (3 ** (position - 1) % 31)
                for position, char in enumerate(first17, start=1))
    c18 = 31 - total % 31
    return charset[0 if c18 == 31 else c18]


def reference_org_code_check(first8: str) -> str:
    """GB 11714-1997, the organisation code in USCC positions 9-17: values 0-9 then A=10..Z=35,
    weights 3 7 9 10 5 8 4 2, C9 = 11 - (sum mod 11), 10 -> X, 11 -> 0."""
    values = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    c9 = 11 - sum(values.index(c) * w for c, w in zip(first8, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return {10: "X", 11: "0"}.get(c9, str(c9))


def test_reference_weights_match_the_published_tables():
    assert [2 ** (18 - i) % 11 for i in range(1, 18)] == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    assert [3 ** (i - 1) % 31 for i in range(1, 18)] == [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


# -- resident identity numbers -----------------------------------------------------

STANDARD_EXAMPLE = "11010519491231002X"  # the example in GB 11643-1999


def test_the_standards_example_is_valid():
    assert reference_resident_id_check(STANDARD_EXAMPLE[:17]) == "X"
    assert check_resident_id(STANDARD_EXAMPLE, today=TODAY) is None
    assert resident_id_birth_date(STANDARD_EXAMPLE) == date(1949, 12, 31)


@pytest.mark.parametrize(
    "first17",
    ["11010519491231002", "44062219850312123", "44068220000229001", "65010219900101000",
     "83000019991231111", "21010219900101000", "44068219950214204"],
)
def test_check_char_agrees_with_the_reference(first17):
    expected = reference_resident_id_check(first17)

    assert resident_id_check_char(first17) == expected
    assert check_resident_id(first17 + expected, today=TODAY) is None


def test_every_check_value_is_reachable_and_agrees():
    # Walk the sequence digits of one number so that all eleven check values occur.
    seen = set()
    for sequence in range(200):
        first17 = f"44060519850312{sequence:03d}"
        expected = reference_resident_id_check(first17)
        seen.add(expected)
        assert resident_id_check_char(first17) == expected
    assert seen == set("0123456789X")


def test_lowercase_x_and_surrounding_spaces_are_accepted_and_normalized():
    assert check_resident_id(" 11010519491231002x ", today=TODAY) is None
    assert normalize_resident_id(" 11010519491231002x ") == STANDARD_EXAMPLE


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", "wrong check character"),
        ("11010519491231002", "must be 18 characters"),
        ("11010519491231002XX", "must be 18 characters"),
        ("", "must be 18 characters"),
        ("1101051949123100AX", "the first 17 characters must be digits"),
        ("11010519491231002Y", "the last character must be a digit or X"),
        ("１１010519491231002X", "the first 17 characters must be digits"),  # full-width digits
        ("11010 19491231002X", "the first 17 characters must be digits"),
        ("44060519900230", "must be 18 characters"),
        (None, "must be a string"),
    ],
)
def test_malformed_resident_ids_are_refused(value, reason):
    assert check_resident_id(value, today=TODAY) == reason


def with_check(first17: str) -> str:
    return first17 + reference_resident_id_check(first17)


@pytest.mark.parametrize(
    ("first17", "reason"),
    [
        ("44060519900230123", "invalid date of birth"),  # 30 February
        ("44060519010229123", "invalid date of birth"),  # 1901 was no leap year
        ("44060519001329123", "invalid date of birth"),  # month 13
        ("44060519850000123", "invalid date of birth"),
        ("44060518991231123", "date of birth before 1900"),
        ("44060520250602123", "date of birth in the future"),  # TODAY is 2025-06-01
        ("99060519850312123", "unknown region code"),
        ("00060519850312123", "unknown region code"),
        ("16060519850312123", "unknown region code"),
        ("72060519850312123", "unknown region code"),
    ],
)
def test_numbers_with_correct_check_but_bad_content_are_refused(first17, reason):
    assert check_resident_id(with_check(first17), today=TODAY) == reason


def test_dates_at_the_bounds_are_accepted():
    assert check_resident_id(with_check("44068220000229123"), today=TODAY) is None  # leap day
    assert check_resident_id(with_check("44060520250601123"), today=TODAY) is None  # born today
    assert check_resident_id(with_check("44272219000101123"), today=TODAY) is None


def test_the_future_is_judged_against_todays_date_by_default():
    tomorrow = date.fromordinal(china_today().toordinal() + 2)
    assert check_resident_id(with_check(f"440605{tomorrow:%Y%m%d}123")) == "date of birth in the future"


@pytest.mark.parametrize(
    ("first17", "born"),
    [("44272219780101123", "Nanhai county, before 1983"), ("44062219850101123", "Nanhai county, 1983-1992"),
     ("44068219950101123", "Nanhai city, 1992-2002"), ("44060520050101123", "Nanhai district, from 2002")],
)
def test_nanhai_codes_are_valid_for_births_in_their_time(first17, born):
    assert check_resident_id(with_check(first17), today=TODAY) is None, born


@pytest.mark.parametrize(
    "first17",
    ["44060519850312123",  # Nanhai district did not exist in 1985 (440622 then)
     "44272219900101123",  # Nanhai county's old code was gone by 1990
     "44068219850101123",  # Nanhai city only from 1992
     "44060520010101123"],
)
def test_a_region_code_that_did_not_exist_at_birth_is_refused(first17):
    assert check_resident_id(with_check(first17), today=TODAY) == "the region code did not exist on the date of birth"


def test_residence_permit_codes_are_accepted():
    assert RESIDENCE_PERMIT_REGIONS == {"810000", "820000", "830000"}
    for region in sorted(RESIDENCE_PERMIT_REGIONS):
        assert check_resident_id(with_check(region + "19991231111"), today=TODAY) is None


def test_reasons_never_repeat_the_number():
    number = "440622198503121230"  # wrong check character
    assert number not in check_resident_id(number, today=TODAY)


# -- unified social credit codes ---------------------------------------------------

@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_examples_are_valid(code):
    assert reference_uscc_check(code[:17]) == code[17]
    assert reference_org_code_check(code[8:16]) == code[16]
    assert uscc_check_char(code[:17]) == code[17]
    assert check_uscc(code) is None


@pytest.mark.parametrize(
    "first17",
    ["91440605MA4UJ2K83", "12100000400000624", "51440000MJ000000X", "A1110000600037341",
     "N2440605MA4W6E1N9", "Y1440605000000000", "92440605L12345674"],
)
def test_uscc_check_char_agrees_with_the_reference(first17):
    expected = reference_uscc_check(first17)

    assert uscc_check_char(first17) == expected
    assert check_uscc(first17 + expected) is None


def test_every_uscc_check_value_is_reachable_and_agrees():
    seen = set()
    for n in range(400):
        first17 = f"91440605MA{n:07d}"
        expected = reference_uscc_check(first17)
        seen.add(expected)
        assert uscc_check_char(first17) == expected
    assert len(seen) == 31  # including the 31 -> 0 case


def test_uscc_is_normalized_and_lowercase_is_accepted():
    assert normalize_uscc(" 91110000600037341l\n") == "91110000600037341L"
    assert check_uscc(" 91110000600037341l") is None


def uscc_with_check(first17: str) -> str:
    return first17 + reference_uscc_check(first17)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("91350100M000100Y42", "wrong check character"),
        ("91110000600037341K", "wrong check character"),
        ("91110000600037341", "must be 18 characters"),
        ("91110000600037341LL", "must be 18 characters"),
        ("9111000060003734IL", "may hold only digits and capital letters other than I, O, Z, S and V"),
        ("91110000600O37341L", "may hold only digits and capital letters other than I, O, Z, S and V"),
        ("9111000060003734ZL", "may hold only digits and capital letters other than I, O, Z, S and V"),
        ("91110000600037341S", "may hold only digits and capital letters other than I, O, Z, S and V"),
        ("911100006000V7341L", "may hold only digits and capital letters other than I, O, Z, S and V"),
        ("91110000-00037341L", "may hold only digits and capital letters other than I, O, Z, S and V"),
        (None, "must be a string"),
    ],
)
def test_malformed_usccs_are_refused(value, reason):
    assert check_uscc(value) == reason


@pytest.mark.parametrize(
    ("first17", "reason"),
    [
        ("B1110000600037341", "unknown registration authority code"),
        ("01110000600037341", "unknown registration authority code"),
        ("94110000600037341", "unknown entity type for its registration authority"),
        ("9A110000600037341", "unknown entity type for its registration authority"),
        ("Y2110000600037341", "unknown entity type for its registration authority"),
        ("911A0000600037341", "the region code (characters 3-8) must be digits"),
    ],
)
def test_usccs_with_correct_check_but_bad_content_are_refused(first17, reason):
    assert check_uscc(uscc_with_check(first17)) == reason


@pytest.mark.parametrize("first17", ["91440605MA4UJ2K84", "91110000600037342", "91440605732174613"])
def test_a_wrong_embedded_organisation_code_check_is_refused(first17):
    assert reference_org_code_check(first17[8:16]) != first17[16]
    assert check_uscc(uscc_with_check(first17)) == (
        "wrong check character of the embedded organisation code (characters 9-17, GB 11714)")


def test_org_code_check_agrees_with_the_reference():
    for body in ("60003734", "MA4UJ2K8", "73217461", "MJ000000", "L1234567", "00000000", "M000100Y"):
        assert org_code_check_char(body) == reference_org_code_check(body)
