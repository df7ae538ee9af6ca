"""PDF signing and verification, CMS detached signatures and RFC 3161 tokens, with pyHanko.

Pure functions over bytes and keys: no Flask, no database. The service hands in the
keys and certificates it holds (``KeyPair``) and stores what comes back.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields, signers
from pyhanko.sign.general import SigningError, as_signing_certificate, simple_cms_attribute
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash

from .stamp_font import CjkFont

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


class _TimeStamper(DummyTimeStamper):
    """pyHanko's in-process authority, signing with the TSA's key as the caller holds it:
    pyHanko's own loads it again from DER, with OpenSSL's RSA key check, for every token
    (70 ms of CPU each, several per signed PDF). Its signed attributes, unchanged."""

    def __init__(self, tsa: KeyPair):
        super().__init__(tsa_cert=_asn1_cert(tsa.certificate), tsa_key=_asn1_key(tsa.private_key),
                         certs_to_embed=SimpleCertificateStore.from_certs([_asn1_cert(c) for c in tsa.chain]))
        self._private_key = tsa.private_key

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt: datetime):
        digest = hashes.Hash(get_pyca_cryptography_hash(md_algorithm))
        digest.update(tst_info_data)
        signed_attrs = cms.CMSAttributes([
            simple_cms_attribute("content_type", "tst_info"),
            simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
            simple_cms_attribute("signing_certificate", as_signing_certificate(self.tsa_cert)),
            simple_cms_attribute("message_digest", digest.finalize()),
        ])
        signature = self._private_key.sign(signed_attrs.dump(), PKCS1v15(),
                                           get_pyca_cryptography_hash(md_algorithm.upper()))
        return signature, signed_attrs


def timestamper(tsa: KeyPair) -> DummyTimeStamper:
    """The platform's own RFC 3161 authority: answers requests with tokens signed by the TSA key."""
    return _TimeStamper(tsa)


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


def _validation_context(revinfo: Revinfo, moment: datetime | None = None, mode: str = "hard-fail"):
    return ValidationContext(
        trust_roots=[_asn1_cert(c) for c in revinfo.trust_roots], other_certs=[_asn1_cert(c) for c in revinfo.certs],
        crls=list(revinfo.crls_der), ocsps=list(revinfo.ocsps_der), allow_fetching=False, revocation_mode=mode,
        moment=moment)


@dataclass(frozen=True)
class Revinfo:
    """What validation needs without the network: the roots, other certificates, and the
    current CRLs (DER) and OCSP answers (DER) of every certificate in the chains."""

    trust_roots: tuple[x509.Certificate, ...]
    certs: tuple[x509.Certificate, ...] = ()
    crls_der: tuple[bytes, ...] = ()
    ocsps_der: tuple[bytes, ...] = ()


