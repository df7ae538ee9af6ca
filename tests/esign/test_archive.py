"""The archive job (PAdES B-LTA renewal), with a short-lived TSA certificate: before it ends,
the TSA is replaced and every signed document gets a new document timestamp; the result is
still valid for pyhanko-cli's long-term validation and for our verifier."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader
from sqlalchemy import select

from nanhaitong import db
from nanhaitong.esign import archive, ca, pki
from nanhaitong.esign.models import EsignAuthority, EsignCrl
from tests.crypto_suite import pades_only
from tests.support.audit import audit_rows
from tests.support.esign import ESIGN, issue, sign
from tests.support.settings import APP_SETTINGS
from tests.support.signing import validate_ades, write

from .conftest import clean_pdf, verify


@pytest.fixture
def app(make_app, live_server):
    # The TSA certificate lives one day; documents are re-timestamped 30 days before it ends.
    return make_app(**APP_SETTINGS, ISSUER=live_server.url, ESIGN_TSA_DAYS=1, ESIGN_ARCHIVE_MARGIN_DAYS=30)


def doc_timestamp_tsas(document: bytes) -> list[int]:
    reader = PdfFileReader(io.BytesIO(document), strict=False)
    return [ts.signer_cert.serial_number for ts in reader.embedded_timestamp_signatures]


@pades_only
def test_documents_are_re_timestamped_before_the_tsa_certificate_ends(app, li, tmp_path):
    cert = issue(li)
    request, signed = sign(li, cert["id"], clean_pdf())
    [first_tsa] = doc_timestamp_tsas(signed)

    app.config["ESIGN_TSA_DAYS"] = 3650  # the next TSA lives long
    with app.app_context():
        assert archive.renew_archive_timestamps() == {"tsa_rotated": True, "renewed": 1}
        # Run again: nothing is due any more (safe to run twice).
        assert archive.renew_archive_timestamps() == {"tsa_rotated": False, "renewed": 0}

    renewed = li.get(f"{ESIGN}/signing-requests/{request['id']}/document").data
    assert renewed.startswith(signed)  # an incremental update: everything signed stays as it was
    tsas = doc_timestamp_tsas(renewed)
    assert len(tsas) == 2 and tsas[0] == first_tsa and tsas[1] != first_tsa
    [event] = audit_rows(app, "esign.archive_timestamped")
    assert event.object_id == request["id"]
    assert li.get(f"{ESIGN}/signing-requests/{request['id']}").get_json()["signed_sha256"] != request["signed_sha256"]

    [signature] = verify(li, renewed)["signatures"]
    assert signature["valid"] is True and signature["long_term"]["present"] is True
    write(tmp_path, li, renewed)
    ades = validate_ades(tmp_path)
    assert ades.returncode == 0, ades.stdout + ades.stderr


def test_the_daily_run_keeps_crls_current_and_renews_the_ocsp_signers(app, li):
    app.config["ESIGN_TSA_DAYS"] = 3650
    with app.app_context():
        ca.ensure()
        with db.unit_of_work():
            # A CRL a week old (about to lapse) and an OCSP signer ending in ten days.
            for crl_id, name in ((ca.CRL_ID, "issuing"), (ca.ROOT_CRL_ID, "root")):
                issuer = ca.key_pair(name)
                row = db.session().get(EsignCrl, crl_id)
                row.der = pki.crl_der(pki.make_crl(issuer.certificate, issuer.private_key, [], row.number,
                                                   next_update_days=0))
            ocsp = db.session().execute(select(EsignAuthority).where(EsignAuthority.name == "ocsp")).scalar_one()
            issuing = ca.key_pair("issuing")
            key = pki.new_key()
            ocsp.certificate_pem = pki.cert_pem(pki.make_ocsp_signer(key, issuing.certificate, issuing.private_key,
                                                                     days=10))
            ocsp.private_key = pki.key_pem(key)
            old_ocsp_serial = pki.load_cert(ocsp.certificate_pem).serial_number
        archive.renew_archive_timestamps()
        new_ocsp = ca.certificate("ocsp")
        assert new_ocsp.serial_number != old_ocsp_serial
        assert new_ocsp.not_valid_after_utc - new_ocsp.not_valid_before_utc > timedelta(days=300)
    for path in ("/crl", "/crl/root"):
        crl = x509.load_der_x509_crl(li.get(f"{ESIGN}{path}").data)
        assert (crl.next_update_utc - crl.last_update_utc).days >= 6
