"""The archive job (PAdES B-LTA renewal), with a short-lived TSA certificate: before it ends,
the TSA is replaced and every signed document gets a new document timestamp; the result is
still valid for pyhanko-cli's long-term validation and for our verifier."""

from __future__ import annotations

import io

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from nanhaitong.esign import archive
from tests.authorizations.helpers import audit_rows

from .conftest import APP_SETTINGS, ESIGN, clean_pdf, issue, sign, verify
from .test_ltv import validate_ades, write


@pytest.fixture
def app(make_app, live_server):
    # The TSA certificate lives one day; documents are re-timestamped 30 days before it ends.
    return make_app(**APP_SETTINGS, ISSUER=live_server.url, ESIGN_TSA_DAYS=1, ESIGN_ARCHIVE_MARGIN_DAYS=30)


def doc_timestamp_tsas(document: bytes) -> list[int]:
    reader = PdfFileReader(io.BytesIO(document), strict=False)
    return [ts.signer_cert.serial_number for ts in reader.embedded_timestamp_signatures]


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
