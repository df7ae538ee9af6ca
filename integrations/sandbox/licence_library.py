"""E-licence library (电子证照库) simulator: holders' licences, signed by their issuers.

At start-up the simulator makes, with ``cryptography`` and in memory only, a root CA
(the trust anchor) and one certificate per demo issuer (:data:`licence_data.ISSUERS`),
each with its own EC P-256 key; then it signs every demo licence with its issuer's
key, as :mod:`integrations.licence_library` describes. A new start means new keys:
nothing is written anywhere.

- ``GET /elic/v1/holders/<citizen|enterprise>/<holder_id>/licences`` (``X-Api-Key``):
  ``{"licences": [{"licence", "signature", "issuer_certificate"}, ...]}``; 404
  ``holder_not_found`` for anyone else, 400 ``invalid_holder_id`` for a malformed id.
- ``GET /elic/v1/trust-anchor.pem`` (no key): the root CA certificate.

Control, for tests (no key):

- ``POST /_control/licences/<code>`` ``{"status"?, "valid_from"?, "valid_until"?,
  "fields"?, "sign"?}``: change the licence (``fields`` are merged in) and have its
  issuer sign it again, or with ``"sign": false`` leave the old signature on the
  changed licence (a tampered entry). Answers the new entry.
- ``DELETE /_control/licences/<code>``: the library stops listing the licence.
- ``POST /_control/reset`` (the sandbox's) restores the demo licences as signed at start-up.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import re
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations.china_time import china_today
from integrations.licence_library import (
    HOLDERS_PATH,
    LICENCE_TYPES,
    PEM_CONTENT_TYPE,
    STATUSES,
    TRUST_ANCHOR_PATH,
    canonical_bytes,
)
from integrations.sandbox.base import SandboxError, Simulator, json_response, mask, read_json_object
from integrations.sandbox.licence_data import (
    EXPIRING_CODE,
    ISSUERS,
    LICENCES,
    REVOKED_CODE,
    TAMPERED_CODE,
    DemoIssuer,
    DemoLicence,
)

_HOLDER_ID = {
    "citizen": re.compile(r"^[0-9]{17}[0-9X]$"),
    "enterprise": re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{18}$"),
}
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_CONTROL_KEYS = frozenset({"status", "valid_from", "valid_until", "fields", "sign"})
MAX_FIELD_CHARS = 512

ROOT_NAME = x509.Name([
    x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "广东省政务服务和数据管理局"),
    x509.NameAttribute(NameOID.COMMON_NAME, "广东省电子证照根CA（沙箱）"),
])
CA_YEARS = 10
ISSUER_YEARS = 3


class CertificateAuthority:
    """The sandbox's root CA and its issuers' keys and certificates, made in memory."""

    def __init__(self, issuers: tuple[DemoIssuer, ...], *, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        self._key = ec.generate_private_key(ec.SECP256R1())
        self.certificate = (
            _builder(ROOT_NAME, ROOT_NAME, self._key.public_key(), now, CA_YEARS)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
            .sign(self._key, hashes.SHA256())
        )
        self.issuer_keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self.issuer_pems: dict[str, str] = {}
        for issuer in issuers:
            key = ec.generate_private_key(ec.SECP256R1())
            self.issuer_keys[issuer.code] = key
            self.issuer_pems[issuer.code] = self.issue(issuer, key.public_key(), now=now).public_bytes(
                serialization.Encoding.PEM).decode("ascii")

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def issue(self, issuer: DemoIssuer, public_key: ec.EllipticCurvePublicKey, *, now: datetime,
              years: int = ISSUER_YEARS) -> x509.Certificate:
        """An issuer certificate signed by this CA (tests use it for odd certificates too)."""
        subject = x509.Name([
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, issuer.name),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, issuer.code),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{issuer.name}签章"),
        ])
        return (
            _builder(subject, ROOT_NAME, public_key, now, years)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key()),
                           critical=False)
            .sign(self._key, hashes.SHA256())
        )

    def sign(self, issuer_code: str, licence: dict[str, Any]) -> str:
        """The issuer's signature of ``licence``: DER ECDSA P-256/SHA-256, base64url, no padding."""
        der = self.issuer_keys[issuer_code].sign(canonical_bytes(licence), ec.ECDSA(hashes.SHA256()))
        return base64.urlsafe_b64encode(der).rstrip(b"=").decode("ascii")


