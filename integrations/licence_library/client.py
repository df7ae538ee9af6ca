"""The HTTP client of the e-licence library: pulls a holder's licences and verifies each."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import requests
from cryptography import x509

from integrations.errors import IntegrationError, NonRetryableError, UpstreamRejectedError
from integrations.http import ApiKeyClient, TimeoutSpec

logger = logging.getLogger(__name__)

from integrations.licence_library.catalogue import (
    HOLDER_KINDS,
    HOLDER_MISMATCH,
    ISSUER_EXPIRED,
    MALFORMED,
    UNTRUSTED_ISSUER,
    is_licence_code,
)
from integrations.licence_library.verification import (
    HOLDER_ID_SHAPES,
    LicencePull,
    Refused,
    RefusedLicence,
    VerifiedLicence,
    check_issued_by,
    check_signature,
    load_trust_anchor,
    organization_identifiers,
    parse_certificate,
    signed_bytes,
    verified_licence,
)

HOLDERS_PATH = "/elic/v1/holders"
TRUST_ANCHOR_PATH = "/elic/v1/trust-anchor.pem"
PEM_CONTENT_TYPE = "application/x-pem-file"


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
        if not isinstance(holder_id, str) or not HOLDER_ID_SHAPES[holder_kind].match(holder_id):
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
                raise Refused(MALFORMED)
            licence = entry["licence"]
            code = licence.get("code") if is_licence_code(licence.get("code")) else None
            certificate = parse_certificate(entry.get("issuer_certificate"))
            check_issued_by(certificate, anchor)
            if not all(c.not_valid_before_utc <= now <= c.not_valid_after_utc for c in (certificate, anchor)):
                raise Refused(ISSUER_EXPIRED)
            signed = signed_bytes(licence)
            check_signature(certificate, entry.get("signature"), signed)
            verified = verified_licence(licence, signed, now)
            if verified.issuer_code not in organization_identifiers(certificate):
                raise Refused(UNTRUSTED_ISSUER)
            if verified.holder_kind != holder_kind or verified.holder_id != holder_id:
                raise Refused(HOLDER_MISMATCH)
            return verified
        except Refused as refused:
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

