"""POST /api/v1/esign/verifications: what it says of intact, modified, revoked and foreign signatures."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers

from tests.crypto_suite import NATIONAL
from tests.support.documents import make_pdf
from tests.support.errors import assert_error
from tests.support.esign import ESIGN, issue, sign
from tests.support.signing import pyhanko_statuses

from .conftest import verify


def test_an_intact_signature_reports_signer_trust_and_times(li):
    cert = issue(li)
    _, signed = sign(li, cert["id"], make_pdf())
    report = verify(li, signed)
    assert report["signature_count"] == 1
    [signature] = report["signatures"]
    assert signature["trusted"] and signature["intact"] and signature["valid"]
    assert signature["modified_after_signing"] is False and signature["revoked"] is False
    assert signature["certificate_serial"] == cert["serial"]
    assert "CN=" in signature["signer"]
    assert ("SM2 Issuing CA" if NATIONAL else "Nanhai-Tong Issuing CA") in signature["issuer"]
    assert signature["signing_time"].endswith("Z") and signature["timestamp_time"].endswith("Z")
    assert signature["timestamp_trusted"] is True


def _flip_signed_byte(signed: bytes) -> bytes:
    """Change one byte inside the signed range: in the page's image data, before the signature."""
    at = signed.index(b"stream", signed.index(b"/Image")) + 200
    changed = bytearray(signed)
    changed[at] ^= 0x01
    return bytes(changed)


def test_a_byte_changed_after_signing_is_reported_modified(li):
    cert = issue(li)
    _, signed = sign(li, cert["id"], make_pdf())
    tampered = _flip_signed_byte(signed)
    [signature] = verify(li, tampered)["signatures"]
    assert signature["intact"] is False and signature["modified_after_signing"] is True
    assert signature["valid"] is False
    if not NATIONAL:  # pyHanko's own validator agrees (it has no GB/T 38540: test_national_sealing.py)
        [status] = pyhanko_statuses(tampered, _bundle(li))
        assert not status.intact


def test_content_appended_after_signing_is_reported(li):
    cert = issue(li)
    _, signed = sign(li, cert["id"], make_pdf())
    writer = IncrementalPdfFileWriter(io.BytesIO(signed), strict=False)
    page = writer.root["/Pages"]["/Kids"][0].get_object()
    from pyhanko.pdf_utils import generic

    page["/Rotate"] = generic.NumberObject(90)  # an incremental change no signature covers
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    [signature] = verify(li, out.getvalue())["signatures"]
    assert signature["intact"] is True  # the signed bytes are unchanged...
    assert signature["coverage"] == "entire_revision"
    assert signature["modified_after_signing"] is True and signature["valid"] is False  # ...but the page is not


def test_a_revoked_certificate_is_reported_revoked(li):
    cert = issue(li)
    _, signed = sign(li, cert["id"], make_pdf())
    revoked = li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={"reason": "key_compromise"})
    assert revoked.status_code == 200 and revoked.get_json()["status"] == "revoked"
    [signature] = verify(li, signed)["signatures"]
    assert signature["revoked"] is True and signature["valid"] is False
    assert signature["intact"] is True


def _foreign_ca():
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Some Other Root")])
    now = datetime.now(timezone.utc)
    root = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Mallory")]))
            .issuer_name(name).public_key(leaf_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False), critical=True)
            .sign(key, hashes.SHA256()))
    return root, leaf, leaf_key


def test_a_signature_from_another_ca_is_untrusted(li):
    from nanhaitong.esign import pdf as toolkit

    root, leaf, leaf_key = _foreign_ca()
    # Signed by pyHanko directly, with a certificate we never issued.
    signer = toolkit._signer(toolkit.KeyPair(leaf, leaf_key, (root,)))
    out = io.BytesIO()
    signers.sign_pdf(IncrementalPdfFileWriter(io.BytesIO(make_pdf()), strict=False),
                     signers.PdfSignatureMetadata(field_name="Foreign"), signer=signer, output=out)
    [signature] = verify(li, out.getvalue())["signatures"]
    assert signature["trusted"] is False and signature["valid"] is False
    assert signature["intact"] is True and signature["revoked"] is None
    assert signature["signer"] == "CN=Mallory"


def test_an_unsigned_pdf_has_no_signatures(li):
    assert verify(li, make_pdf()) | {"document_sha256": None} == {
        "document_sha256": None, "signature_count": 0, "signatures": []}


def test_verification_needs_sign_in(client):
    assert_error(client.post(f"{ESIGN}/verifications", data={"file": (io.BytesIO(make_pdf()), "a.pdf")}), 401)


def _bundle(citizen):
    from .conftest import ca_bundle

    return ca_bundle(citizen)


def test_signer_names_never_reach_the_logs(li, caplog):
    import logging

    from tests.support.citizens import LI

    caplog.set_level(logging.DEBUG)
    cert = issue(li)
    _, signed = sign(li, cert["id"], make_pdf())
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={}).status_code == 200
    assert verify(li, _flip_signed_byte(signed))["signatures"][0]["revoked"] is True
    assert LI.name not in caplog.text and LI.id_number not in caplog.text
