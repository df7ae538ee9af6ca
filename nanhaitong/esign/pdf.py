"""PDF signing and verification, CMS detached signatures and RFC 3161 tokens, with pyHanko.

Pure functions over bytes and keys: no Flask, no database. The service hands in the
keys and certificates it holds (``KeyPair``) and stores what comes back.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

PDF_MAGIC = b"%PDF-"


class BadPdf(ValueError):
    """The bytes are not a PDF we can work on; ``reason`` says why (not_pdf, corrupt, encrypted)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class KeyPair:
    """A certificate, its private key, and the chain above it (issuer first, root last)."""

    certificate: x509.Certificate
    private_key: object  # cryptography private key
    chain: tuple[x509.Certificate, ...] = ()


@dataclass(frozen=True)
class Stamp:
    """Where a visible signature goes: page (1-based), lower-left x/y, width, height in PDF points."""

    page: int
    x: float
    y: float
    width: float
    height: float


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _asn1_key(key) -> asn1_keys.PrivateKeyInfo:
    return asn1_keys.PrivateKeyInfo.load(key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _signer(pair: KeyPair) -> signers.SimpleSigner:
    return signers.SimpleSigner(
        signing_cert=_asn1_cert(pair.certificate), signing_key=_asn1_key(pair.private_key),
        cert_registry=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in pair.chain]))


def timestamper(tsa: KeyPair) -> DummyTimeStamper:
    """The platform's own RFC 3161 authority: answers requests with tokens signed by the TSA key."""
    return DummyTimeStamper(tsa_cert=_asn1_cert(tsa.certificate), tsa_key=_asn1_key(tsa.private_key),
                            certs_to_embed=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in tsa.chain]))


def timestamp_reply(tsa: KeyPair, query_der: bytes) -> bytes:
    """Answer a DER TimeStampReq (application/timestamp-query) with a DER TimeStampResp."""
    try:
        request = tsp.TimeStampReq.load(query_der)
        request.native  # parse it all now: asn1crypto is lazy  # noqa: B018
        if request["message_imprint"]["hash_algorithm"]["algorithm"].native not in ("sha256", "sha384", "sha512"):
            raise ValueError("unsupported hash algorithm")
    except (ValueError, TypeError, KeyError) as error:
        raise BadPdf("bad_timestamp_query", "Not a DER RFC 3161 TimeStampReq with a SHA-2 imprint.") from error
    return timestamper(tsa).request_tsa_response(request).dump()


def open_pdf(data: bytes) -> PdfFileReader:
    """Parse a PDF, refusing what is not one, is corrupt, or is encrypted."""
    if not data.lstrip()[:5].startswith(PDF_MAGIC):
        raise BadPdf("not_pdf", "The file is not a PDF.")
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        if reader.encrypted:
            raise BadPdf("encrypted", "The PDF is encrypted; upload it without a password.")
        reader.root["/Pages"]  # noqa: B018  (reach the page tree: a broken file fails here)
        reader.root["/Pages"]["/Count"]  # noqa: B018
    except BadPdf:
        raise
    except Exception as error:  # pyHanko raises many kinds for broken files
        raise BadPdf("corrupt", "The PDF is damaged and cannot be read.") from error
    return reader


def page_count(reader: PdfFileReader) -> int:
    return int(reader.root["/Pages"]["/Count"])


