"""Long-term validation for PDFs sealed under the national suite: the PAdES B-LTA structure
(ETSI EN 319 142-1) with SM2 contents.

What PAdES B-LTA adds after a signature, done the same way for GB/T 38540 seal signatures:

- a document security store (``/DSS``, ISO 32000-2 12.8.4.3) with the certificates of the
  chains (the holder's, the SM2 issuing CA, the SM2 root, the seal maker, the SM2 TSA) and
  the SM2 CRLs (SM3withSM2), and a ``/VRI`` entry for the seal signature;
- a document timestamp (``/Type /DocTimeStamp``, ``/SubFilter /ETSI.RFC3161``) whose
  ``/Contents`` is an RFC 3161 token of the SM2 TSA (SM3 imprint of the bytes its
  ``/ByteRange`` covers, CMS SignedData signed SM2 with SM3).

Renewal (the archive job) is the same pair again: the DSS takes the current CRLs and the
TSA certificate, and a new document timestamp covers everything. Both are incremental
updates, so every earlier signature stays intact (pyHanko's difference analysis calls them
LTA updates). Pure functions over bytes: the caller passes the DER and a ``make_token``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import cms, crl, tsp, x509
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.sign import fields
from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigIOSetup, SigObjSetup
from pyhanko.sign.signers.pdf_byterange import DocumentTimestamp
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.pdf_embedded import extract_contents

from .pdf import BadPdf, open_pdf

SM2_SIGNATURE = "1.2.156.10197.1.301.1"
TOKEN_RESERVE = 8192


def add_validation_data(data: bytes, *, signature_der: bytes | None, certs: list[bytes], crls: list[bytes]) -> bytes:
    """Add (or extend) the DSS with the SM2 certificates and CRLs, DER, as an incremental
    update; ``signature_der`` (the SES_Signature) gets its ``/VRI`` entry."""
    out = io.BytesIO(data)
    try:
        DocumentSecurityStore.add_dss(out, signature_der, certs=[x509.Certificate.load(c) for c in certs],
                                      crls=[crl.CertificateList.load(c) for c in crls], force_write=True,
                                      strict=False)
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise BadPdf("corrupt", "The PDF is damaged and cannot be signed.") from error
    return out.getvalue()


def add_document_timestamp(data: bytes, *, make_token: Callable[[bytes], bytes], field_name: str) -> bytes:
    """A document timestamp over the whole file: ``make_token(covered bytes)`` is the SM2 TSA's
    RFC 3161 token (DER ContentInfo) over what the new ``/ByteRange`` covers."""
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        embedder = PdfCMSEmbedder(new_field_spec=fields.SigFieldSpec(sig_field_name=field_name)).write_cms(
            field_name=field_name, writer=writer, existing_fields_only=False)
        next(embedder)
        embedder.send(SigObjSetup(sig_placeholder=DocumentTimestamp(bytes_reserved=TOKEN_RESERVE)))
        prepared, output = embedder.send(SigIOSetup(md_algorithm="sha256", in_place=False))
        written = output.getvalue()
        embedder.send(make_token(written[:prepared.reserved_region_start] + written[prepared.reserved_region_end:]))
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise BadPdf("corrupt", "The PDF is damaged and cannot be timestamped.") from error
    return output.getvalue()


@dataclass
class SmDocumentTimestamp:
    """One SM2 document timestamp of a PDF: its token, the bytes it covers, its revision."""

    token: bytes
    covered: bytes
    signed_revision: int
    tsa_not_after: datetime | None


def _sm2_token(contents: bytes) -> bytes | None:
    try:
        info = cms.ContentInfo.load(contents)
        token = info.dump()  # without /Contents' zero padding
        [signer] = info["content"]["signer_infos"]
    except (ValueError, TypeError, KeyError):
        return None
    return token if signer["signature_algorithm"]["algorithm"].dotted == SM2_SIGNATURE else None


def document_timestamps(data: bytes) -> list[SmDocumentTimestamp]:
    """The PDF's document timestamps made by an SM2 TSA, in signing order."""
    reader = open_pdf(data)
    found = []
    try:
        for _, sig_object, field in fields.enumerate_sig_fields(reader, filled_status=True):
            sig_object = sig_object.get_object()
            if str(sig_object.get("/Type", "")) != "/DocTimeStamp":
                continue
            token = _sm2_token(bytes(extract_contents(sig_object)))
            if token is None:
                continue
            start1, len1, start2, len2 = (int(v) for v in sig_object["/ByteRange"])
            signed = cms.ContentInfo.load(token)["content"]
            tsa = next((c.chosen for c in signed["certificates"]), None)
            found.append(SmDocumentTimestamp(
                token=token, covered=data[start1:start1 + len1] + data[start2:start2 + len2],
                signed_revision=reader.xrefs.get_last_change(field.get_object().raw_get("/V").reference),
                tsa_not_after=tsa.not_valid_after if tsa is not None else None))
    except BadPdf:
        raise
    except Exception as error:  # a broken form or signature dictionary  # noqa: BLE001
        raise BadPdf("bad_signature", "A signature in the PDF is malformed and cannot be checked.") from error
    return sorted(found, key=lambda t: t.signed_revision)


def timestamp_time(token: bytes) -> datetime | None:
    try:
        signed = cms.ContentInfo.load(token)["content"]
        return tsp.TSTInfo.load(bytes(signed["encap_content_info"]["content"]))["gen_time"].native
    except (ValueError, TypeError, KeyError):
        return None


def dss_crl_issuers(data: bytes) -> tuple[bool, set[str]]:
    """Whether the PDF has a DSS with revocation data, and the issuers (RFC 4514, as
    ``cryptography`` spells them) of the CRLs it holds, SM2 ones included."""
    from cryptography import x509 as pyca_x509

    try:
        dss = DocumentSecurityStore.read_dss(open_pdf(data))
    except Exception:  # no /DSS or a broken one  # noqa: BLE001
        return False, set()
    issuers = set()
    for ref in dss.crls:
        try:
            issuers.add(pyca_x509.load_der_x509_crl(ref.get_object().data).issuer.rfc4514_string())
        except (ValueError, AttributeError):
            continue
    return bool(dss.crls or dss.ocsps), issuers
