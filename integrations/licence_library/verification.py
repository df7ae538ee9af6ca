"""Verifying a signed licence entry against the trust anchor (steps 1-7 of the package doc)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from integrations.china_time import CHINA_STANDARD_TIME
from integrations.licence_library.catalogue import (
    BAD_SIGNATURE,
    CITIZEN,
    ENTERPRISE,
    HOLDER_KINDS,
    HOLDER_MISMATCH,
    LICENCE_TYPES,
    MALFORMED,
    STATUSES,
    UNTRUSTED_ISSUER,
    InvalidLicenceCode,
    LicenceType,
    parse_licence_code,
)

# -- signed licences ---------------------------------------------------------------

# The keys of a signed licence document; all are required (valid_until may be null,
# meaning 长期, no expiry), no other key is allowed.
LICENCE_KEYS = frozenset({
    "code", "type_code", "issuer_code", "issuer_name", "holder",
    "fields", "valid_from", "valid_until", "status",
})
HOLDER_KEYS = frozenset({"kind", "id", "name"})


def canonical_bytes(licence: Mapping[str, Any]) -> bytes:
    """The bytes an issuer signs: the licence as compact, key-sorted UTF-8 JSON."""
    return json.dumps(
        licence, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


@dataclass(frozen=True)
class VerifiedLicence:
    """A licence whose issuer signature verified against a trusted issuer certificate.

    Dates are ISO dates (China Standard Time); ``valid_until`` is ``None`` for a
    licence without expiry (长期). ``status`` is the signed status, except that a
    ``valid`` licence whose ``valid_until`` has passed is ``expired``.
    ``digest`` is the SHA-256 (hex) of the signed bytes: it changes exactly when the
    signed content does. Personal data stays out of ``repr``.
    """

    code: str
    type_code: str
    issuer_code: str
    issuer_name: str
    number: str
    holder_name: str = field(repr=False)
    holder_id: str = field(repr=False)
    fields: dict[str, str] = field(repr=False)
    valid_from: str
    valid_until: str | None
    status: str
    digest: str

    @property
    def licence_type(self) -> LicenceType:
        return LICENCE_TYPES[self.type_code]

    @property
    def holder_kind(self) -> str:
        return self.licence_type.holder_kind


@dataclass(frozen=True)
class RefusedLicence:
    """An entry that did not verify: its code when that parsed, and why. Nothing else."""

    code: str | None
    reason: str  # one of REFUSAL_REASONS


@dataclass(frozen=True)
class LicencePull:
    """What the library holds for one holder, sorted by verification."""

    accepted: list[VerifiedLicence] = field(default_factory=list)
    refused: list[RefusedLicence] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.accepted or self.refused)


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


HOLDER_ID_SHAPES = {
    # Shapes only, to keep the id a single safe path segment; callers check the
    # check characters (schemas.identity_numbers) before asking.
    CITIZEN: re.compile(r"^[0-9]{17}[0-9X]$"),
    ENTERPRISE: re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{18}$"),
}
_BASE64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_SIGNATURE_CHARS = 200  # a DER P-256 signature is at most 72 bytes
MAX_CERTIFICATE_CHARS = 16_384


def load_trust_anchor(pem: bytes | str) -> x509.Certificate:
    """Parse a root CA certificate; ``ValueError`` unless it is a CA certificate."""
    if isinstance(pem, str):
        pem = pem.encode("ascii", "strict")
    anchor = x509.load_pem_x509_certificate(pem)
    try:
        constraints = anchor.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        raise ValueError("the trust anchor has no basicConstraints: not a CA certificate") from None
    if not constraints.ca:
        raise ValueError("the trust anchor is not a CA certificate")
    return anchor



def parse_certificate(pem: Any) -> x509.Certificate:
    if not isinstance(pem, str) or not 0 < len(pem) <= MAX_CERTIFICATE_CHARS or not pem.isascii():
        raise Refused(MALFORMED)
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError:
        raise Refused(MALFORMED) from None


def check_issued_by(certificate: x509.Certificate, anchor: x509.Certificate) -> None:
    try:
        certificate.verify_directly_issued_by(anchor)
    except (ValueError, TypeError, InvalidSignature):
        raise Refused(UNTRUSTED_ISSUER) from None
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise Refused(UNTRUSTED_ISSUER) from None
    except ValueError:  # a duplicated or unparseable extension
        raise Refused(MALFORMED) from None
    if not usage.digital_signature:
        raise Refused(UNTRUSTED_ISSUER)
    try:
        if certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise Refused(UNTRUSTED_ISSUER)  # a CA signs certificates, not licences
    except x509.ExtensionNotFound:
        pass
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise Refused(UNTRUSTED_ISSUER)


def organization_identifiers(certificate: x509.Certificate) -> set[str]:
    return {
        str(attribute.value)
        for attribute in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    }


def signed_bytes(licence: dict[str, Any]) -> bytes:
    try:
        return canonical_bytes(licence)
    except (TypeError, ValueError):  # NaN, or keys that are not strings...
        raise Refused(MALFORMED) from None


def check_signature(certificate: x509.Certificate, signature: Any, signed: bytes) -> None:
    if (not isinstance(signature, str) or not 0 < len(signature) <= MAX_SIGNATURE_CHARS
            or not _BASE64URL.match(signature)):
        raise Refused(MALFORMED)
    try:
        der = base64.urlsafe_b64decode(signature.rstrip("=") + "=" * (-len(signature.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise Refused(MALFORMED) from None
    key = certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)  # checked in check_issued_by
    try:
        key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Refused(BAD_SIGNATURE) from None


def verified_licence(licence: dict[str, Any], signed: bytes, now: datetime) -> VerifiedLicence:
    """The signed licence as a VerifiedLicence, or Refused(MALFORMED)."""
    if set(licence) != LICENCE_KEYS:
        raise Refused(MALFORMED)
    try:
        code = parse_licence_code(licence["code"])
    except InvalidLicenceCode:
        raise Refused(MALFORMED) from None
    holder, fields = licence["holder"], licence["fields"]
    if (licence["type_code"] != code.type_code or licence["issuer_code"] != code.issuer_code
            or not _text(licence["issuer_name"])
            or not isinstance(holder, dict) or set(holder) != HOLDER_KEYS
            or holder["kind"] not in HOLDER_KINDS or not _text(holder["id"]) or not _text(holder["name"])
            or not isinstance(fields, dict) or not all(_text(k) and isinstance(v, str) for k, v in fields.items())
            or licence["status"] not in STATUSES):
        raise Refused(MALFORMED)
    valid_from = _iso_date(licence["valid_from"])
    valid_until = None if licence["valid_until"] is None else _iso_date(licence["valid_until"])
    if valid_until is not None and valid_until < valid_from:
        raise Refused(MALFORMED)
    if LICENCE_TYPES[code.type_code].holder_kind != holder["kind"]:
        raise Refused(HOLDER_MISMATCH)
    status = licence["status"]
    today = now.astimezone(CHINA_STANDARD_TIME).date()
    if status == "valid" and valid_until is not None and valid_until < today:
        status = "expired"
    return VerifiedLicence(
        code=code.code,
        type_code=code.type_code,
        issuer_code=code.issuer_code,
        issuer_name=licence["issuer_name"],
        number=code.number,
        holder_name=holder["name"],
        holder_id=holder["id"],
        fields=dict(fields),
        valid_from=valid_from.isoformat(),
        valid_until=valid_until.isoformat() if valid_until else None,
        status=status,
        digest=hashlib.sha256(signed).hexdigest(),
    )


def _text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 512


def _iso_date(value: Any) -> date:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise Refused(MALFORMED)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise Refused(MALFORMED) from None
