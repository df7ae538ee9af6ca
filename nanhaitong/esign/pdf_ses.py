"""PDF signatures whose value is a GB/T 38540 ``SES_Signature`` (the national suite's seals).

The signature dictionary is an ordinary ISO 32000 one (``/Type /Sig``, ``/ByteRange``,
``/Contents``, an incremental update, a visible widget when stamped), so earlier and later
signatures keep working and the diff analysis of later revisions is pyHanko's. What differs:

- ``/Filter /NHT.SES`` and ``/SubFilter /GBT38540.SES_Signature`` (ISO 32000 lets a
  signature handler name its own formats; none is registered for GB/T 38540 in PDF). A
  PAdES validator does not know them and says so; it never mistakes the value for CMS.
- ``/Contents`` holds the DER ``SES_Signature`` itself: its ``dataHash`` is SM3 over the
  bytes ``/ByteRange`` covers, its ``signature`` the signer's SM2 signature over
  ``TBS_Sign``, with the seal (``SES_Seal``, signed by the seal maker) inside and an SM2
  RFC 3161 timestamp over the signature.

Pure functions over bytes: the caller makes the SES_Signature (``make``) and checks it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, ModificationLevel, SuspiciousModification
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.cms_embedder import PdfCMSEmbedder, SigAppearanceSetup, SigIOSetup, SigObjSetup
from pyhanko.sign.signers.pdf_byterange import SignatureObject
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature, extract_contents
from pyhanko.stamp import TextStampStyle

from .pdf import BadPdf, Stamp, open_pdf, page_count
from .stamp_font import CjkFont

FILTER = "/NHT.SES"
SUBFILTER = "/GBT38540.SES_Signature"


def sign_pdf(data: bytes, *, make: Callable[[bytes], bytes], reserve: int, field_name: str, signed_at: datetime,
             reason: str | None = None, stamp: Stamp | None = None, stamp_text: str | None = None,
             seal_png: bytes | None = None) -> bytes:
    """Add a signature field whose value is ``make(covered bytes)`` (a DER SES_Signature), as
    an incremental update; ``reserve`` is the most bytes that DER may take."""
    reader = open_pdf(data)
    if stamp is not None and not 1 <= stamp.page <= page_count(reader):
        raise BadPdf("bad_page", "The PDF has {count} page(s); there is no page {page}.".format(
            count=page_count(reader), page=stamp.page))
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        spec = None
        if stamp is not None:
            spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=stamp.page - 1,
                                       box=(stamp.x, stamp.y, stamp.x + stamp.width, stamp.y + stamp.height))
        embedder = PdfCMSEmbedder(new_field_spec=spec).write_cms(field_name=field_name, writer=writer)
        next(embedder)
        placeholder = SignatureObject(timestamp=signed_at, reason=reason, bytes_reserved=2 * reserve)
        placeholder[pdf_name("/Filter")] = pdf_name(FILTER)
        placeholder[pdf_name("/SubFilter")] = pdf_name(SUBFILTER)
        appearance = None
        if stamp is not None:
            background = None
            if seal_png is not None:
                from PIL import Image
                from pyhanko.pdf_utils.images import PdfImage

                background = PdfImage(Image.open(io.BytesIO(seal_png)))
            style = TextStampStyle(stamp_text=stamp_text or "Signed %(ts)s",
                                   text_box_style=TextBoxStyle(font=CjkFont()), background=background,
                                   background_opacity=1.0, border_width=0 if background is not None else 1)
            appearance = SigAppearanceSetup(style=style, timestamp=signed_at, name=None)
        embedder.send(SigObjSetup(sig_placeholder=placeholder, appearance_setup=appearance))
        prepared, output = embedder.send(SigIOSetup(md_algorithm="sha256", in_place=False))
        written = output.getvalue()
        covered = written[:prepared.reserved_region_start] + written[prepared.reserved_region_end:]
        embedder.send(make(covered))
    except SigningError as error:  # e.g. a certification signature that allows no more changes
        raise BadPdf("cannot_sign", "The PDF cannot be signed: {reason}".format(reason=error)) from error
    except (PdfError, ValueError, KeyError, TypeError, IndexError, AttributeError) as error:
        raise BadPdf("corrupt", "The PDF is damaged and cannot be signed.") from error
    return output.getvalue()


@dataclass
class EmbeddedSes:
    """One SES signature field of a PDF: its DER, the bytes it covers, and what the file
    did after it (pyHanko's coverage and difference analysis, as for any PDF signature)."""

    field_name: str
    der: bytes
    covered: bytes
    coverage: str  # entire_file | entire_revision | contiguous_block_from_start | unclear
    modified_after_signing: bool
    signed_revision: int


class _Located(EmbeddedPdfSignature):
    """pyHanko's view of an embedded signature without the CMS it would parse: what its
    coverage and difference checks read (byte range, contents, revision, MDP settings)."""

    def __init__(self, reader, sig_field, fq_name: str):  # noqa: D107  (no super(): it parses CMS)
        self.reader, self.fq_name = reader, fq_name
        self.sig_field = sig_field = sig_field.get_object()
        ref = sig_field.raw_get("/V")
        self.sig_object = ref.get_object()
        self.byte_range = self.sig_object.raw_get("/ByteRange")
        self.pkcs7_content = extract_contents(self.sig_object)
        self.md_algorithm = self.external_md_algorithm = "sm3"
        self.signed_revision = reader.xrefs.get_last_change(ref.reference)
        self.coverage, self.diff_result, self.tst_signature_digest = None, None, None
        self.external_digests = {}
        self._docmdp = self._fieldmdp = None
        self._docmdp_queried = self._fieldmdp_queried = False
        self._integrity_checked = False
        self._sd_cert_info = None


def _der_length(data: bytes) -> int:
    """The length of the DER element at the start of ``data`` (``/Contents`` is zero-padded)."""
    if len(data) < 2:
        raise ValueError("too short")
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if not 1 <= count <= 4 or len(data) < 2 + count:
        raise ValueError("bad length")
    return 2 + count + int.from_bytes(data[2:2 + count], "big")


def is_ses(sig_object) -> bool:
    return str(sig_object.get("/SubFilter", "")) == SUBFILTER


def embedded(data: bytes) -> list[EmbeddedSes]:
    """Every SES signature in the PDF, in signing order."""
    reader = open_pdf(data)
    found = []
    try:
        for name, sig_object, field in fields.enumerate_sig_fields(reader, filled_status=True):
            if not is_ses(sig_object.get_object()):
                continue
            located = _Located(reader, field, name)
            contents = bytes(located.pkcs7_content)
            der = contents[:_der_length(contents)]
            start1, len1, start2, len2 = (int(v) for v in located.byte_range)
            covered = data[start1:start1 + len1] + data[start2:start2 + len2]
            located.coverage = coverage = located.evaluate_signature_coverage()
            diff = located.evaluate_modifications(DEFAULT_DIFF_POLICY)
            level = getattr(diff, "modification_level", None)
            found.append(EmbeddedSes(
                field_name=str(name), der=der, covered=covered, coverage=coverage.name.lower(),
                modified_after_signing=isinstance(diff, SuspiciousModification) or level not in (
                    ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING),
                signed_revision=located.signed_revision))
    except BadPdf:
        raise
    except Exception as error:  # a broken form, signature dictionary or byte range  # noqa: BLE001
        raise BadPdf("bad_signature", "A signature in the PDF is malformed and cannot be checked.") from error
    return sorted(found, key=lambda s: s.signed_revision)


def has_ses(data: bytes) -> bool:
    reader = open_pdf(data)
    try:
        return any(is_ses(obj.get_object()) for _, obj, _ in fields.enumerate_sig_fields(reader, filled_status=True))
    except Exception:  # noqa: BLE001  (the full check reports a broken one)
        return False
