"""PDF seals and signatures under the national suite (GB/T 38540-2020), over the API.

An enterprise seals a PDF and a citizen then signs it, the way the international suite's
tests do (request, SMS code, download); here the app runs NHT_CRYPTO_SUITE=national, so
the certificates are SM2 and each PDF signature's value is a GB/T 38540 SES_Signature. The
files are read without our code: the signature dictionaries and byte ranges from the raw
bytes, the SES_Signature by `openssl asn1parse`, its document hash recomputed by `openssl
dgst -sm3` over the bytes the byte range covers, and the signer's SM2 signature verified by
`openssl dgst -sm3 -verify` over TBS_Sign. Our /verifications endpoint accepts them, and
refuses a tampered document or a tampered hash.
"""

from __future__ import annotations

import re
import shutil

import pytest

from tests.support.documents import make_pdf
from tests.support.esign import ESIGN, issue, sign
from tests.support.ses import check_with_openssl, openssl, signature_fields, sm3_hex
from tests.support.settings import APP_SETTINGS

from .conftest import clean_pdf, register_seal, verify

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")


@pytest.fixture
def app(make_app, live_server):
    return make_app(**APP_SETTINGS, ISSUER=live_server.url, CRYPTO_SUITE="national")


def test_an_enterprise_seal_then_a_citizen_signature_are_gbt38540_sm2_and_verify(li, chen, tmp_path):
    seal_cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    seal = register_seal(chen, seal_cert["id"])
    request, sealed = sign(chen, seal_cert["id"], clean_pdf(), page=1, x=380, y=80, width=120, height=120)
    assert request["seal_id"] == seal["id"] and request["signer_kind"] == "seal"

    personal = issue(li)
    _, signed = sign(li, personal["id"], sealed, page=1, x=50, y=50, width=180, height=60)
    assert signed.startswith(sealed)  # an incremental update: the seal's revision is untouched

    first, second = signature_fields(signed)
    for field in (first, second):
        assert b"/Filter /NHT.SES" in field["dictionary"]
        assert b"/SubFilter /GBT38540.SES_Signature" in field["dictionary"]
        assert set(field["padding"]) <= {0}
    assert first["end"] < len(sealed) < second["end"] < len(signed)
    # Each signature is followed by its long-term data and an SM2 document timestamp over the
    # whole file as it was then (test_national_ltv.py).
    stamps = signature_fields(signed, document_timestamps=True)
    assert [stamp["end"] for stamp in stamps] == [len(sealed), len(signed)]

    sealed_by = check_with_openssl(first, tmp_path)
    assert (sealed_by["es_id"], sealed_by["seal_type"], sealed_by["seal_name"]) == (seal["id"], "01", "公章")
    assert "91440605MA4UJ2K83Y" in sealed_by["subject"]
    signed_by = check_with_openssl(second, tmp_path)
    assert signed_by["seal_type"] == "02"  # a personal seal for the citizen's signature

    answer = verify(li, signed)
    assert answer["signature_count"] == 2
    enterprise, citizen = answer["signatures"]
    for signature in (enterprise, citizen):
        assert signature["valid"] and signature["verdict_code"] == "valid", signature
        assert signature["intact"] and signature["chain_trusted"] and signature["timestamp_trusted"]
        assert signature["trusted_time_source"] == "signature_timestamp"
        assert not signature["modified_after_signing"]
    # Each is followed by its long-term data and document timestamp (test_national_ltv.py).
    assert enterprise["coverage"] == "entire_revision" and citizen["coverage"] == "entire_revision"
    assert enterprise["certificate_serial"] == seal_cert["serial"]
    assert citizen["certificate_serial"] == personal["serial"]


def test_a_tampered_sealed_pdf_or_seal_hash_is_refused(li, tmp_path):
    personal = issue(li)
    document = clean_pdf(("Nanhai-Tong contract", "Amount: 1000 yuan"))
    _, signed = sign(li, personal["id"], document)
    assert verify(li, signed)["signatures"][0]["valid"]

    # The document changed inside the signed bytes.
    changed = signed.replace(b"Amount: 1000 yuan", b"Amount: 9000 yuan", 1)
    assert changed != signed
    [refused] = verify(li, changed)["signatures"]
    assert not refused["valid"] and not refused["intact"] and refused["verdict_code"] == "modified"

    # The SES_Signature's dataHash changed to match nothing: the SM2 signature breaks with it.
    [field] = signature_fields(signed)
    digest = sm3_hex(field["covered"]).upper().encode()
    assert signed.count(digest) == 1
    flipped = b"0" if digest[:1] != b"0" else b"1"
    tampered = signed.replace(digest, flipped + digest[1:])
    [refused] = verify(li, tampered)["signatures"]
    assert not refused["valid"] and not refused["intact"] and refused["verdict_code"] == "modified"

    # Content appended after signing (an incremental update that changes the page) is seen.
    page = re.search(rb"(\d+) 0 obj\n<< /Type /Page ", signed)
    assert page
    number = int(page.group(1))
    body = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    offset = len(signed) + 1
    xref_at = offset + len(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    startxref = int(re.findall(rb"startxref\s+(\d+)", signed)[-1])
    size = int(re.findall(rb"/Size (\d+)", signed)[-1])
    root = re.findall(rb"/Root (\d+ \d+ R)", signed)[-1]
    update = (b"\n%d 0 obj\n" % number + body + b"\nendobj\n"
              + b"xref\n%d 1\n%010d 00000 n \n" % (number, offset)
              + b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (size, root, startxref, xref_at))
    [after] = verify(li, signed + update)["signatures"]
    assert after["intact"] and after["modified_after_signing"] and not after["valid"], after
    assert after["verdict_code"] == "modified_after_signing"


def test_the_certificates_are_sm2_and_a_revocation_after_signing_leaves_the_signature_valid(li, tmp_path):
    personal = issue(li)
    (tmp_path / "cert.pem").write_text(personal["certificate_pem"])
    text = openssl("x509", "-in", str(tmp_path / "cert.pem"), "-noout", "-text").stdout.decode()
    assert "Signature Algorithm: SM2-with-SM3" in text and "ASN1 OID: SM2" in text
    _, signed = sign(li, personal["id"], make_pdf())
    revoked = li.post(f"{ESIGN}/certificates/{personal['id']}/revoke", json={"reason": "superseded"})
    assert revoked.status_code == 200, revoked.get_json()
    [signature] = verify(li, signed)["signatures"]
    assert signature["valid"] and signature["verdict_code"] == "valid_revoked_later", signature