def _builder(subject: x509.Name, issuer: x509.Name, public_key: Any, now: datetime,
             years: int) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(**granted: bool) -> x509.KeyUsage:
    usages = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
         "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"), False)
    usages.update(granted)
    return x509.KeyUsage(**usages)


def licence_document(demo: DemoLicence, today: date) -> dict[str, Any]:
    """The licence as its issuer signs it (see integrations.licence_library.LICENCE_KEYS)."""
    valid_from, valid_until = demo.validity(today)
    return {
        "code": demo.code,
        "type_code": demo.type_code,
        "issuer_code": demo.issuer.code,
        "issuer_name": demo.issuer.name,
        "holder": {"kind": demo.holder_kind, "id": demo.holder_id, "name": demo.holder_name},
        "fields": dict(demo.fields),
        "valid_from": valid_from,
        "valid_until": valid_until,
        "status": demo.status,
    }


class LicenceLibrarySimulator(Simulator):
    name = "licence_library"
    default_api_key = "sandbox-elic-key"

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        self.started_on = china_today()
        self.ca, self._initial = self.signed_library(self.started_on)
        self._entries: dict[str, dict[str, Any]] = {}
        self.reset()

    @staticmethod
    def signed_library(today: date) -> tuple[CertificateAuthority, dict[str, dict[str, Any]]]:
        """A new CA, and the demo licences as of ``today`` signed under it (never changed
        afterwards: ``reset`` copies them)."""
        ca = CertificateAuthority(ISSUERS)
        initial: dict[str, dict[str, Any]] = {}
        for demo in LICENCES:
            licence = licence_document(demo, today)
            entry = {
                "licence": licence,
                "signature": ca.sign(demo.issuer.code, licence),
                "issuer_certificate": ca.issuer_pems[demo.issuer.code],
            }
            if demo.tampered_fields:
                entry["licence"] = {**licence, "fields": {**licence["fields"], **demo.tampered_fields}}
            initial[demo.code] = entry
        return ca, initial

    def rules(self) -> list[Rule]:
        return [
            Rule(f"{HOLDERS_PATH}/<any(citizen, enterprise):kind>/<holder_id>/licences",
                 methods=["GET"], endpoint=self.holder_licences),
            Rule(TRUST_ANCHOR_PATH, methods=["GET"], endpoint=self.trust_anchor),
            Rule("/_control/licences/<code>", methods=["POST"], endpoint=self.change_licence),
            Rule("/_control/licences/<code>", methods=["DELETE"], endpoint=self.drop_licence),
        ]

    def reset(self) -> None:
        with self._lock:
            self._entries = copy.deepcopy(self._initial)

    def demo(self, script_root: str) -> dict[str, Any]:
        holders: dict[tuple[str, str], dict[str, Any]] = {}
        for demo in LICENCES:
            holder = holders.setdefault((demo.holder_kind, demo.holder_id), {
                "kind": demo.holder_kind, "holder_id": demo.holder_id, "name": demo.holder_name,
                "licences": [],
            })
            licence = self._initial[demo.code]["licence"]
            listed = {
                "code": demo.code,
                "type_code": demo.type_code,
                "type_name": LICENCE_TYPES[demo.type_code].name,
                "issuer": demo.issuer.name,
                "status": licence["status"],
                "valid_until": licence["valid_until"],
            }
            if demo.note:
                listed["note"] = demo.note
            holder["licences"].append(listed)
        tampered = next(d for d in LICENCES if d.code == TAMPERED_CODE)
        return {
            "api_key_hint": mask(self.api_key),
            "licences": f"GET {script_root}{HOLDERS_PATH}/<citizen|enterprise>/<id_number|uscc>/licences",
            "trust_anchor": f"GET {script_root}{TRUST_ANCHOR_PATH}",
            "trust_anchor_sha256": hashlib.sha256(
                self.ca.certificate.public_bytes(serialization.Encoding.DER)).hexdigest(),
            "signature": "ECDSA P-256 SHA-256 over the licence as sorted compact UTF-8 JSON, "
                         "DER-encoded, base64url",
            "issuers": [
                {"code": issuer.code, "name": issuer.name,
                 "types": sorted({d.type_code for d in LICENCES if d.issuer == issuer})}
                for issuer in ISSUERS
            ],
            "holders": list(holders.values()),
            "tampered": {"code": TAMPERED_CODE, "holder_id": tampered.holder_id,
                         "holder_name": tampered.holder_name, "what": tampered.note,
                         "expected_refusal": "bad_signature"},
            "expiring": EXPIRING_CODE,
            "revoked": REVOKED_CODE,
            "control": {
                "change": {"method": "POST", "path": f"{script_root}/_control/licences/<code>",
                           "body": {"status": "revoked"},
                           "keys": "status, valid_from, valid_until (ISO date or null), fields "
                                   "(merged in), sign (default true: the issuer signs again; "
                                   "false leaves the old signature: a tampered entry)"},
                "drop": {"method": "DELETE", "path": f"{script_root}/_control/licences/<code>"},
                "reset": "POST /_control/reset restores the demo licences",
                "api_key": "not needed",
            },
        }

    # -- endpoints ---------------------------------------------------------------

    def holder_licences(self, request: Request, kind: str, holder_id: str) -> Response:
        self.require_api_key(request)
        if not _HOLDER_ID[kind].match(holder_id):
            # Never echo the id: it may be someone's ID number.
            raise SandboxError(400, "invalid_holder_id",
                               "holder_id must be an identity number or a unified social credit code")
        with self._lock:
            entries = [
                copy.deepcopy(entry) for entry in self._entries.values()
                if entry["licence"]["holder"]["kind"] == kind and entry["licence"]["holder"]["id"] == holder_id
            ]
        if not entries:
            raise SandboxError(404, "holder_not_found", "the library holds no licence for this holder")
        return json_response({"licences": entries})

    def trust_anchor(self, request: Request) -> Response:
        return Response(self.ca.pem, content_type=PEM_CONTENT_TYPE)

    def change_licence(self, request: Request, code: str) -> Response:
        body = read_json_object(request)
        unknown = set(body) - _CONTROL_KEYS
        if unknown or not set(body) - {"sign"}:
            raise SandboxError(400, "invalid_change",
                               f"give one or more of {sorted(_CONTROL_KEYS - {'sign'})}, nothing else")
        sign = body.get("sign", True)
        if not isinstance(sign, bool):
            raise SandboxError(400, "invalid_change", "sign must be true or false")
        with self._lock:
            entry = self._entries.get(code)
            if entry is None:
                raise SandboxError(404, "licence_not_found", "the library holds no licence with this code")
            licence = _changed(entry["licence"], body)
            entry["licence"] = licence
            if sign:
                entry["signature"] = self.ca.sign(licence["issuer_code"], licence)
            return json_response(copy.deepcopy(entry))

    def drop_licence(self, request: Request, code: str) -> Response:
        with self._lock:
            if self._entries.pop(code, None) is None:
                raise SandboxError(404, "licence_not_found", "the library holds no licence with this code")
        return Response(status=204)


def _changed(licence: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    licence = copy.deepcopy(licence)
    if "status" in body:
        if body["status"] not in STATUSES:
            raise SandboxError(400, "invalid_change", f"status must be one of {list(STATUSES)}")
        licence["status"] = body["status"]
    for key in ("valid_from", "valid_until"):
        if key in body:
            value = body[key]
            if value is None and key == "valid_until":
                licence[key] = None
                continue
            if not isinstance(value, str) or not _ISO_DATE.match(value) or not _is_date(value):
                raise SandboxError(400, "invalid_change", f"{key} must be an ISO date"
                                   + (" or null" if key == "valid_until" else ""))
            licence[key] = value
    if "fields" in body:
        fields = body["fields"]
        if not isinstance(fields, dict) or not all(
            isinstance(k, str) and k and isinstance(v, str) and len(v) <= MAX_FIELD_CHARS
            for k, v in fields.items()
        ):
            raise SandboxError(400, "invalid_change", "fields must map names to strings")
        licence["fields"] = {**licence["fields"], **fields}
    return licence


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True
