"""The platform CA under the national suite: SM2 root, issuing CA and seal maker, and
GB/T 38540 seals and seal signatures made with them.

Kept apart from ``ca.py`` (the international CA, which keeps working and keeps its three
rows): the SM2 authorities have a table of their own, made on first use, their private
keys encrypted at rest by the field cipher and used only through the key custody
(``sign``), so a GM/T 0018 module can take them over without changes here.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from asn1crypto import cms, core, tsp, x509
from asn1crypto import crl as asn1_crl
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

NAMES = ("root", "issuing", "seal_maker", "tsa")
SM3 = sm2_pki.SM3
SM2_SIGNATURE = "1.2.156.10197.1.301.1"  # GM/T 0010: the SM2 signature in SignerInfo.signatureAlgorithm
# The TSA's policy. An example-arc placeholder (X.660 2.999): the district's registered
# policy OID replaces it before the TSA's tokens are relied on outside the platform.
TSA_POLICY = "2.999.86.757.1"
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


def _base() -> str:
    return f"{current_app.config['ISSUER']}/api/v1/esign"


def pointers(issuer: str) -> dict[str, str]:
    """What a certificate issued by the SM2 ``issuer`` (``root`` or ``issuing``) names for
    its status and its issuer: the same addresses as the ECDSA CA's, ``sm2`` in them."""
    return {"crl_url": f"{_base()}/crl/sm2" + ("" if issuer == "issuing" else "/root"),
            "ocsp_url": f"{_base()}/ocsp", "issuer_url": f"{_base()}/ca/sm2-{issuer}.cer"}


def _has_pointers(cert: x509.Certificate) -> bool:
    return cert.crl_distribution_points_value is not None


def ensure() -> dict[str, EsignSm2Authority]:
    """The SM2 authorities, each created on first use (two instances racing: one wins). One
    made before revocation pointers existed is certified again with the same key (what it
    signed still chains), now naming its CRL, the OCSP responder and its issuer."""
    rows = _rows()
    missing = [name for name in NAMES if name not in rows]
    stale = [name for name in NAMES if name != "root" and name in rows
             and not _has_pointers(x509.Certificate.load(rows[name].certificate_der))]
    if not missing and not stale:
        return rows
    now = utcnow().replace(microsecond=0)
    made: dict[str, tuple[x509.Certificate, sm2.SM2PrivateKey]] = {}
    if "root" in rows:
        root, root_key = x509.Certificate.load(rows["root"].certificate_der), _load_key(rows["root"])
    else:
        root_key = sm2.SM2PrivateKey.generate()
        root = sm2_pki.certificate(subject=sm2_pki.name(f"{ORG} SM2 Root CA"), public_der=root_key.public_der(),
                                   issuer=None, sign=_signer(root_key), not_before=now, days=20 * 365, ca=True,
                                   key_usage=("key_cert_sign", "crl_sign"))
        made["root"] = (root, root_key)
    profiles = {
        "issuing": dict(common_name=f"{ORG} SM2 Issuing CA", ca=True, key_usage=("key_cert_sign", "crl_sign")),
        "seal_maker": dict(common_name=f"{ORG} 电子印章制作"),
        "tsa": dict(common_name=f"{ORG} SM2 时间戳服务", extended_key_usage=("time_stamping",)),
    }
    for name in [*missing, *stale]:
        if name == "root":
            continue
        profile = dict(profiles[name])
        key = _load_key(rows[name]) if name in rows else sm2.SM2PrivateKey.generate()
        cert = sm2_pki.certificate(subject=sm2_pki.name(profile.pop("common_name")), public_der=key.public_der(),
                                   issuer=root, sign=_signer(root_key), not_before=now, days=10 * 365,
                                   **pointers("root"), **profile)
        made[name] = (cert, key)
    try:
        with db.unit_of_work("sm2 authorities"):
            for name, (cert, key) in made.items():
                if name in rows:
                    rows[name].certificate_der = cert.dump()
                else:
                    db.session().add(EsignSm2Authority(name=name, certificate_der=cert.dump(),
                                                       private_key=_key_text(key)))
    except IntegrityError:  # another instance made them first: use theirs
        pass
    rows = _rows()
    if len(rows) != len(NAMES):
        raise RuntimeError("the SM2 CA is half made")
    return rows


def _load_key(row: EsignSm2Authority) -> sm2.SM2PrivateKey:
    return sm2.SM2PrivateKey.from_der(bytes.fromhex(row.private_key))


def certificate(name: str) -> x509.Certificate:
    return x509.Certificate.load(ensure()[name].certificate_der)


