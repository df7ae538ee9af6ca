"""Masking for responses: expected shapes, and never revealing much on odd input."""

from __future__ import annotations

import pytest

from nanhaitong.security.masking import mask_id_number, mask_middle, mask_name, mask_phone


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138-1234-5678", "138****5678"),
        ("075786281234", "********1234"),  # landline: last 4 only
        ("1234567", "*******"),  # too short to keep anything
        ("138", "***"),
        ("", ""),
        (None, ""),
        (13812345678, "138****5678"),
    ],
)
def test_mask_phone(raw: object, masked: str) -> None:
    assert mask_phone(raw) == masked


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("44062219900101023X", "4" + "*" * 16 + "X"),
        ("44062219900101023x", "4" + "*" * 16 + "X"),
        ("440622 19900101 1232", "4" + "*" * 16 + "2"),
        ("440605900101123", "*" * 14 + "3"),  # old 15-digit ID: last char only
        ("12X", "***"),
        ("X", "*"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(raw: object, masked: str) -> None:
    assert mask_id_number(raw) == masked


def test_mask_id_number_hides_region_and_birth_date() -> None:
    masked = mask_id_number("44062219900101023X")
    assert "440605" not in masked and "19900101" not in masked and len(masked) == 18


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("买买提·艾力", "买*****"),
        ("张", "*"),
        ("Li Wei", "L* W**"),
        ("  Li   Wei ", "L* W**"),
        ("Wei", "W**"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_name(raw: object, masked: str) -> None:
    assert mask_name(raw) == masked


@pytest.mark.parametrize(
    ("args", "masked"),
    [
        (("6222021234567890123", 6, 4), "622202*********0123"),
        (("abcdef", 1, 1, "#"), "a####f"),
        (("abc", 2, 2), "***"),  # would keep everything: mask it all
        (("ab", 1, 1), "**"),
        (("", 1, 1), ""),
        ((None, 1, 1), ""),
        (("abcdef", -3, 0), "******"),
        (("abcdef", 1, 1, ""), "a****f"),  # empty mask char falls back to "*"
    ],
)
def test_mask_middle(args: tuple, masked: str) -> None:
    assert mask_middle(*args) == masked


@pytest.mark.parametrize("odd", [object(), b"13812345678", 3.5, [], {"phone": "13812345678"}])
def test_odd_input_never_raises(odd: object) -> None:
    for mask in (mask_phone, mask_id_number, mask_name):
        assert isinstance(mask(odd), str)
    assert isinstance(mask_middle(odd, 1, 1), str)


def test_unprintable_input_never_raises() -> None:
    class Hostile:
        def __str__(self) -> str:
            raise RuntimeError("no")

    assert mask_phone(Hostile()) == ""
