"""Signed PDFs checked by pyHanko's own validator, independently of our code."""

from __future__ import annotations

import io

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext


def asn1(cert):
    """A ``cryptography`` certificate as asn1crypto's (what pyHanko takes)."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def pyhanko_statuses(document: bytes, bundle) -> list:
    """Validate every signature with pyHanko, trusting only the root we published."""
    root, *others = bundle
    reader = PdfFileReader(io.BytesIO(document), strict=False)
    statuses = []
    for embedded in reader.embedded_regular_signatures:
        context = ValidationContext(trust_roots=[asn1(root)], other_certs=[asn1(c) for c in others],
                                    allow_fetching=False, revocation_mode="soft-fail")
        statuses.append(validate_pdf_signature(embedded, signer_validation_context=context))
    return statuses
