"""Client of the provincial e-licence library (电子证照库), and the licence catalogue.

Protocol
--------
``GET {base}/elic/v1/holders/{kind}/{holder_id}/licences`` with header ``X-Api-Key``,
``kind`` being ``citizen`` (``holder_id`` a resident identity number) or ``enterprise``
(a unified social credit code), answers ``{"licences": [entry, ...]}``; an unknown
holder is 404 ``{"code": "holder_not_found"}``. Each entry is::

    {"licence": {...}, "signature": "<base64url>", "issuer_certificate": "<PEM>"}

``licence`` is the signed document (see :data:`LICENCE_KEYS`), ``signature`` the
issuer's ECDSA P-256 / SHA-256 signature over :func:`canonical_bytes` of ``licence``,
DER-encoded (``ECDSA-Sig-Value``, RFC 3279, as OpenSSL writes and reads it), then
base64url (padding optional), and ``issuer_certificate`` the issuer's X.509
certificate, issued directly by the library's root CA (the trust anchor).

``GET {base}/elic/v1/trust-anchor.pem`` answers that root CA certificate as PEM.

Verification
------------
:meth:`LicenceLibraryClient.licences_of` verifies every entry before returning it and
sorts the answer into :class:`LicencePull` ``accepted`` and ``refused``. An entry is
accepted only when, in this order:

1. it has the entry shape and its certificate parses (else ``malformed``);
2. the certificate was signed by the trust anchor and names it as issuer, carries
   the ``digitalSignature`` key usage and an EC P-256 key, and is no CA certificate
   (else ``untrusted_issuer``);
3. the certificate, and the anchor, are valid now (else ``issuer_expired``);
4. the signature verifies over the canonical bytes of ``licence`` (else
   ``bad_signature``; a signature that is not base64url is ``malformed``);
5. the signed licence is well formed: a parseable code of a catalogue type whose
   parts agree with ``type_code`` and ``issuer_code``, ISO dates, a known status,
   string fields (else ``malformed``);
6. the licence's ``issuer_code`` is the one in the certificate's subject
   ``organizationIdentifier`` (2.5.4.97): an issuer's key signs only its own licences
   (else ``untrusted_issuer``);
7. the licence belongs to the holder asked about, and its type is one that kind of
   holder holds (else ``holder_mismatch``): a library mix-up never lands someone
   else's licence in a wallet.

Refusals carry the licence code (when it parses; codes hold no personal data, see
:func:`parse_licence_code`) and the reason only, and are logged the same way.

The trust anchor
----------------
Production must pin the anchor: give the root CA certificate to the constructor
(``trust_anchor_pem``; the application reads it from the file named by
``NHT_LICENCE_TRUST_ANCHOR``). Without one the client fetches it once from the
library itself, which only makes sense against the sandbox, whose root CA is made
afresh at every start: trusting whatever anchor the server hands over would let
anyone who can answer in the library's place sign licences.

Licence codes
-------------
See :func:`parse_licence_code`. The catalogue of types is :data:`LICENCE_TYPES`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from types import MappingProxyType
from typing import Any, Mapping
from urllib.parse import quote

import requests
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from integrations.china_time import CHINA_STANDARD_TIME  # noqa: F401  (re-exported for callers)
from integrations.errors import IntegrationError, NonRetryableError, UpstreamRejectedError
from integrations.http import ApiKeyClient, TimeoutSpec

logger = logging.getLogger(__name__)

HOLDERS_PATH = "/elic/v1/holders"
TRUST_ANCHOR_PATH = "/elic/v1/trust-anchor.pem"
PEM_CONTENT_TYPE = "application/x-pem-file"

CITIZEN = "citizen"
ENTERPRISE = "enterprise"
HOLDER_KINDS = (CITIZEN, ENTERPRISE)

# Licence statuses as the library signs them. A "valid" licence whose valid_until has
# passed is reported as "expired" (see VerifiedLicence.status).
STATUSES = ("valid", "revoked", "expired")

# Refusal reasons.
BAD_SIGNATURE = "bad_signature"
UNTRUSTED_ISSUER = "untrusted_issuer"
ISSUER_EXPIRED = "issuer_expired"
MALFORMED = "malformed"
HOLDER_MISMATCH = "holder_mismatch"
REFUSAL_REASONS = (BAD_SIGNATURE, UNTRUSTED_ISSUER, ISSUER_EXPIRED, MALFORMED, HOLDER_MISMATCH)

# Licence validity is stated in dates on China Standard Time (CHINA_STANDARD_TIME).

# -- catalogue ----------------------------------------------------------------------


@dataclass(frozen=True)
class LicenceType:
    """One kind of licence.

    ``fields`` maps each field the licence carries to its printed Chinese label, in
    the order the document shows them; the holder's name is not among them (it is
    the licence's ``holder_name``). ``sensitive_fields`` are masked in responses
    unless the holder asks to reveal them.
    """

    type_code: str
    name: str
    holder_kind: str  # "citizen" | "enterprise"
    fields: Mapping[str, str]
    sensitive_fields: frozenset[str]


def _type(type_code: str, name: str, holder_kind: str, fields: dict[str, str],
          sensitive: tuple[str, ...] = ()) -> LicenceType:
    unknown = set(sensitive) - set(fields)
    if unknown:
        raise ValueError(f"{type_code}: sensitive fields not among its fields: {sorted(unknown)}")
    return LicenceType(type_code, name, holder_kind, MappingProxyType(dict(fields)), frozenset(sensitive))


CATALOGUE: tuple[LicenceType, ...] = (
    _type("resident_id_card", "居民身份证", CITIZEN, {
        "sex": "性别",
        "ethnicity": "民族",
        "birth_date": "出生",
        "address": "住址",
        "id_number": "公民身份号码",
        "issuing_authority": "签发机关",
    }, sensitive=("birth_date", "address", "id_number")),
    _type("driver_licence", "机动车驾驶证", CITIZEN, {
        "licence_number": "证号",
        "sex": "性别",
        "nationality": "国籍",
        "address": "住址",
        "birth_date": "出生日期",
        "first_issue_date": "初次领证日期",
        "vehicle_class": "准驾车型",
        "file_number": "档案编号",
        "issuing_authority": "发证机关",
    }, sensitive=("licence_number", "address", "birth_date", "file_number")),
    _type("household_register", "居民户口簿", CITIZEN, {
        "household_number": "户号",
        "household_type": "户别",
        "head_of_household": "户主姓名",
        "relationship_to_head": "与户主关系",
        "address": "住址",
        "native_place": "籍贯",
        "birth_date": "出生日期",
        "id_number": "公民身份号码",
        "registration_authority": "户口登记机关",
    }, sensitive=("household_number", "head_of_household", "address", "birth_date", "id_number")),
    _type("social_security_card", "社会保障卡", CITIZEN, {
        "social_security_number": "社会保障号码",
        "card_number": "社会保障卡号",
        "card_generation": "卡规格",
        "bank": "开户银行",
        "bank_account": "金融账户",
        "issuing_region": "发卡地",
    }, sensitive=("social_security_number", "card_number", "bank_account")),
    _type("marriage_certificate", "结婚证", CITIZEN, {
        "certificate_number": "结婚证字号",
        "registration_date": "登记日期",
        "id_number": "身份证件号",
        "spouse_name": "配偶姓名",
        "spouse_id_number": "配偶身份证件号",
        "registration_authority": "登记机关",
    }, sensitive=("certificate_number", "id_number", "spouse_name", "spouse_id_number")),
    _type("degree_certificate", "学位证书", CITIZEN, {
        "degree": "学位",
        "major": "学科、专业",
        "university": "学位授予单位",
        "conferred_on": "授予日期",
        "certificate_number": "证书编号",
        "birth_date": "出生日期",
        "id_number": "身份证件号",
    }, sensitive=("certificate_number", "birth_date", "id_number")),
    # Enterprise licences carry what the law makes public (企业信用信息公示): nothing
    # on them is masked.
    _type("business_licence", "营业执照", ENTERPRISE, {
        "uscc": "统一社会信用代码",
        "name": "名称",
        "entity_type": "类型",
        "legal_representative": "法定代表人",
        "registered_capital": "注册资本",
        "established_on": "成立日期",
        "business_term": "营业期限",
        "address": "住所",
        "business_scope": "经营范围",
        "registration_authority": "登记机关",
    }),
    _type("food_business_permit", "食品经营许可证", ENTERPRISE, {
        "permit_number": "许可证编号",
        "operator": "经营者名称",
        "uscc": "社会信用代码",
        "legal_representative": "法定代表人（负责人）",
        "address": "住所",
        "business_premises": "经营场所",
        "business_type": "主体业态",
        "business_items": "经营项目",
        "daily_supervisor": "日常监督管理机构",
        "complaint_hotline": "投诉举报电话",
        "issuing_authority": "发证机关",
    }),
    _type("construction_permit", "建筑工程施工许可证", ENTERPRISE, {
        "permit_number": "编号",
        "construction_unit": "建设单位",
        "project_name": "工程名称",
        "construction_address": "建设地址",
        "scale": "建设规模",
        "contract_price": "合同价格",
        "designer": "设计单位",
        "contractor": "施工单位",
        "supervisor": "监理单位",
        "contract_period": "合同工期",
        "issuing_authority": "发证机关",
    }),
)

LICENCE_TYPES: Mapping[str, LicenceType] = MappingProxyType({t.type_code: t for t in CATALOGUE})


def licence_type(type_code: str) -> LicenceType:
    """The catalogue entry of ``type_code``; ``KeyError`` when there is none."""
    return LICENCE_TYPES[type_code]


# -- licence codes ----------------------------------------------------------------

# Province-level division codes (GB/T 2260), the first two digits of a region code.
_PROVINCES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
})
_ISSUER_CODE = re.compile(r"^([0-9]{6})([A-Z]{2})([0-9]{4})$")
_TYPE_CODE = re.compile(r"^[a-z][a-z_]{1,38}[a-z]$")
_NUMBER = re.compile(r"^([0-9]{4})([0-9]{8})([0-9X])$")
MAX_CODE_LENGTH = 12 + 1 + 40 + 1 + 13


class InvalidLicenceCode(ValueError):
    """A string that is not a licence code. The message never repeats the string."""


@dataclass(frozen=True)
class LicenceCode:
    """The parts of a licence code (see :func:`parse_licence_code`)."""

    code: str
    issuer_code: str
    type_code: str
    number: str

    @property
    def region_code(self) -> str:
        return self.issuer_code[:6]

    @property
    def sector(self) -> str:
        return self.issuer_code[6:8]

    @property
    def issue_year(self) -> int:
        return int(self.number[:4])

    @property
    def serial(self) -> str:
        return self.number[4:12]

    def __str__(self) -> str:
        return self.code


def number_check_char(digits: str) -> str:
    """ISO 7064 MOD 11-2 check character of a string of digits (as GB 11643 uses)."""
    if not digits.isascii() or not digits.isdigit():
        raise ValueError("digits only")
    carry = 0
    for digit in digits:
        carry = (carry + int(digit)) * 2 % 11
    return "0123456789X"[(12 - carry) % 11]


def parse_licence_code(code: str) -> LicenceCode:
    """Split and check a licence code ``<issuer code>-<type code>-<number>``.

    Modelled on the national e-licence identifier (issuer, type, number), in a short
    form of our own:

    - issuer code, 12 characters ``RRRRRRSSNNNN``: the GB/T 2260 division code of the
      issuing authority's level (``440000`` Guangdong province, ``440605`` Nanhai
      district), two capital letters naming its sector (``GA`` 公安, ``SJ`` 市场监管,
      ``JY`` 教育...) and a four-digit unit number, e.g. ``440000GA0001``;
    - type code, a :data:`LICENCE_TYPES` key, e.g. ``resident_id_card``;
    - number, 13 characters assigned by the library: the four-digit year of issue, an
      eight-digit serial and an ISO 7064 MOD 11-2 check character (``0``-``9`` or
      ``X``) over those twelve digits, e.g. ``2015000001027``.

    The number is the library's, never the document's own (which for an ID card is
    the holder's ID number): a code holds no personal data and may be logged.
    Raises :class:`InvalidLicenceCode` (a ``ValueError``) for anything else,
    including a type not in the catalogue.
    """
    if not isinstance(code, str) or not 0 < len(code) <= MAX_CODE_LENGTH:
        raise InvalidLicenceCode("a licence code is a string of at most %d characters" % MAX_CODE_LENGTH)
    parts = code.split("-")
    if len(parts) != 3:
        raise InvalidLicenceCode("a licence code has three parts: issuer-type-number")
    issuer_code, type_code, number = parts
    issuer = _ISSUER_CODE.match(issuer_code)
    if not issuer or issuer.group(1)[:2] not in _PROVINCES or issuer.group(1).endswith("00000"):
        raise InvalidLicenceCode("the issuer code must be a division code, two capitals and four digits")
    if not _TYPE_CODE.match(type_code) or type_code not in LICENCE_TYPES:
        raise InvalidLicenceCode("the type code is not in the licence catalogue")
    parsed = _NUMBER.match(number)
    if not parsed or not 1949 <= int(parsed.group(1)) <= 2199:
        raise InvalidLicenceCode("the number must be a year, an eight-digit serial and a check character")
    if number_check_char(number[:12]) != number[12]:
        raise InvalidLicenceCode("the number's check character is wrong")
    return LicenceCode(code, issuer_code, type_code, number)


def make_licence_code(issuer_code: str, type_code: str, issue_year: int, serial: int) -> str:
    """The licence code for these parts, check character included (issuers and tests)."""
    if not isinstance(serial, int) or not 0 <= serial <= 99_999_999:
        raise ValueError("serial must be 0..99999999")
    digits = f"{issue_year:04d}{serial:08d}"
    return str(parse_licence_code(f"{issuer_code}-{type_code}-{digits}{number_check_char(digits)}"))


def is_licence_code(code: Any) -> bool:
    try:
        parse_licence_code(code)
    except InvalidLicenceCode:
        return False
    return True


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


class _Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_HOLDER_ID_SHAPES = {
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


class LicenceLibraryClient(ApiKeyClient):
    """Pulls a holder's licences from the e-licence library and verifies each one."""

    upstream_name = "licence_library"

    def __init__(self, base_url: str, *, api_key: str, timeout: TimeoutSpec,
                 trust_anchor_pem: bytes | None = None, **kw: Any) -> None:
        super().__init__(base_url, api_key=api_key, timeout=timeout, **kw)
        self._anchor_lock = threading.Lock()
        # Parsed now, so a wrong pinned anchor stops the application at start-up.
        self._anchor: x509.Certificate | None = (
            load_trust_anchor(trust_anchor_pem) if trust_anchor_pem is not None else None
        )

    @property
    def trust_anchor(self) -> x509.Certificate:
        """The pinned root CA, or (sandbox only) the one fetched once from the library."""
        with self._anchor_lock:
            if self._anchor is None:
                self._anchor = self._fetch_trust_anchor()
            return self._anchor

    def licences_of(self, holder_kind: str, holder_id: str, *,
                    now: datetime | None = None) -> LicencePull:
        """Every licence the library holds for this holder, verified.

        ``holder_kind`` is ``"citizen"`` (``holder_id`` a resident identity number) or
        ``"enterprise"`` (a unified social credit code). An unknown holder is an empty
        pull. ``now`` (aware) is for tests of certificate and licence expiry.
        """
        if holder_kind not in HOLDER_KINDS:
            raise ValueError(f"holder_kind must be one of {HOLDER_KINDS}")
        holder_id = holder_id.strip().upper() if isinstance(holder_id, str) else holder_id
        if not isinstance(holder_id, str) or not _HOLDER_ID_SHAPES[holder_kind].match(holder_id):
            raise ValueError("holder_id must be an identity number for a citizen, a USCC for an enterprise")
        now = now or datetime.now(UTC)
        anchor = self.trust_anchor
        path = f"{HOLDERS_PATH}/{holder_kind}/{quote(holder_id, safe='')}/licences"
        try:
            answer = self.request("GET", path)
        except UpstreamRejectedError as refusal:
            if refusal.status == 404 and refusal.upstream_code == "holder_not_found":
                return LicencePull()
            raise _without(refusal, holder_id) from None
        except IntegrationError as failure:
            raise _without(failure, holder_id) from None

        entries = answer.get("licences")
        if not isinstance(entries, list):
            raise NonRetryableError(
                self.upstream, f"{self.upstream}: GET {HOLDERS_PATH}/{holder_kind}/.../licences "
                               "answered without a licences list"
            )
        pull = LicencePull()
        for entry in entries:
            outcome = self.verify_entry(entry, anchor=anchor, holder_kind=holder_kind,
                                        holder_id=holder_id, now=now)
            if isinstance(outcome, VerifiedLicence):
                pull.accepted.append(outcome)
            else:
                logger.warning("%s: refused licence %s: %s", self.upstream, outcome.code or "(no code)",
                               outcome.reason)
                pull.refused.append(outcome)
        return pull

    @staticmethod
    def verify_entry(entry: Any, *, anchor: x509.Certificate, holder_kind: str, holder_id: str,
                     now: datetime) -> VerifiedLicence | RefusedLicence:
        """Verify one library entry for this holder (see the module docstring for the order)."""
        code = None
        try:
            if not isinstance(entry, dict) or not isinstance(entry.get("licence"), dict):
                raise _Refused(MALFORMED)
            licence = entry["licence"]
            code = licence.get("code") if is_licence_code(licence.get("code")) else None
            certificate = _certificate(entry.get("issuer_certificate"))
            _check_issued_by(certificate, anchor)
            if not all(c.not_valid_before_utc <= now <= c.not_valid_after_utc for c in (certificate, anchor)):
                raise _Refused(ISSUER_EXPIRED)
            signed = _signed_bytes(licence)
            _check_signature(certificate, entry.get("signature"), signed)
            verified = _verified(licence, signed, now)
            if verified.issuer_code not in _organization_identifiers(certificate):
                raise _Refused(UNTRUSTED_ISSUER)
            if verified.holder_kind != holder_kind or verified.holder_id != holder_id:
                raise _Refused(HOLDER_MISMATCH)
            return verified
        except _Refused as refused:
            return RefusedLicence(code=code, reason=refused.reason)

    # -- internals -------------------------------------------------------------

    def _fetch_trust_anchor(self) -> x509.Certificate:
        answer = self.request("GET", TRUST_ANCHOR_PATH, headers={"Accept": PEM_CONTENT_TYPE})
        pem = answer.get("pem")
        try:
            return load_trust_anchor(pem if isinstance(pem, str) else "")
        except ValueError:
            raise NonRetryableError(
                self.upstream, f"{self.upstream}: GET {TRUST_ANCHOR_PATH} answered no CA certificate"
            ) from None

    def _interpret(self, response: requests.Response, where: str) -> dict[str, Any]:
        # The trust anchor is PEM, not JSON: hand its text back as {"pem": ...} and let
        # HttpClient map every other answer (errors included) as usual.
        if (200 <= response.status_code < 300
                and response.headers.get("Content-Type", "").startswith(PEM_CONTENT_TYPE)
                and response.request is not None
                and (response.request.path_url or "").endswith(TRUST_ANCHOR_PATH)):
            return {"pem": response.text}
        return super()._interpret(response, where)


def _without(error: IntegrationError, holder_id: str) -> IntegrationError:
    """The error with the holder id (an ID number) taken out of its message.

    HttpClient names the path in its messages, and this upstream's path holds the
    holder id; the messages reach our logs, personal data must not.
    """
    error.message = error.message.replace(holder_id, "{holder_id}")
    error.args = (error.message,)
    return error


def _certificate(pem: Any) -> x509.Certificate:
    if not isinstance(pem, str) or not 0 < len(pem) <= MAX_CERTIFICATE_CHARS or not pem.isascii():
        raise _Refused(MALFORMED)
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError:
        raise _Refused(MALFORMED) from None


def _check_issued_by(certificate: x509.Certificate, anchor: x509.Certificate) -> None:
    try:
        certificate.verify_directly_issued_by(anchor)
    except (ValueError, TypeError, InvalidSignature):
        raise _Refused(UNTRUSTED_ISSUER) from None
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        raise _Refused(UNTRUSTED_ISSUER) from None
    except ValueError:  # a duplicated or unparseable extension
        raise _Refused(MALFORMED) from None
    if not usage.digital_signature:
        raise _Refused(UNTRUSTED_ISSUER)
    try:
        if certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            raise _Refused(UNTRUSTED_ISSUER)  # a CA signs certificates, not licences
    except x509.ExtensionNotFound:
        pass
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise _Refused(UNTRUSTED_ISSUER)


def _organization_identifiers(certificate: x509.Certificate) -> set[str]:
    return {
        str(attribute.value)
        for attribute in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER)
    }


