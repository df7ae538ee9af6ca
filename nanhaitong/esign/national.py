"""The platform CA under the national suite: SM2 root, issuing CA and seal maker, and
GB/T 38540 seals and seal signatures made with them.

Kept apart from ``ca.py`` (the international CA, which keeps working and keeps its three
rows): the SM2 authorities have a table of their own, made on first use, their private
keys encrypted at rest by the field cipher and used only through the key custody
(``sign``), so a GM/T 0018 module can take them over without changes here.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from asn1crypto import crl as asn1_crl
from asn1crypto import x509
from flask import current_app
from sqlalchemy import DateTime, LargeBinary, String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .. import db
from ..db import Base
from ..security import sm2
from ..security.fields import EncryptedText
from ..security.suite import SM2SM3
from ..timeutil import utcnow
from . import gbt38540, sm2_pki

NAMES = ("root", "issuing", "seal_maker")
ORG = sm2_pki.ORG


class EsignSm2Authority(Base):
    """One of the platform's SM2 keys: ``root``, ``issuing`` (citizens' and seals'
    certificates, the CRL) or ``seal_maker`` (signs GB/T 38540 seals)."""

    __tablename__ = "esign_sm2_authorities"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    certificate_der: Mapped[bytes] = mapped_column(LargeBinary)
    private_key: Mapped[str] = mapped_column(EncryptedText("esign_sm2_authorities.private_key"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _signer(private: sm2.SM2PrivateKey):
    custody = current_app.extensions["nht.custody"]
    return lambda data: custody.sign(private, SM2SM3, data)


def _key_text(private: sm2.SM2PrivateKey) -> str:
    return private.private_der().hex()


def _rows() -> dict[str, EsignSm2Authority]:
    return {row.name: row for row in db.session().execute(select(EsignSm2Authority)).scalars()}


def ensure() -> dict[str, EsignSm2Authority]:
    """The SM2 authorities, created on first use (two instances racing: one wins)."""
    rows = _rows()
    if len(rows) == len(NAMES):
        return rows
    now = utcnow().replace(microsecond=0)
    keys = {name: sm2.SM2PrivateKey.generate() for name in NAMES}
    root = sm2_pki.certificate(subject=sm2_pki.name(f"{ORG} SM2 Root CA"), public_der=keys["root"].public_der(),
                               issuer=None, sign=_signer(keys["root"]), not_before=now, days=20 * 365, ca=True,
                               key_usage=("key_cert_sign", "crl_sign"))
    issuing = sm2_pki.certificate(subject=sm2_pki.name(f"{ORG} SM2 Issuing CA"),
                                  public_der=keys["issuing"].public_der(), issuer=root, sign=_signer(keys["root"]),
                                  not_before=now, days=10 * 365, ca=True, key_usage=("key_cert_sign", "crl_sign"))
    maker = sm2_pki.certificate(subject=sm2_pki.name(f"{ORG} 电子印章制作"), public_der=keys["seal_maker"].public_der(),
                                issuer=root, sign=_signer(keys["root"]), not_before=now, days=10 * 365)
    try:
        with db.unit_of_work("sm2 authorities"):
            for name, cert in (("root", root), ("issuing", issuing), ("seal_maker", maker)):
                db.session().add(EsignSm2Authority(name=name, certificate_der=cert.dump(),
                                                   private_key=_key_text(keys[name])))
    except IntegrityError:  # another instance made them first: use theirs
        pass
    rows = _rows()
    if len(rows) != len(NAMES):
        raise RuntimeError("the SM2 CA is half made")
    return rows


def certificate(name: str) -> x509.Certificate:
    return x509.Certificate.load(ensure()[name].certificate_der)


def _private(name: str) -> sm2.SM2PrivateKey:
    return sm2.SM2PrivateKey.from_der(bytes.fromhex(ensure()[name].private_key))


def issue(public_der: bytes, common_name: str, *, days: int = 365, crl_url: str | None = None) -> x509.Certificate:
    """An SM3withSM2 end-entity certificate (citizen, seal holder) from the issuing CA."""
    return sm2_pki.certificate(subject=sm2_pki.name(common_name), public_der=public_der,
                               issuer=certificate("issuing"), sign=_signer(_private("issuing")),
                               not_before=utcnow().replace(microsecond=0) - timedelta(minutes=1), days=days,
                               crl_url=crl_url)


def revocation_list(revoked: list[tuple[int, datetime]], number: int, *, days: int = 7) -> asn1_crl.CertificateList:
    now = utcnow().replace(microsecond=0)
    return sm2_pki.revocation_list(issuer=certificate("issuing"), sign=_signer(_private("issuing")), this_update=now,
                                   next_update=now + timedelta(days=days), revoked=revoked, number=number)


def make_seal(*, es_id: str, name: str, holder_certs: list[bytes], picture_png: bytes, valid_days: int = 3 * 365,
              seal_type: int = gbt38540.SEAL_TYPE_ORGANISATION, width_mm: int = 42,
              height_mm: int = 42) -> gbt38540.SESSeal:
    """A GB/T 38540 seal made (signed) by the platform's seal maker."""
    now = utcnow().replace(microsecond=0)
    return gbt38540.make_seal(es_id=es_id, name=name, seal_type=seal_type, signer_certs=holder_certs,
                              picture=picture_png, picture_type="png", width_mm=width_mm, height_mm=height_mm,
                              created=now, valid_start=now, valid_end=now + timedelta(days=valid_days),
                              maker_cert=certificate("seal_maker").dump(), maker_sign=_signer(_private("seal_maker")))


def seal_document(*, seal: gbt38540.SESSeal, document: bytes, property_info: str, holder_cert: bytes,
                  holder_key: sm2.SM2PrivateKey) -> gbt38540.SESSignature:
    return gbt38540.make_signature(seal=seal, document=document, property_info=property_info,
                                   signed_at=utcnow().replace(microsecond=0), signer_cert=holder_cert,
                                   signer_sign=_signer(holder_key))


def verify(der: bytes, document: bytes) -> gbt38540.Verification:
    """Our verifier, trusting the platform's SM2 root and issuing CA."""
    return gbt38540.verify(der, document, anchors=[certificate("root"), certificate("issuing")],
                           distid=current_app.config["SM2_ID"].encode())
