"""Hostile and mistaken uploads: never a 500, always the one error shape, nothing half-written."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import copy_into_new_writer

from tests.support.audit import audit_rows
from tests.support.documents import make_pdf
from tests.support.errors import assert_error
from tests.support.esign import ESIGN, issue, request_signing


def encrypted_pdf() -> bytes:
    writer = copy_into_new_writer(PdfFileReader(io.BytesIO(make_pdf()), strict=False))
    writer.encrypt("owner-secret", "user-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


BAD_FILES = {
    "not_pdf": b"GIF89a not a pdf at all",
    "corrupt": make_pdf()[:300],
    "garbage_after_header": b"%PDF-1.7\n" + bytes(range(256)) * 20,
    "encrypted": encrypted_pdf(),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_pdfs_are_a_clear_422(li, name):
    cert = issue(li)
    reason = "corrupt" if name == "garbage_after_header" else name
    body = assert_error(request_signing(li, cert["id"], BAD_FILES[name]), 422, f"pdf_{reason}")
    assert "file" in body["details"]["fields"]
    body = assert_error(li.post(f"{ESIGN}/verifications", data={"file": (io.BytesIO(BAD_FILES[name]), "x.pdf")}),
                        422, f"pdf_{reason}")
    assert audit_rows(li.app, "esign.signing_requested") == []


def test_json_instead_of_multipart_is_415(li):
    cert = issue(li)
    assert_error(li.post(f"{ESIGN}/signing-requests", json={"certificate_id": cert["id"]}), 415,
                 "unsupported_media_type")
    assert_error(li.client.post(f"{ESIGN}/verifications", data=make_pdf(),
                                headers={**li.headers, "Content-Type": "application/pdf"}), 415,
                 "unsupported_media_type")


def test_a_missing_file_is_422(li):
    cert = issue(li)
    body = assert_error(li.post(f"{ESIGN}/verifications", data={"other": (io.BytesIO(b"x"), "x.pdf")}), 422)
    assert "file" in body["details"]["fields"]
    assert_error(li.post(f"{ESIGN}/signing-requests", data={"certificate_id": cert["id"],
                                                            "nothing": (io.BytesIO(b"x"), "x.bin")}), 422)


def test_too_big_is_413(li):
    app = li.app
    app.config["ESIGN_MAX_PDF_BYTES"] = 4096  # read per request
    cert = issue(li)
    big = make_pdf(pages=3)
    assert len(big) > 4096
    body = assert_error(request_signing(li, cert["id"], big), 413, "payload_too_large")
    assert body["details"]["max_bytes"] == 4096
    # Far beyond the limit, the body is refused before it is read.
    huge = b"%PDF-1.7\n" + b"0" * (200 * 1024)
    assert_error(li.post(f"{ESIGN}/verifications", data={"file": (io.BytesIO(huge), "x.pdf")}), 413)
    assert audit_rows(app, "esign.signing_requested") == []


def test_bad_stamp_positions_are_422(li):
    cert = issue(li)
    body = assert_error(request_signing(li, cert["id"], make_pdf(), page=1, x=10), 422)
    assert "page" in body["details"]["fields"]
    body = assert_error(request_signing(li, cert["id"], make_pdf(), page=5, x=10, y=10, width=50, height=50), 422)
    assert "page" in body["details"]["fields"]
    assert_error(request_signing(li, cert["id"], make_pdf(), page=1, x="left", y=10, width=50, height=50), 422)


def test_a_non_png_seal_is_refused(chen):
    cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    for image in (b"not an image", make_pdf()):
        answer = chen.post(f"{ESIGN}/seals", data={"certificate_id": cert["id"],
                                                   "image": (io.BytesIO(image), "seal.png")})
        assert_error(answer, 422, "image_not_png")
    assert_error(chen.post(f"{ESIGN}/seals", json={"certificate_id": cert["id"]}), 415)
    assert chen.get(f"{ESIGN}/seals?enterprise_id={chen.enterprise_id}").get_json()["items"] == []


def test_both_or_neither_file_and_previous_request_is_422(li):
    cert = issue(li)
    assert_error(li.post(f"{ESIGN}/signing-requests", data={"certificate_id": cert["id"]}), 422)


def test_a_pdf_over_the_json_body_limit_is_signed(li):
    """The routes taking PDFs accept up to NHT_ESIGN_MAX_PDF_BYTES, beyond the global 1 MiB."""
    import os

    from PIL import Image

    noise = Image.frombytes("RGB", (1100, 1100), os.urandom(1100 * 1100 * 3))
    out = io.BytesIO()
    noise.save(out, format="PDF", quality=95)
    big = out.getvalue()
    assert len(big) > li.app.config["MAX_BODY_BYTES"]
    from tests.support.esign import sign

    cert = issue(li)
    _, signed = sign(li, cert["id"], big)
    assert signed.startswith(big)


def test_a_malformed_signature_is_a_422_not_a_500(li):
    from tests.support.esign import sign

    from .conftest import verify

    cert = issue(li)
    _, signed = sign(li, cert["id"], make_pdf())
    # Overwrite the signature's /Contents hex with zeros: still a PDF, no longer a CMS.
    start = signed.index(b"/Contents <") + len(b"/Contents <")
    end = signed.index(b">", start)
    broken = signed[:start] + b"0" * (end - start) + signed[end:]
    answer = li.post(f"{ESIGN}/verifications", data={"file": (io.BytesIO(broken), "x.pdf")})
    assert_error(answer, 422, ("pdf_corrupt", "pdf_bad_signature"))
    assert verify(li, signed)["signatures"][0]["valid"] is True
