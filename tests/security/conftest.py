"""Fixtures for the personal-data primitives: fixed keys, a cipher, a blind index."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nanhaitong.security.fields import BlindIndex, FieldCipher, set_cipher_resolver

# Fixed keys keep failures reproducible; they protect nothing.
KEY_1 = bytes(range(32))
KEY_2 = bytes(range(100, 132))
INDEX_KEY = bytes(range(200, 232))


@pytest.fixture
def key_1() -> bytes:
    return KEY_1


@pytest.fixture
def key_2() -> bytes:
    return KEY_2


@pytest.fixture
def index_key() -> bytes:
    return INDEX_KEY


@pytest.fixture
def cipher(key_1: bytes) -> FieldCipher:
    """A cipher holding one key, ``k1`` (= the ``key_1`` fixture)."""
    return FieldCipher({"k1": key_1}, current_kid="k1")


@pytest.fixture
def blind_index(index_key: bytes) -> BlindIndex:
    return BlindIndex(index_key)


@pytest.fixture
def registered_cipher(cipher: FieldCipher) -> Iterator[FieldCipher]:
    """Register ``cipher`` for EncryptedText columns, restoring the previous resolver."""
    previous = set_cipher_resolver(lambda: cipher)
    try:
        yield cipher
    finally:
        set_cipher_resolver(previous)


# -- the attack replays (issue 21): a live server, an operator, relaxed SMS limits -----------

from tests.support.settings import APP_SETTINGS
from tests.support.staff import create_staff, sign_in_staff

OPERATOR_PHONE = "13900139009"


@pytest.fixture
def relaxed_app(make_app):
    """An app whose SMS and default limits do not get in a replay's way."""
    return make_app(**APP_SETTINGS)


@pytest.fixture
def operator(app, client):
    create_staff(app, OPERATOR_PHONE, "operator")
    return sign_in_staff(app, client, OPERATOR_PHONE)