def _private(name: str) -> sm2.SM2PrivateKey:
    return _load_key(ensure()[name])


def issue(public_der: bytes, common_name: str, *, days: int = 365,
          organization: str | None = None, organization_identifier: str | None = None) -> x509.Certificate:
    """An SM3withSM2 end-entity certificate (citizen, seal holder) from the issuing CA; an
    enterprise's seal certificate names the enterprise as its organisation, and its code;
    every one names the SM2 issuing CA's CRL, the OCSP responder and its issuer."""
    return sm2_pki.certificate(subject=sm2_pki.name(common_name, organization or ORG, organization_identifier),
                               public_der=public_der,
                               issuer=certificate("issuing"), sign=_signer(_private("issuing")),
                               not_before=utcnow().replace(microsecond=0) - timedelta(minutes=1), days=days,
                               **pointers("issuing"))


def revocation_list(revoked: list[tuple], number: int, *, days: int = 7,
                    issuer: str = "issuing") -> asn1_crl.CertificateList:
    """A CRL of the SM2 ``issuer`` (``issuing`` or ``root``), signed through the key custody."""
    now = utcnow().replace(microsecond=0)
    return sm2_pki.revocation_list(issuer=certificate(issuer), sign=_signer(_private(issuer)),
                                   this_update=now - timedelta(minutes=1), next_update=now + timedelta(days=days),
                                   revoked=revoked, number=number)


def sign_as(name: str, data: bytes) -> bytes:
    """An SM2 signature (DER) by the authority ``name`` through the key custody."""
    return _signer(_private(name))(data)


def make_seal(*, es_id: str, name: str, holder_certs: list[bytes], picture_png: bytes, valid_days: int = 3 * 365,
              seal_type: int = gbt38540.SEAL_TYPE_ORGANISATION, width_mm: int = 42,
              height_mm: int = 42, valid_start: datetime | None = None,
              valid_end: datetime | None = None) -> gbt38540.SESSeal:
    """A GB/T 38540 seal made (signed) by the platform's seal maker, valid from ``valid_start``
    (default now) for ``valid_days`` or until ``valid_end``."""
    now = utcnow().replace(microsecond=0)
    start = valid_start.replace(microsecond=0) if valid_start is not None else now
    end = valid_end.replace(microsecond=0) if valid_end is not None else start + timedelta(days=valid_days)
    return gbt38540.make_seal(es_id=es_id, name=name, seal_type=seal_type, signer_certs=holder_certs,
                              picture=picture_png, picture_type="png", width_mm=width_mm, height_mm=height_mm,
                              created=now, valid_start=start, valid_end=end,
                              maker_cert=certificate("seal_maker").dump(), maker_sign=_signer(_private("seal_maker")))


def seal_document(*, seal: gbt38540.SESSeal, document: bytes, property_info: str, holder_cert: bytes,
                  holder_key: sm2.SM2PrivateKey, timestamped: bool = True) -> gbt38540.SESSignature:
    """An SES_Signature by the holder's key, its signature timestamped by the SM2 TSA."""
    return gbt38540.make_signature(seal=seal, document=document, property_info=property_info,
                                   signed_at=utcnow().replace(microsecond=0), signer_cert=holder_cert,
                                   signer_sign=_signer(holder_key), timestamp=timestamp if timestamped else None)


def verify(der: bytes, document: bytes) -> gbt38540.Verification:
    """Our verifier, trusting the platform's SM2 root and issuing CA, and its SM2 TSA."""
    return gbt38540.verify(der, document, anchors=[certificate("root"), certificate("issuing")],
                           distid=current_app.config["SM2_ID"].encode(), check_timestamp=check_timestamp)


# -- RFC 3161 timestamps signed with SM2 (GB/T 20520 profile, GM/T 0010 SignedData) ----------


