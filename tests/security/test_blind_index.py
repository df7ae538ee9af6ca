"""BlindIndex: keyed, domain-separated, normalised lookup digests."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from nanhaitong.security.fields import BlindIndex, normalize_id_number, normalize_phone


def test_deterministic(blind_index: BlindIndex) -> None:
    first = blind_index.digest("13812345678", domain="phone")
    assert first == blind_index.digest("13812345678", domain="phone")
    assert len(first) == 64 and int(first, 16) >= 0


def test_domain_separated(blind_index: BlindIndex) -> None:
    value = "440622199001011232"
    assert blind_index.digest(value, domain="phone") != blind_index.digest(value, domain="id_number")


def test_key_dependent(blind_index: BlindIndex) -> None:
    other = BlindIndex(bytes(32))
    assert blind_index.digest("13812345678", domain="phone") != other.digest("13812345678", domain="phone")


def test_matches_independent_hmac(blind_index: BlindIndex, index_key: bytes) -> None:
    expected = hmac.new(index_key, b"phone\x0013812345678", hashlib.sha256).hexdigest()
    assert blind_index.digest("+86 138-1234-5678", domain="phone", normalize=normalize_phone) == expected


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "+86 138-1234-5678", "+8613812345678", "8613812345678", " 138 1234 5678 ", "１３８１２３４５６７８"],
)
def test_phone_normalisation(blind_index: BlindIndex, raw: str) -> None:
    assert normalize_phone(raw) == "13812345678"
    assert blind_index.digest(raw, domain="phone", normalize=normalize_phone) == blind_index.digest(
        "13812345678", domain="phone"
    )


def test_phone_normalisation_leaves_other_numbers() -> None:
    assert normalize_phone("0757-8628-1234") == "075786281234"
    assert normalize_phone("86281234") == "86281234"  # a bare 86 is only a prefix before 11 digits


@pytest.mark.parametrize("raw", ["44062219900101023x", "440622 19900101 023X", " 44062219900101023X"])
def test_id_number_normalisation(blind_index: BlindIndex, raw: str) -> None:
    assert normalize_id_number(raw) == "44062219900101023X"
    assert blind_index.digest(raw, domain="id_number", normalize=normalize_id_number) == blind_index.digest(
        "44062219900101023X", domain="id_number"
    )


def test_normalisation_is_not_applied_unasked(blind_index: BlindIndex) -> None:
    assert blind_index.digest("+8613812345678", domain="phone") != blind_index.digest("13812345678", domain="phone")


@pytest.mark.parametrize("domain", ["", "a\x00b", "phone number", "x" * 65])
def test_bad_domain_rejected(blind_index: BlindIndex, domain: str) -> None:
    with pytest.raises(ValueError):
        blind_index.digest("13812345678", domain=domain)


@pytest.mark.parametrize("key", [b"", b"x" * 31, "x" * 32])
def test_short_key_rejected(key: object) -> None:
    with pytest.raises(ValueError):
        BlindIndex(key)  # type: ignore[arg-type]


def test_repr_hides_key(blind_index: BlindIndex, index_key: bytes) -> None:
    assert index_key.hex() not in repr(blind_index)