def sign_pdf(data: bytes, *, signer: KeyPair, tsa: KeyPair, field_name: str, reason: str | None = None,
             stamp: Stamp | None = None, stamp_text: str | None = None, seal_png: bytes | None = None) -> bytes:
    """Sign as PAdES B-T (signature timestamp by ``tsa``), as an incremental update, so earlier
    signatures stay intact. With ``stamp``, the signature is visible there: the seal image
    (when given) under the text."""
    reader = open_pdf(data)
    if stamp is not None and not 1 <= stamp.page <= page_count(reader):
        raise BadPdf("bad_page", "The PDF has {count} page(s); there is no page {page}.".format(
            count=page_count(reader), page=stamp.page))
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    meta = signers.PdfSignatureMetadata(field_name=field_name, md_algorithm="sha256", reason=reason,
                                        subfilter=fields.SigSeedSubFilter.PADES)
    style, spec = None, None
    if stamp is not None:
        spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=stamp.page - 1,
                                   box=(stamp.x, stamp.y, stamp.x + stamp.width, stamp.y + stamp.height))
        background = None
        if seal_png is not None:
            from PIL import Image

            background = PdfImage(Image.open(io.BytesIO(seal_png)))
        style = TextStampStyle(stamp_text=stamp_text or "Signed %(ts)s", background=background,
                               background_opacity=1.0, border_width=0 if background is not None else 1)
    pdf_signer = signers.PdfSigner(meta, signer=_signer(signer), timestamper=timestamper(tsa), stamp_style=style,
                                   new_field_spec=spec)
    out = io.BytesIO()
    try:
        pdf_signer.sign_pdf(writer, output=out)
    except SigningError as error:  # e.g. a certification signature that allows no more changes
        raise BadPdf("cannot_sign", "The PDF cannot be signed: {reason}".format(reason=error)) from error
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        # A structure open_pdf could read but the writer cannot follow.
        raise BadPdf("corrupt", "The PDF is damaged and cannot be signed.") from error
    return out.getvalue()


def detached_cms(digest: bytes, *, signer: KeyPair, tsa: KeyPair | None = None) -> bytes:
    """A detached CMS SignedData (DER) over a SHA-256 digest: messageDigest is that digest."""
    signed = asyncio.run(_signer(signer).async_sign(
        digest, "sha256", is_pdf_sig=False, timestamper=timestamper(tsa) if tsa else None))
    return signed.dump()


@dataclass
class SignatureReport:
    field_name: str
    signer: str
    certificate_serial: str
    issuer: str
    trusted: bool
    intact: bool
    coverage: str
    modified_after_signing: bool
    signing_time: datetime | None
    timestamp_time: datetime | None
    timestamp_trusted: bool | None


def verify_pdf(data: bytes, *, trust_roots: list[x509.Certificate], other_certs: list[x509.Certificate],
               crls_der: list[bytes]) -> list[tuple[SignatureReport, x509.Certificate]]:
    """Validate every signature of the PDF against our root; each report with its signer's certificate."""
    reader = open_pdf(data)
    try:
        embedded_signatures = list(reader.embedded_signatures)
    except Exception as error:  # a broken form or signature dictionary
        raise BadPdf("corrupt", "The PDF's signatures cannot be read.") from error
    reports = []
    for embedded in embedded_signatures:
        context = ValidationContext(
            trust_roots=[_asn1_cert(c) for c in trust_roots], other_certs=[_asn1_cert(c) for c in other_certs],
            crls=crls_der, allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(embedded, signer_validation_context=context)
            signer_cert = x509.load_der_x509_certificate(embedded.signer_cert.dump())
        except Exception as error:  # a signature too broken to evaluate is a bad signature, not our failure
            raise BadPdf("bad_signature", "A signature in the PDF is malformed and cannot be checked.") from error
        timestamp = status.timestamp_validity
        coverage = status.coverage.name.lower() if status.coverage is not None else "unknown"
        modification = getattr(status, "modification_level", None)
        reports.append((SignatureReport(
            field_name=str(embedded.field_name),
            signer=signer_cert.subject.rfc4514_string(),
            certificate_serial=format(signer_cert.serial_number, "x"),
            issuer=signer_cert.issuer.rfc4514_string(),
            trusted=bool(status.trusted),
            intact=bool(status.intact and status.valid),
            coverage=coverage,
            modified_after_signing=not (status.intact and status.valid) or not status.docmdp_ok or (
                coverage != "entire_file" and modification is not None and modification.name not in (
                    "NONE", "LTA_UPDATES", "FORM_FILLING")),
            signing_time=status.signer_reported_dt,
            timestamp_time=timestamp.timestamp if timestamp is not None else None,
            timestamp_trusted=bool(timestamp.trusted) if timestamp is not None else None,
        ), signer_cert))
    return reports
