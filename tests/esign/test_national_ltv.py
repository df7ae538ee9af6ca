"""PAdES B-LTA's long-term data for PDFs sealed under the national suite (esign/ses_ltv.py):
after each GB/T 38540 seal signature, a DSS with the SM2 chains' certificates and the SM2
CRLs, then an SM2 RFC 3161 document timestamp over everything; the archive job renews it.

Read without our code where it can be: the DSS's CRLs by `openssl crl` and their SM2
signatures by `openssl dgst -sm3 -verify` with the standard identifier; the document
timestamp's token by `openssl ts -reply -token_in -text` (SM3 imprint over the bytes its
/ByteRange covers, recomputed by `openssl dgst -sm3`) and its signed attributes' SM2
signature by `openssl dgst`; with Tongsuo too where tongsuopy is installed. Our verifier
says `long_term.present`. Runs in both suites' runs: the app here is the national suite's.
"""

from __future__ import annotations

import io
import re
import shutil

import pytest
from asn1crypto import cms
from asn1crypto import crl as asn1_crl
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation.dss import DocumentSecurityStore
from sqlalchemy import update

from nanhaitong import db
from nanhaitong.esign import archive
from nanhaitong.esign.models import SigningRequest
from nanhaitong.timeutil import utcnow
from tests.support.audit import audit_rows
from tests.support.esign import ESIGN, issue, sign
from tests.support.ses import (
    checked_signatures,
    openssl,
    public_pem,
    signature_fields,
    sm2_verifies,
    sm3_hex,
    tongsuo,
    tongsuo_python,
)
from tests.support.settings import APP_SETTINGS

from .conftest import clean_pdf, verify

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")


@pytest.fixture
def app(make_app, live_server):
    return make_app(**APP_SETTINGS, ISSUER=live_server.url, CRYPTO_SUITE="national")


def _dss(document: bytes) -> tuple[list[asn1_x509.Certificate], list[asn1_crl.CertificateList]]:
    dss = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(document), strict=False))
    certs = [asn1_x509.Certificate.load(ref.get_object().data) for ref in dss.certs.values()]
    crls = [asn1_crl.CertificateList.load(ref.get_object().data) for ref in dss.crls]
    return certs, crls


def _check_timestamp(field: dict, certs: list[asn1_x509.Certificate], tmp_path) -> None:
    """The document timestamp's token, checked by openssl: SM3 imprint of what it covers,
    the TSA's SM2 signature over the signed attributes; the TSA certificate is in the DSS."""
    (tmp_path / "token.der").write_bytes(field["der"])
    printed = openssl("ts", "-reply", "-in", str(tmp_path / "token.der"), "-token_in", "-text")
    assert printed.returncode == 0, printed.stderr
    text = printed.stdout.decode()
    assert "Hash Algorithm: sm3" in text and "Status: Granted." in text
    imprint = "".join(re.findall(r"^\s+\d{4} - ([0-9a-f -]+?)\s{2,}", text, re.M)).replace(" ", "").replace("-", "")
    assert imprint == sm3_hex(field["covered"])
    signed = cms.ContentInfo.load(field["der"])["content"]
    [signer] = signed["signer_infos"]
    [tsa] = [c.chosen for c in signed["certificates"]]
    assert tsa.dump() in [c.dump() for c in certs]
    attrs = b"\x31" + signer["signed_attrs"].dump()[1:]
    assert sm2_verifies(public_pem(tsa.dump(), tmp_path, "tsa"), attrs, signer["signature"].native, tmp_path)
    if tongsuo_python() is not None:
        (tmp_path / "tsa.der").write_bytes(tsa.dump())
        assert tongsuo("signer", str(tmp_path / "token.der"), str(tmp_path / "tsa.der")) == {
            "signature": True, "message_digest": True}


def test_a_sealed_pdf_carries_sm2_long_term_data_and_an_sm2_document_timestamp(li, tmp_path):
    personal = issue(li)
    _, signed = sign(li, personal["id"], clean_pdf())
    assert len(checked_signatures(signed, tmp_path)) == 1  # the seal signature itself, as before

    certs, crls = _dss(signed)
    subjects = [c.subject.human_friendly for c in certs]
    assert any("SM2 Root CA" in s for s in subjects) and any("SM2 Issuing CA" in s for s in subjects)
    assert any(c.serial_number == int(personal["serial"], 16) for c in certs)  # the holder's certificate
    assert all(c["signature_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.501" for c in certs)
    by_subject = {c.subject.dump(): c for c in certs}
    assert len(crls) == 2
    for crl in crls:
        (tmp_path / "crl.der").write_bytes(crl.dump())
        listed = openssl("crl", "-inform", "DER", "-in", str(tmp_path / "crl.der"), "-noout", "-text")
        assert listed.returncode == 0 and b"SM2-with-SM3" in listed.stdout, listed.stderr
        issuer = by_subject[crl.issuer.dump()]  # the CRL's issuer is in the DSS, and signed it
        assert sm2_verifies(public_pem(issuer.dump(), tmp_path, "issuer"), crl["tbs_cert_list"].dump(),
                            crl["signature"].native, tmp_path)

    [stamp] = signature_fields(signed, document_timestamps=True)
    assert b"/SubFilter /ETSI.RFC3161" in stamp["dictionary"] and stamp["end"] == len(signed)
    _check_timestamp(stamp, certs, tmp_path)

    [signature] = verify(li, signed)["signatures"]
    assert signature["valid"] and signature["verdict_code"] == "valid", signature
    assert signature["long_term"]["present"] is True
    assert signature["long_term"]["dss"] and signature["long_term"]["signer_revocation_data"]
    assert signature["long_term"]["document_timestamp_time"] is not None
    assert not signature["modified_after_signing"] and signature["coverage"] == "entire_revision"


def test_the_archive_job_renews_an_sm2_document_timestamp(app, li, tmp_path):
    personal = issue(li)
    request, signed = sign(li, personal["id"], clean_pdf())
    with app.app_context():
        with db.unit_of_work():  # as if its TSA certificate ended within the margin
            db.session().execute(update(SigningRequest).where(SigningRequest.id == request["id"])
                                 .values(archive_until=utcnow()))
        assert archive.renew_archive_timestamps()["renewed"] == 1
        assert archive.renew_archive_timestamps()["renewed"] == 0  # nothing due any more

    renewed = li.get(f"{ESIGN}/signing-requests/{request['id']}/document").data
    assert renewed.startswith(signed)  # an incremental update: everything signed stays as it was
    first, second = signature_fields(renewed, document_timestamps=True)
    assert second["end"] == len(renewed) and first["end"] == len(signed)
    certs, _ = _dss(renewed)
    _check_timestamp(second, certs, tmp_path)
    [event] = audit_rows(app, "esign.archive_timestamped")
    assert event.object_id == request["id"]
    [signature] = verify(li, renewed)["signatures"]
    assert signature["valid"] and signature["long_term"]["present"] is True, signature
