"""GB/T 38540-2020 electronic seals (安全电子签章密码技术规范), version 4 structures.

The standard's ASN.1, field for field (asn1crypto classes below; DER on the wire)::

    SES_Seal ::= SEQUENCE {                       -- 电子印章数据
        eSealInfo     SES_SealInfo,
        cert          OCTET STRING,               -- 制章者证书 (DER X.509)
        signAlgID     OBJECT IDENTIFIER,          -- 1.2.156.10197.1.501 SM3withSM2
        signedValue   BIT STRING }                -- 制章者签名值
    SES_SealInfo ::= SEQUENCE {
        header        SES_Header,
        esID          IA5String,                  -- 电子印章标识
        property      SES_ESPropertyInfo,
        picture       SES_ESPictureInfo,
        extDatas      ExtensionDatas OPTIONAL }
    SES_Header ::= SEQUENCE { ID IA5String ("ES"), version INTEGER (4), Vid IA5String }
    SES_ESPropertyInfo ::= SEQUENCE {
        type          INTEGER,                    -- 1 单位印章, 2 个人印章
        name          UTF8String,
        certListType  INTEGER,                    -- 1 certs, 2 certDigestList
        certList      SES_CertList,
        createDate    GeneralizedTime,
        validStart    GeneralizedTime,
        validEnd      GeneralizedTime }
    SES_CertList ::= CHOICE { certs CertInfoList, certDigestList CertDigestList }
    CertInfoList ::= SEQUENCE OF OCTET STRING     -- 签章者证书
    CertDigestList ::= SEQUENCE OF CertDigestObj
    CertDigestObj ::= SEQUENCE { type PrintableString, value OCTET STRING }
    SES_ESPictureInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER }
    ExtensionDatas ::= SEQUENCE OF ExtData
    ExtData ::= SEQUENCE { extnID OBJECT IDENTIFIER, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }

    SES_Signature ::= SEQUENCE {                  -- 电子签章数据
        toSign          TBS_Sign,
        cert            OCTET STRING,             -- 签章者证书
        signatureAlgID  OBJECT IDENTIFIER,
        signature       BIT STRING,               -- 签章者对 toSign 的签名
        timeStamp       [0] BIT STRING OPTIONAL } -- 对 signature 的时间戳 (RFC 3161 TimeStampToken DER)
    TBS_Sign ::= SEQUENCE {
        version        INTEGER,                   -- 4
        eseal          SES_Seal,
        timeInfo       GeneralizedTime,           -- 签章时间
        dataHash       BIT STRING,                -- 原文杂凑值: SM3(document)
        propertyInfo   IA5String,                 -- 原文数据的属性
        extDatas       ExtensionDatas OPTIONAL }

What is signed (SM2 with SM3, distinguishing identifier ``1234567812345678``, signature a
DER ``SM2Signature`` in the BIT STRING):

- the seal's ``signedValue``: the DER of ``SEQUENCE { eSealInfo, cert, signAlgID }``;
- the signature's ``signature``: the DER of ``toSign`` (``TBS_Sign``).

The ``[0]`` of ``timeStamp`` is encoded EXPLICIT. No Flask here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from asn1crypto import core, x509

from ..security import sm2

SM3_WITH_SM2 = "1.2.156.10197.1.501"
VERSION = 4
VENDOR_ID = "NHT"  # Vid: the maker's identifier
SEAL_TYPE_ORGANISATION, SEAL_TYPE_PERSONAL = 1, 2
CERT_LIST_CERTS, CERT_LIST_DIGESTS = 1, 2


class SESHeader(core.Sequence):
    _fields = [("id", core.IA5String), ("version", core.Integer), ("vid", core.IA5String)]


class CertInfoList(core.SequenceOf):
    _child_spec = core.OctetString


class CertDigestObj(core.Sequence):
    _fields = [("type", core.PrintableString), ("value", core.OctetString)]


class CertDigestList(core.SequenceOf):
    _child_spec = CertDigestObj


class SESESPropertyInfo(core.Sequence):
    # certList is a CHOICE of two untagged SEQUENCE OFs: certListType says which, so the
    # field is read as Any and interpreted by cert_list().
    _fields = [
        ("type", core.Integer),
        ("name", core.UTF8String),
        ("cert_list_type", core.Integer),
        ("cert_list", core.Any),
        ("create_date", core.GeneralizedTime),
        ("valid_start", core.GeneralizedTime),
        ("valid_end", core.GeneralizedTime),
    ]

    def cert_list(self) -> CertInfoList | CertDigestList:
        spec = CertInfoList if self["cert_list_type"].native == CERT_LIST_CERTS else CertDigestList
        return spec.load(self["cert_list"].dump(), strict=True)


class SESESPictureInfo(core.Sequence):
    _fields = [("type", core.IA5String), ("data", core.OctetString), ("width", core.Integer),
               ("height", core.Integer)]


class ExtData(core.Sequence):
    _fields = [("extn_id", core.ObjectIdentifier), ("critical", core.Boolean, {"default": False}),
               ("extn_value", core.OctetString)]


class ExtensionDatas(core.SequenceOf):
    _child_spec = ExtData


class SESSealInfo(core.Sequence):
    _fields = [
        ("header", SESHeader),
        ("es_id", core.IA5String),
        ("property", SESESPropertyInfo),
        ("picture", SESESPictureInfo),
        ("ext_datas", ExtensionDatas, {"optional": True}),
    ]


class SESSeal(core.Sequence):
    _fields = [
        ("e_seal_info", SESSealInfo),
        ("cert", core.OctetString),
        ("sign_alg_id", core.ObjectIdentifier),
        ("signed_value", core.OctetBitString),
    ]


class TBSSign(core.Sequence):
    _fields = [
        ("version", core.Integer),
        ("eseal", SESSeal),
        ("time_info", core.GeneralizedTime),
        ("data_hash", core.OctetBitString),
        ("property_info", core.IA5String),
        ("ext_datas", ExtensionDatas, {"optional": True}),
    ]


class SESSignature(core.Sequence):
    _fields = [
        ("to_sign", TBSSign),
        ("cert", core.OctetString),
        ("signature_alg_id", core.ObjectIdentifier),
        ("signature", core.OctetBitString),
        ("time_stamp", core.OctetBitString, {"explicit": 0, "optional": True}),
    ]


class _SealSigned(core.Sequence):
    """What the seal maker signs: SEQUENCE { eSealInfo, cert, signAlgID }."""

    _fields = [("e_seal_info", SESSealInfo), ("cert", core.OctetString), ("sign_alg_id", core.ObjectIdentifier)]


Signer = Callable[[bytes], bytes]


def sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def seal_signed_bytes(seal: SESSeal) -> bytes:
    return _SealSigned({"e_seal_info": seal["e_seal_info"], "cert": seal["cert"],
                        "sign_alg_id": seal["sign_alg_id"]}).dump()


def make_seal(*, es_id: str, name: str, seal_type: int, signer_certs: list[bytes], picture: bytes,
              picture_type: str, width_mm: int, height_mm: int, created: datetime, valid_start: datetime,
              valid_end: datetime, maker_cert: bytes, maker_sign: Signer) -> SESSeal:
    """An SES_Seal signed by the seal maker (the platform CA's seal-making key)."""
    info = SESSealInfo({
        "header": {"id": "ES", "version": VERSION, "vid": VENDOR_ID},
        "es_id": es_id,
        "property": {
            "type": seal_type, "name": name, "cert_list_type": CERT_LIST_CERTS,
            "cert_list": core.Any.load(CertInfoList(signer_certs).dump()),
            "create_date": created, "valid_start": valid_start, "valid_end": valid_end,
        },
        "picture": {"type": picture_type, "data": picture, "width": width_mm, "height": height_mm},
    })
    seal = SESSeal({"e_seal_info": info, "cert": maker_cert, "sign_alg_id": SM3_WITH_SM2,
                    "signed_value": b"\x00"})
    seal["signed_value"] = maker_sign(seal_signed_bytes(seal))
    return SESSeal.load(seal.dump(), strict=True)


def make_signature(*, seal: SESSeal, document: bytes, property_info: str, signed_at: datetime,
                   signer_cert: bytes, signer_sign: Signer,
                   timestamp: Callable[[bytes], bytes] | None = None) -> SESSignature:
    """An SES_Signature over ``document``: SM3 document hash, the seal, the signer's SM2
    signature over TBS_Sign, and (given ``timestamp``) an RFC 3161 token over that signature."""
    tbs = TBSSign({"version": VERSION, "eseal": seal, "time_info": signed_at, "data_hash": sm3(document),
                   "property_info": property_info})
    signature = signer_sign(tbs.dump())
    value = {"to_sign": tbs, "cert": signer_cert, "signature_alg_id": SM3_WITH_SM2, "signature": signature}
    if timestamp is not None:
        value["time_stamp"] = timestamp(signature)
    return SESSignature.load(SESSignature(value).dump(), strict=True)


@dataclass
class Verification:
    valid: bool
    problems: list[str] = field(default_factory=list)
    es_id: str | None = None
    seal_name: str | None = None
    signer: str | None = None
    signed_at: datetime | None = None
    timestamped: bool = False

    def as_dict(self) -> dict:
        return {"valid": self.valid, "problems": self.problems, "es_id": self.es_id, "seal_name": self.seal_name,
                "signer": self.signer, "signed_at": self.signed_at.isoformat() if self.signed_at else None,
                "timestamped": self.timestamped}


def _verify_sm2(cert: x509.Certificate, data: bytes, signature: bytes, distid: bytes) -> bool:
    try:
        return sm2.SM2PublicKey.from_der(cert.public_key.dump()).verify(signature, data, distid=distid)
    except (sm2.SM2Error, ValueError):
        return False


def _issued_by(cert: x509.Certificate, anchors: list[x509.Certificate], distid: bytes) -> bool:
    return any(anchor.subject == cert.issuer and _verify_sm2(anchor, cert["tbs_certificate"].dump(),
                                                             cert["signature_value"].native, distid)
               for anchor in anchors)


def _within(cert: x509.Certificate, when: datetime) -> bool:
    validity = cert["tbs_certificate"]["validity"]
    return validity["not_before"].native <= when <= validity["not_after"].native


def verify(der: bytes, document: bytes, *, anchors: list[x509.Certificate],
           distid: bytes = sm2.DEFAULT_ID,
           check_timestamp: Callable[[bytes, bytes], bool] | None = None) -> Verification:
    """Check an SES_Signature over ``document`` completely:

    structure (DER, version 4, header "ES"), algorithms (SM3withSM2), the document's SM3
    hash, the signer's signature over TBS_Sign, the seal maker's signature over the seal,
    the signer's certificate being one the seal lists, the seal's validity period at the
    signing time, both certificates issued by one of ``anchors`` and valid then, and the
    timestamp (``check_timestamp(token, signature)``) when there is one."""
    try:
        parsed = SESSignature.load(der, strict=True)
        parsed.native  # noqa: B018  (forces the whole structure to parse)
        tbs, seal = parsed["to_sign"], parsed["to_sign"]["eseal"]
        info = seal["e_seal_info"]
        signer_cert = x509.Certificate.load(parsed["cert"].native, strict=True)
        maker_cert = x509.Certificate.load(seal["cert"].native, strict=True)
        certs = info["property"].cert_list()
    except (ValueError, TypeError, KeyError):
        return Verification(False, ["malformed"])
    result = Verification(True, es_id=info["es_id"].native, seal_name=info["property"]["name"].native,
                          signer=signer_cert.subject.native.get("common_name"), signed_at=tbs["time_info"].native)
    problems = result.problems
    if tbs["version"].native != VERSION or info["header"]["id"].native != "ES" or info["header"]["version"].native != VERSION:
        problems.append("unsupported_version")
    if parsed["signature_alg_id"].dotted != SM3_WITH_SM2 or seal["sign_alg_id"].dotted != SM3_WITH_SM2:
        problems.append("unsupported_algorithm")
    if tbs["data_hash"].native != sm3(document):
        problems.append("document_hash_mismatch")
    if not _verify_sm2(signer_cert, tbs.dump(), parsed["signature"].native, distid):
        problems.append("bad_signature")
    if not _verify_sm2(maker_cert, seal_signed_bytes(seal), seal["signed_value"].native, distid):
        problems.append("bad_seal_signature")
    if isinstance(certs, CertInfoList):
        listed = parsed["cert"].native in [c.native for c in certs]
    else:
        listed = any(obj["value"].native == sm3(parsed["cert"].native) for obj in certs)
    if not listed:
        problems.append("signer_not_in_seal")
    prop, when = info["property"], tbs["time_info"].native
    if not prop["valid_start"].native <= when <= prop["valid_end"].native:
        problems.append("seal_not_valid_then")
    for label, cert in (("signer", signer_cert), ("seal_maker", maker_cert)):
        if not _issued_by(cert, anchors, distid):
            problems.append(f"{label}_certificate_untrusted")
        elif not _within(cert, when):
            problems.append(f"{label}_certificate_not_valid_then")
    if parsed["time_stamp"].native is not None:
        result.timestamped = True
        if check_timestamp is None or not check_timestamp(parsed["time_stamp"].native, parsed["signature"].native):
            problems.append("bad_timestamp")
    result.valid = not problems
    return result
