"""Client of the provincial e-licence library (电子证照库), and the licence catalogue.

The package's face: ``catalogue`` (types and codes), ``verification`` (an entry's checks),
``client`` (the HTTP protocol).

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

from integrations.china_time import CHINA_STANDARD_TIME
from integrations.licence_library.catalogue import (
    BAD_SIGNATURE,
    CATALOGUE,
    CITIZEN,
    ENTERPRISE,
    HOLDER_KINDS,
    HOLDER_MISMATCH,
    ISSUER_EXPIRED,
    LICENCE_TYPES,
    MALFORMED,
    MAX_CODE_LENGTH,
    REFUSAL_REASONS,
    STATUSES,
    UNTRUSTED_ISSUER,
    InvalidLicenceCode,
    LicenceCode,
    LicenceType,
    is_licence_code,
    licence_type,
    make_licence_code,
    number_check_char,
    parse_licence_code,
)
from integrations.licence_library.client import (
    HOLDERS_PATH,
    PEM_CONTENT_TYPE,
    TRUST_ANCHOR_PATH,
    LicenceLibraryClient,
)
from integrations.licence_library.verification import (
    HOLDER_KEYS,
    LICENCE_KEYS,
    LicencePull,
    RefusedLicence,
    VerifiedLicence,
    canonical_bytes,
    load_trust_anchor,
)

__all__ = [
    "BAD_SIGNATURE",
    "CATALOGUE",
    "CHINA_STANDARD_TIME",
    "CITIZEN",
    "ENTERPRISE",
    "HOLDERS_PATH",
    "HOLDER_KEYS",
    "HOLDER_KINDS",
    "HOLDER_MISMATCH",
    "ISSUER_EXPIRED",
    "InvalidLicenceCode",
    "LICENCE_KEYS",
    "LICENCE_TYPES",
    "LicenceCode",
    "LicenceLibraryClient",
    "LicencePull",
    "LicenceType",
    "MALFORMED",
    "MAX_CODE_LENGTH",
    "PEM_CONTENT_TYPE",
    "REFUSAL_REASONS",
    "RefusedLicence",
    "STATUSES",
    "TRUST_ANCHOR_PATH",
    "UNTRUSTED_ISSUER",
    "VerifiedLicence",
    "canonical_bytes",
    "is_licence_code",
    "licence_type",
    "load_trust_anchor",
    "make_licence_code",
    "number_check_char",
    "parse_licence_code",
]