def _signed_bytes(licence: dict[str, Any]) -> bytes:
    try:
        return canonical_bytes(licence)
    except (TypeError, ValueError):  # NaN, or keys that are not strings...
        raise _Refused(MALFORMED) from None


def _check_signature(certificate: x509.Certificate, signature: Any, signed: bytes) -> None:
    if (not isinstance(signature, str) or not 0 < len(signature) <= MAX_SIGNATURE_CHARS
            or not _BASE64URL.match(signature)):
        raise _Refused(MALFORMED)
    try:
        der = base64.urlsafe_b64decode(signature.rstrip("=") + "=" * (-len(signature.rstrip("=")) % 4))
    except (binascii.Error, ValueError):
        raise _Refused(MALFORMED) from None
    key = certificate.public_key()
    assert isinstance(key, ec.EllipticCurvePublicKey)  # checked in _check_issued_by
    try:
        key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise _Refused(BAD_SIGNATURE) from None


def _verified(licence: dict[str, Any], signed: bytes, now: datetime) -> VerifiedLicence:
    """The signed licence as a VerifiedLicence, or _Refused(MALFORMED)."""
    if set(licence) != LICENCE_KEYS:
        raise _Refused(MALFORMED)
    try:
        code = parse_licence_code(licence["code"])
    except InvalidLicenceCode:
        raise _Refused(MALFORMED) from None
    holder, fields = licence["holder"], licence["fields"]
    if (licence["type_code"] != code.type_code or licence["issuer_code"] != code.issuer_code
            or not _text(licence["issuer_name"])
            or not isinstance(holder, dict) or set(holder) != HOLDER_KEYS
            or holder["kind"] not in HOLDER_KINDS or not _text(holder["id"]) or not _text(holder["name"])
            or not isinstance(fields, dict) or not all(_text(k) and isinstance(v, str) for k, v in fields.items())
            or licence["status"] not in STATUSES):
        raise _Refused(MALFORMED)
    valid_from = _iso_date(licence["valid_from"])
    valid_until = None if licence["valid_until"] is None else _iso_date(licence["valid_until"])
    if valid_until is not None and valid_until < valid_from:
        raise _Refused(MALFORMED)
    if LICENCE_TYPES[code.type_code].holder_kind != holder["kind"]:
        raise _Refused(HOLDER_MISMATCH)
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
        raise _Refused(MALFORMED)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _Refused(MALFORMED) from None