def sign_pdf(data: bytes, *, signer: KeyPair, tsa: KeyPair, field_name: str, reason: str | None = None,
             stamp: Stamp | None = None, stamp_text: str | None = None, seal_png: bytes | None = None,
             revinfo: Revinfo | None = None) -> bytes:
    """Sign as an incremental update, so earlier signatures stay intact: PAdES B-T (signature
    timestamp by ``tsa``), and with ``revinfo`` B-LTA: the chains' certificates, CRLs and OCSP
    answers in the document security store, then a document timestamp over it all. With
    ``stamp``, the signature is visible there: the seal image (when given) under the text,
    set in the embedded CJK font."""
    reader = open_pdf(data)
    if stamp is not None and not 1 <= stamp.page <= page_count(reader):
        raise BadPdf("bad_page", "The PDF has {count} page(s); there is no page {page}.".format(
            count=page_count(reader), page=stamp.page))
    writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    ltv = {}
    if revinfo is not None:
        ltv = {"embed_validation_info": True, "use_pades_lta": True,
               "validation_context": _validation_context(revinfo),
               "timestamp_field_name": f"ArchiveTimestamp-{field_name}"}
    meta = signers.PdfSignatureMetadata(field_name=field_name, md_algorithm="sha256", reason=reason,
                                        subfilter=fields.SigSeedSubFilter.PADES, **ltv)
    style, spec = None, None
    if stamp is not None:
        spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=stamp.page - 1,
                                   box=(stamp.x, stamp.y, stamp.x + stamp.width, stamp.y + stamp.height))
        background = None
        if seal_png is not None:
            from PIL import Image

            background = PdfImage(Image.open(io.BytesIO(seal_png)))
        text = (stamp_text or "Signed %(ts)s")
        style = TextStampStyle(stamp_text=text, text_box_style=TextBoxStyle(font=CjkFont()), background=background,
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


def add_archive_timestamp(data: bytes, *, tsa: KeyPair, revinfo: Revinfo) -> bytes:
    """PAdES B-LTA renewal: add the validation data of the newest document timestamp to the
    DSS, then a new document timestamp over everything (an incremental update)."""
    reader = open_pdf(data)
    out = io.BytesIO()
    signers.PdfTimeStamper(timestamper(tsa)).update_archival_timestamp_chain(
        reader, _validation_context(revinfo), in_place=False, output=out)
    return out.getvalue()


SM2_SIGNATURE = "1.2.156.10197.1.301.1"


def archive_until(data: bytes) -> datetime | None:
    """When the newest timestamp's TSA certificate ends (document timestamp, else signature
    timestamp): before then, the document needs a new archive timestamp."""
    reader = open_pdf(data)
    newest = None
    for embedded in reader.embedded_signatures:
        if embedded.sig_object_type == "/DocTimeStamp":
            if embedded.signer_info["signature_algorithm"]["algorithm"].dotted == SM2_SIGNATURE:
                continue  # an SM2 document timestamp (national suite): esign/ses_ltv.py
            cert = embedded.signer_cert
        else:
            token = _signature_token(embedded)
            if token is None:
                continue
            cert = _token_signer(token)
        if cert is not None:
            newest = cert.not_valid_after  # the last one wins: signatures come in file order
    return newest


def _signature_token(embedded):
    """The signature's RFC 3161 token (SignedData), from its unsigned attributes."""
    attrs = embedded.signer_info["unsigned_attrs"]
    if not attrs:
        return None
    for attr in attrs:
        if attr["type"].native == "signature_time_stamp_token":
            return attr["values"][0]["content"]
    return None


def _token_signer(signed_data):
    sid = signed_data["signer_infos"][0]["sid"]
    for choice in signed_data["certificates"]:
        cert = choice.chosen
        if sid.name == "issuer_and_serial_number" and cert.serial_number == sid.chosen["serial_number"].native:
            return cert
    return None


def detached_cms(digest: bytes, *, signer: KeyPair, tsa: KeyPair | None = None) -> bytes:
    """A detached CMS SignedData (DER) over a SHA-256 digest: messageDigest is that digest."""
    signed = asyncio.run(_signer(signer).async_sign(
        digest, "sha256", is_pdf_sig=False, timestamper=timestamper(tsa) if tsa else None))
    return signed.dump()


@dataclass
class SignatureReport:
    field_name: str
    signer: str
    signer_name: str | None
    certificate_serial: str
    issuer: str
    trusted: bool
    intact: bool
    coverage: str
    modified_after_signing: bool
    signing_time: datetime | None
    timestamp_time: datetime | None
    timestamp_trusted: bool | None
    document_timestamp_time: datetime | None  # the earliest trusted document timestamp covering it
    dss: bool  # the file has a document security store with revocation data
    dss_has_signer_revinfo: bool  # ... with a CRL or OCSP answer of the signer's issuer


def _common_name(cert: x509.Certificate) -> str | None:
    names = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def _dss_summary(reader: PdfFileReader) -> tuple[bool, set[str]]:
    """Whether there is a DSS with revocation data, and the CRL issuers (RFC 4514) it holds."""
    try:
        dss = DocumentSecurityStore.read_dss(reader)
    except Exception:  # no /DSS (NoDSSFoundError) or a broken one  # noqa: BLE001
        return False, set()
    issuers = set()
    for ref in dss.crls:
        try:
            issuers.add(x509.load_der_x509_crl(ref.get_object().data).issuer.rfc4514_string())
        except (ValueError, AttributeError):
            continue
    return bool(dss.crls or dss.ocsps), issuers


def verify_pdf(data: bytes, *, trust_roots: list[x509.Certificate], other_certs: list[x509.Certificate],
               crls_der: list[bytes] | None = None) -> list[tuple[SignatureReport, x509.Certificate]]:
    """Check every signature of the PDF against our root; each report with its signer's
    certificate. The chain is judged at the signature's trusted time (its timestamp, else a
    document timestamp over it, else now); revocation is left to the caller, who knows the
    reasons and dates, so a certificate revoked after signing does not make the chain untrusted."""
    reader = open_pdf(data)
    try:
        embedded_signatures = list(reader.embedded_regular_signatures)
        timestamps = list(reader.embedded_timestamp_signatures)
    except Exception as error:  # a broken form or signature dictionary
        raise BadPdf("corrupt", "The PDF's signatures cannot be read.") from error
    revinfo = Revinfo(trust_roots=tuple(trust_roots), certs=tuple(other_certs))
    doc_times = []  # (signed revision, time) of the trusted document timestamps
    for embedded in timestamps:
        try:
            status = validate_pdf_timestamp(embedded, validation_context=_validation_context(revinfo, mode="soft-fail"))
        except Exception:  # noqa: BLE001  (an unreadable timestamp proves nothing)
            continue
        if status.intact and status.valid and status.trusted:
            doc_times.append((embedded.signed_revision, status.timestamp))
    has_dss, crl_issuers = _dss_summary(reader)
    reports = []
    for embedded in embedded_signatures:
        try:
            status = validate_pdf_signature(embedded, signer_validation_context=_validation_context(revinfo,
                                                                                                  mode="soft-fail"))
            signer_cert = x509.load_der_x509_certificate(embedded.signer_cert.dump())
            timestamp = status.timestamp_validity
            covering = [when for revision, when in doc_times if revision >= embedded.signed_revision]
            doc_time = min(covering) if covering else None
            moment = (timestamp.timestamp if timestamp is not None and timestamp.trusted else doc_time)
            trusted = bool(status.trusted)
            if not trusted and moment is not None:
                # Untrusted now (e.g. the certificate has since expired): was it at the trusted time?
                again = validate_pdf_signature(embedded, signer_validation_context=_validation_context(
                    revinfo, moment=moment, mode="soft-fail"))
                trusted = bool(again.trusted)
        except Exception as error:  # a signature too broken to evaluate is a bad signature, not our failure
            raise BadPdf("bad_signature", "A signature in the PDF is malformed and cannot be checked.") from error
        coverage = status.coverage.name.lower() if status.coverage is not None else "unknown"
        modification = getattr(status, "modification_level", None)
        reports.append((SignatureReport(
            field_name=str(embedded.field_name),
            signer=signer_cert.subject.rfc4514_string(),
            signer_name=_common_name(signer_cert),
            certificate_serial=format(signer_cert.serial_number, "x"),
            issuer=signer_cert.issuer.rfc4514_string(),
            trusted=trusted,
            intact=bool(status.intact and status.valid),
            coverage=coverage,
            modified_after_signing=not (status.intact and status.valid) or not status.docmdp_ok or (
                coverage != "entire_file" and modification is not None and modification.name not in (
                    "NONE", "LTA_UPDATES", "FORM_FILLING")),
            signing_time=status.signer_reported_dt,
            timestamp_time=timestamp.timestamp if timestamp is not None else None,
            timestamp_trusted=bool(timestamp.trusted) if timestamp is not None else None,
            document_timestamp_time=doc_time,
            dss=has_dss,
            dss_has_signer_revinfo=signer_cert.issuer.rfc4514_string() in crl_issuers,
        ), signer_cert))
    return reports