def _sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def timestamp(message: bytes) -> bytes:
    """An RFC 3161 TimeStampToken (DER ContentInfo) over ``message``: TSTInfo with an SM3
    imprint, in a CMS SignedData whose SignerInfo is SM2 with SM3 over the signed attributes."""
    tsa = certificate("tsa")
    now = utcnow().replace(microsecond=0)
    tst = tsp.TSTInfo({
        "version": "v1", "policy": TSA_POLICY,
        "message_imprint": {"hash_algorithm": {"algorithm": SM3}, "hashed_message": _sm3(message)},
        "serial_number": secrets.randbits(63) + 1, "gen_time": now, "accuracy": {"seconds": 1},
        "ordering": False,
    })
    attrs = cms.CMSAttributes([
        {"type": "content_type", "values": ["tst_info"]},
        {"type": "signing_time", "values": [cms.Time({"utc_time": now})]},
        {"type": "message_digest", "values": [_sm3(tst.dump())]},
        {"type": "signing_certificate_v2", "values": [
            {"certs": [{"hash_algorithm": {"algorithm": SM3}, "cert_hash": _sm3(tsa.dump())}]}]},
    ])
    signature = _signer(_private("tsa"))(attrs.dump())  # CMS: the signature covers the attributes as a SET OF
    signer_info = {
        "version": "v1",
        "sid": {"issuer_and_serial_number": {"issuer": tsa.issuer, "serial_number": tsa.serial_number}},
        "digest_algorithm": {"algorithm": SM3},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": SM2_SIGNATURE},
        "signature": signature,
    }
    signed = cms.SignedData({
        "version": "v3", "digest_algorithms": [{"algorithm": SM3}],
        "encap_content_info": {"content_type": "tst_info", "content": core.ParsableOctetString(tst.dump())},
        "certificates": [tsa], "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def detached_cms(sha256_digest: bytes, *, holder_cert: bytes, holder_key: sm2.SM2PrivateKey) -> bytes:
    """A detached CMS SignedData (DER) by an SM2 certificate over a SHA-256 digest (what the
    detached-signature API signs): ``messageDigest`` is that digest and ``digestAlgorithm``
    SHA-256, the SignerInfo's ``signatureAlgorithm`` SM2 (GM/T 0010) with SM3 and the
    standard identifier over the signed attributes; an SM2 timestamp over the signature is
    its unsigned ``signature-time-stamp-token`` attribute (RFC 3161 appendix A)."""
    cert = x509.Certificate.load(holder_cert)
    now = utcnow().replace(microsecond=0)
    attrs = cms.CMSAttributes([
        {"type": "content_type", "values": ["data"]},
        {"type": "signing_time", "values": [cms.Time({"utc_time": now})]},
        {"type": "message_digest", "values": [sha256_digest]},
        {"type": "signing_certificate_v2", "values": [
            {"certs": [{"hash_algorithm": {"algorithm": SM3}, "cert_hash": _sm3(cert.dump())}]}]},
    ])
    signature = _signer(holder_key)(attrs.dump())
    token = cms.ContentInfo.load(timestamp(signature))
    signer_info = {
        "version": "v1",
        "sid": {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}},
        "digest_algorithm": {"algorithm": "sha256"},
        "signed_attrs": attrs,
        "signature_algorithm": {"algorithm": SM2_SIGNATURE},
        "signature": signature,
        "unsigned_attrs": [{"type": "signature_time_stamp_token", "values": [token]}],
    }
    signed = cms.SignedData({
        "version": "v1", "digest_algorithms": [{"algorithm": "sha256"}],
        "encap_content_info": {"content_type": "data"},
        "certificates": [cert, certificate("issuing")], "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()


def check_timestamp(token: bytes, message: bytes) -> bool:
    """Whether ``token`` is our SM2 TSA's timestamp of ``message``: imprint, message digest,
    the certificate it names, the TSA certificate issued by our root, and the SM2 signature."""
    try:
        info = cms.ContentInfo.load(token, strict=True)
        signed = info["content"]
        content = bytes(signed["encap_content_info"]["content"])
        tst = tsp.TSTInfo.load(content, strict=True)
        [signer] = signed["signer_infos"]
        attrs = {a["type"].native: a["values"][0] for a in signer["signed_attrs"]}
        [cert] = [c.chosen for c in signed["certificates"]]
        tsa_cert = x509.Certificate.load(cert.dump(), strict=True)
    except (ValueError, TypeError, KeyError):
        return False
    imprint = tst["message_imprint"]
    distid = current_app.config["SM2_ID"].encode()
    signed_attrs = cms.CMSAttributes(list(signer["signed_attrs"])).dump()
    return (info["content_type"].native == "signed_data"
            and imprint["hash_algorithm"]["algorithm"].dotted == SM3
            and imprint["hashed_message"].native == _sm3(message)
            and attrs.get("content_type") is not None and attrs["content_type"].native == "tst_info"
            and attrs.get("message_digest") is not None
            and attrs["message_digest"].native == _sm3(content)
            and attrs.get("signing_certificate_v2") is not None
            and attrs["signing_certificate_v2"]["certs"][0]["cert_hash"].native == _sm3(tsa_cert.dump())
            and "time_stamping" in (tsa_cert.extended_key_usage_value.native or [])
            and gbt38540._issued_by(tsa_cert, [certificate("root")], distid)
            and gbt38540._verify_sm2(tsa_cert, signed_attrs, signer["signature"].native, distid))
