"""EncryptedText against a real SQLite database: ciphertext at rest, plaintext in the ORM."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, String, create_engine, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from nanhaitong.security.fields import (
    BlindIndex,
    DecryptionError,
    EncryptedText,
    FieldCipher,
    normalize_phone,
    set_cipher_resolver,
)


class Base(DeclarativeBase):
    pass


class Citizen(Base):
    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(EncryptedText(context="citizens.phone"))
    phone_bidx: Mapped[str | None] = mapped_column(String(64), index=True)
    name: Mapped[str | None] = mapped_column(EncryptedText(context="citizens.name"))


@pytest.fixture
def engine(registered_cipher: FieldCipher) -> Iterator[Engine]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_stored_value_is_ciphertext_and_orm_reads_plaintext(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Citizen(id=1, phone="13812345678", name="欧阳娜娜"))
        session.commit()

    with engine.connect() as conn:
        raw_phone, raw_name = conn.execute(text("SELECT phone, name FROM citizens WHERE id = 1")).one()
    assert raw_phone.startswith("v1.k1.") and "13812345678" not in raw_phone
    assert raw_name.startswith("v1.k1.") and "欧阳" not in raw_name

    with Session(engine) as session:
        citizen = session.get(Citizen, 1)
        assert citizen is not None
        assert (citizen.phone, citizen.name) == ("13812345678", "欧阳娜娜")


def test_none_stays_null(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Citizen(id=2, phone=None, name=None))
        session.commit()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT phone, name FROM citizens WHERE id = 2")).one() == (None, None)
    with Session(engine) as session:
        citizen = session.get(Citizen, 2)
        assert citizen is not None and citizen.phone is None and citizen.name is None


def test_value_moved_to_another_column_does_not_decrypt(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Citizen(id=3, phone="13812345678", name="张三"))
        session.commit()
    with engine.begin() as conn:
        conn.execute(text("UPDATE citizens SET name = phone WHERE id = 3"))
    with Session(engine) as session, pytest.raises(DecryptionError):
        session.execute(select(Citizen.name).where(Citizen.id == 3)).one()


def test_lookup_through_blind_index(engine: Engine, blind_index: BlindIndex) -> None:
    def bidx(phone: str) -> str:
        return blind_index.digest(phone, domain="phone", normalize=normalize_phone)

    with Session(engine) as session:
        session.add_all(
            [
                Citizen(id=4, phone="13812345678", phone_bidx=bidx("13812345678")),
                Citizen(id=5, phone="13987654321", phone_bidx=bidx("13987654321")),
            ]
        )
        session.commit()
        found = session.scalars(select(Citizen).where(Citizen.phone_bidx == bidx("+86 138-1234-5678"))).one()
        assert found.id == 4


def test_missing_resolver_is_loud(registered_cipher: FieldCipher) -> None:
    previous = set_cipher_resolver(None)
    try:
        with pytest.raises(RuntimeError):
            EncryptedText(context="citizens.phone").process_bind_param("13812345678", None)
    finally:
        set_cipher_resolver(previous)


def test_context_is_required() -> None:
    with pytest.raises(ValueError):
        EncryptedText(context="")
