"""The licence catalogue and licence codes: plain data and pure functions."""

from __future__ import annotations

import pytest

from integrations.licence_library import (
    CATALOGUE,
    HOLDER_KINDS,
    LICENCE_TYPES,
    InvalidLicenceCode,
    LicenceCode,
    canonical_bytes,
    is_licence_code,
    licence_type,
    make_licence_code,
    number_check_char,
    parse_licence_code,
)
from integrations.sandbox.demo_data import CITIZENS

CODE = "440000GA0001-resident_id_card-2019000010018"

EXPECTED_TYPES = {
    "resident_id_card": ("居民身份证", "citizen"),
    "driver_licence": ("机动车驾驶证", "citizen"),
    "household_register": ("居民户口簿", "citizen"),
    "social_security_card": ("社会保障卡", "citizen"),
    "marriage_certificate": ("结婚证", "citizen"),
    "degree_certificate": ("学位证书", "citizen"),
    "business_licence": ("营业执照", "enterprise"),
    "food_business_permit": ("食品经营许可证", "enterprise"),
    "construction_permit": ("建筑工程施工许可证", "enterprise"),
}


def test_catalogue_has_the_citizen_and_enterprise_types():
    assert {t.type_code: (t.name, t.holder_kind) for t in CATALOGUE} == EXPECTED_TYPES
    assert list(LICENCE_TYPES) == [t.type_code for t in CATALOGUE]
    assert licence_type("driver_licence").name == "机动车驾驶证"
    with pytest.raises(KeyError):
        licence_type("passport")


@pytest.mark.parametrize("licence", CATALOGUE, ids=lambda t: t.type_code)
def test_each_type_is_well_formed(licence):
    assert licence.holder_kind in HOLDER_KINDS
    assert licence.fields and all(label for label in licence.fields.values())
    assert licence.sensitive_fields <= set(licence.fields)
    assert "name" not in licence.fields or licence.holder_kind == "enterprise"


def test_personal_numbers_addresses_and_bank_accounts_are_sensitive():
    sensitive = {t.type_code: t.sensitive_fields for t in CATALOGUE}
    assert {"id_number", "address"} <= sensitive["resident_id_card"]
    assert {"licence_number", "address"} <= sensitive["driver_licence"]
    assert {"social_security_number", "bank_account"} <= sensitive["social_security_card"]
    assert {"spouse_name", "spouse_id_number"} <= sensitive["marriage_certificate"]
    for type_code in ("business_licence", "food_business_permit", "construction_permit"):
        assert sensitive[type_code] == frozenset()  # published by law
    for licence in CATALOGUE:
        for name in licence.fields:
            if name.endswith(("id_number", "bank_account")) or name in {"address", "social_security_number"}:
                assert name in licence.sensitive_fields or licence.holder_kind == "enterprise", name


def test_catalogue_cannot_be_changed_by_accident():
    with pytest.raises(TypeError):
        LICENCE_TYPES["passport"] = LICENCE_TYPES["resident_id_card"]  # type: ignore[index]
    with pytest.raises(TypeError):
        LICENCE_TYPES["resident_id_card"].fields["x"] = "y"  # type: ignore[index]


def test_parse_a_licence_code():
    code = parse_licence_code(CODE)

    assert code == LicenceCode(CODE, "440000GA0001", "resident_id_card", "2019000010018")
    assert (code.region_code, code.sector, code.issue_year, code.serial) == ("440000", "GA", 2019, "00001001")
    assert str(code) == CODE


def test_make_licence_code_computes_the_check_character():
    assert make_licence_code("440000GA0001", "resident_id_card", 2019, 1001) == CODE
    assert make_licence_code("440000GA0001", "driver_licence", 2019, 10003).endswith("X")
    with pytest.raises(ValueError):
        make_licence_code("440000GA0001", "resident_id_card", 2019, -1)


def test_the_check_character_is_gb11643s():
    # The same ISO 7064 MOD 11-2 as resident identity numbers: it reproduces theirs.
    for citizen in CITIZENS:
        assert number_check_char(citizen.id_number[:17]) == citizen.id_number[17]


@pytest.mark.parametrize("bad", [
    "",
    None,
    12,
    CODE[:-1] + "9",  # wrong check character
    CODE.replace("-", "_", 1),
    CODE + "-1",
    "440000ga0001-resident_id_card-2019000010018",  # lower-case sector
    "440000GA001-resident_id_card-2019000010018",  # issuer code too short
    "990000GA0001-resident_id_card-2019000010018",  # no such province
    "000000GA0001-resident_id_card-2019000010018",
    "440000GA0001-passport-2019000010018",  # not in the catalogue
    "440000GA0001-Resident_id_card-2019000010018",
    "440000GA0001-resident_id_card-1900000010016",  # year out of range
    "440000GA0001-resident_id_card-20190000100",  # number too short
    "440000GA0001-resident_id_card-440622198503121234",  # an ID number is not a code
    "440000GA0001-resident_id_card-２０１９000010018",  # full-width digits
    CODE + "x" * 100,
])
def test_malformed_codes_are_refused_without_echo(bad):
    with pytest.raises(InvalidLicenceCode) as refused:
        parse_licence_code(bad)

    assert isinstance(refused.value, ValueError)
    if isinstance(bad, str) and len(bad) > 12:
        assert bad not in str(refused.value)
    assert not is_licence_code(bad)


def test_canonical_bytes_are_sorted_compact_utf8():
    licence = {"b": "南海", "a": {"y": None, "x": [1, "二"]}}

    assert canonical_bytes(licence) == '{"a":{"x":[1,"二"],"y":null},"b":"南海"}'.encode()
    with pytest.raises(ValueError):
        canonical_bytes({"a": float("nan")})
