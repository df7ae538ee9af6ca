"""The platform CA, its CRL, the timestamp authority and detached CMS signatures, checked
with the ``openssl`` command line and ``cryptography``, not with our own code."""

from __future__ import annotations

import threading

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from nanhaitong import db
from nanhaitong.esign import ca
from nanhaitong.esign.models import EsignAuthority
from tests.crypto_suite import FIELD_TOKEN_PREFIX, NATIONAL, international_pki_only
from tests.support.audit import audit_rows
from tests.support.citizens import LI
from tests.support.errors import assert_error
from tests.support.esign import ESIGN, issue
from tests.support.signing import openssl

from .conftest import ca_bundle


def test_the_ca_bundle_is_a_root_and_an_issuing_ca(client):
    root, issuing = ca_bundle(client)
    assert root.subject == root.issuer and root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    issuing.verify_directly_issued_by(root)
    assert issuing.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    # The same on every call: made once, kept in the database.
    assert ca_bundle(client) == [root, issuing]
    # The SM2 root and issuing CA follow under the national suite only (or once made).
    assert len(x509.load_pem_x509_certificates(client.get(f"{ESIGN}/ca.pem").data)) == (4 if NATIONAL else 2)


def test_ca_keys_are_encrypted_at_rest(app, client):
    ca_bundle(client)
    with app.app_context():
        raw = db.session().connection().exec_driver_sql("SELECT private_key FROM esign_authorities").scalars().all()
    assert len(raw) == 5 and all(value.startswith(FIELD_TOKEN_PREFIX) and "PRIVATE KEY" not in value for value in raw)


def test_two_instances_starting_at_once_share_one_ca(make_app):
    apps = [make_app(), make_app()]
    barrier = threading.Barrier(2)
    roots = []

    def start(app):
        with app.app_context():
            barrier.wait()
            try:
                roots.append(ca.certificate("root"))
            finally:
                db.session().rollback()

    threads = [threading.Thread(target=start, args=(app,)) for app in apps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(roots) == 2 and roots[0] == roots[1]
    with apps[0].app_context():
        assert db.session().query(EsignAuthority).count() == 5


@international_pki_only
def test_a_certificate_chains_to_the_root_per_openssl(li, tmp_path):
    cert = issue(li)
    root, issuing = ca_bundle(li)
    (tmp_path / "root.pem").write_bytes(li.get(f"{ESIGN}/ca.pem").data)
    (tmp_path / "leaf.pem").write_text(cert["certificate_pem"])
    result = openssl("verify", "-CAfile", str(tmp_path / "root.pem"), "-purpose", "smimesign",
                     str(tmp_path / "leaf.pem"))
    assert result.returncode == 0, result.stderr
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    assert format(leaf.serial_number, "x") == cert["serial"]
    # The subject is the verified identity; the answer masks it, the certificate does not.
    assert leaf.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == LI.name
    assert LI.name not in cert["subject"]


@international_pki_only
def test_the_crl_is_der_or_pem_and_lists_revocations(li):
    cert = issue(li)
    der = li.client.get(f"{ESIGN}/crl")
    assert der.status_code == 200 and der.mimetype == "application/pkix-crl"
    before = x509.load_der_x509_crl(der.data)
    _, issuing = ca_bundle(li)
    assert before.is_signature_valid(issuing.public_key())
    assert before.get_revoked_certificate_by_serial_number(int(cert["serial"], 16)) is None

    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={}).status_code == 200
    pem = li.client.get(f"{ESIGN}/crl?format=pem")
    assert pem.status_code == 200 and pem.mimetype == "application/x-pem-file"
    after = x509.load_pem_x509_crl(pem.data)
    assert after.is_signature_valid(issuing.public_key())
    assert after.get_revoked_certificate_by_serial_number(int(cert["serial"], 16)) is not None
    number = after.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number > before.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    by_accept = li.client.get(f"{ESIGN}/crl", headers={"Accept": "application/x-pem-file"})
    assert by_accept.mimetype == "application/x-pem-file"
    assert li.get(f"{ESIGN}/certificates").get_json()["items"][0]["status"] == "revoked"
    [event] = audit_rows(li.app, "esign.certificate_revoked")
    assert event.object_id == cert["id"]


def test_the_tsa_answers_rfc3161_queries_that_openssl_verifies(client, tmp_path):
    (tmp_path / "data").write_bytes(b"timestamp me")
    query = openssl("ts", "-query", "-data", str(tmp_path / "data"), "-sha256", "-cert")
    assert query.returncode == 0, query.stderr
    answer = client.post(f"{ESIGN}/tsa", data=query.stdout, headers={"Content-Type": "application/timestamp-query"})
    assert answer.status_code == 200 and answer.mimetype == "application/timestamp-reply"
    (tmp_path / "reply.tsr").write_bytes(answer.data)
    (tmp_path / "ca.pem").write_bytes(client.get(f"{ESIGN}/ca.pem").data)
    verified = openssl("ts", "-verify", "-data", str(tmp_path / "data"), "-in", str(tmp_path / "reply.tsr"),
                       "-CAfile", str(tmp_path / "ca.pem"))
    assert verified.returncode == 0, verified.stderr + verified.stdout
    (tmp_path / "other").write_bytes(b"something else")
    refused = openssl("ts", "-verify", "-data", str(tmp_path / "other"), "-in", str(tmp_path / "reply.tsr"),
                      "-CAfile", str(tmp_path / "ca.pem"))
    assert refused.returncode != 0
    # The TSA's certificate has the critical timeStamping EKU and chains to our root.
    text = openssl("ts", "-reply", "-in", str(tmp_path / "reply.tsr"), "-text").stdout.decode()
    assert "Status: Granted" in text


def test_the_tsa_refuses_what_is_not_a_query(client):
    assert_error(client.post(f"{ESIGN}/tsa", data=b"hello", headers={"Content-Type": "application/json"}), 415)
    assert_error(client.post(f"{ESIGN}/tsa", data=b"\x30\x03\x02\x01\x01",
                             headers={"Content-Type": "application/timestamp-query"}), 422, "bad_timestamp_query")


def test_tsa_certificate_has_the_timestamping_eku(app, client):
    ca_bundle(client)
    with app.app_context():
        tsa = ca.certificate("tsa")
        root = ca.certificate("root")
    eku = tsa.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    tsa.verify_directly_issued_by(root)


def test_under_the_international_suite_no_get_makes_an_sm2_ca(make_app):
    app = make_app(CRYPTO_SUITE="international")
    client = app.test_client()
    for path in ("/crl/sm2", "/crl/sm2/root", "/ca/sm2-root.cer", "/ca/sm2-issuing.cer"):
        answer = client.get(f"{ESIGN}{path}")
        assert answer.status_code == 404 and answer.get_json()["code"] == "ca_certificate_not_found", path
    assert len(x509.load_pem_x509_certificates(client.get(f"{ESIGN}/ca.pem").data)) == 2
