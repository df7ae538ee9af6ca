"""The platform CA, its CRL, the timestamp authority and detached CMS signatures, checked
with the ``openssl`` command line and ``cryptography``, not with our own code."""

from __future__ import annotations

import base64
import hashlib
import subprocess
import threading

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from nanhaitong import db
from nanhaitong.esign import ca
from nanhaitong.esign.models import EsignAuthority
from tests.support.audit import audit_rows
from tests.support.citizens import LI
from tests.support.errors import assert_error

from .conftest import ESIGN, ca_bundle, issue


def openssl(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=30)


def test_the_ca_bundle_is_a_root_and_an_issuing_ca(client):
    root, issuing = ca_bundle(client)
    assert root.subject == root.issuer and root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    issuing.verify_directly_issued_by(root)
    assert issuing.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    # The same on every call: made once, kept in the database.
    assert ca_bundle(client) == [root, issuing]


def test_ca_keys_are_encrypted_at_rest(app, client):
    ca_bundle(client)
    with app.app_context():
        raw = db.session().connection().exec_driver_sql("SELECT private_key FROM esign_authorities").scalars().all()
    assert len(raw) == 3 and all(value.startswith("v1.") and "PRIVATE KEY" not in value for value in raw)


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
        assert db.session().query(EsignAuthority).count() == 3


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


@pytest.mark.parametrize("kind", ["personal", "seal"])
def test_a_detached_signature_verifies_with_openssl_cms(li, chen, tmp_path, kind):
    signer = li if kind == "personal" else chen
    cert = issue(li) if kind == "personal" else issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    content = "南海通 detached signature test\n".encode() * 50
    answer = signer.post(f"{ESIGN}/detached-signatures",
                         json={"certificate_id": cert["id"], "sha256": hashlib.sha256(content).hexdigest()})
    assert answer.status_code == 201, answer.get_json()
    (tmp_path / "sig.der").write_bytes(base64.b64decode(answer.get_json()["signature_base64"]))
    (tmp_path / "content").write_bytes(content)
    (tmp_path / "ca.pem").write_bytes(signer.get(f"{ESIGN}/ca.pem").data)
    accepted = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
                       "-content", str(tmp_path / "content"), "-CAfile", str(tmp_path / "ca.pem"),
                       "-out", str(tmp_path / "out"))
    assert accepted.returncode == 0, accepted.stderr
    (tmp_path / "other").write_bytes(content + b"!")
    refused = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", str(tmp_path / "sig.der"),
                      "-content", str(tmp_path / "other"), "-CAfile", str(tmp_path / "ca.pem"),
                      "-out", str(tmp_path / "out2"))
    assert refused.returncode != 0 and b"verification failure" in refused.stderr.lower()
    # The PEM form is the same signature.
    (tmp_path / "sig.pem").write_text(answer.get_json()["signature_pem"])
    as_pem = openssl("cms", "-verify", "-binary", "-inform", "PEM", "-in", str(tmp_path / "sig.pem"),
                     "-content", str(tmp_path / "content"), "-CAfile", str(tmp_path / "ca.pem"),
                     "-out", str(tmp_path / "out3"))
    assert as_pem.returncode == 0, as_pem.stderr
    [event] = audit_rows(li.app, "esign.detached_signed")
    assert event.object_id == cert["id"]


def test_a_detached_signature_needs_a_live_certificate_of_ones_own(li, chen):
    cert = issue(li)
    digest = "ab" * 32
    assert_error(chen.post(f"{ESIGN}/detached-signatures", json={"certificate_id": cert["id"], "sha256": digest}),
                 404, "esign_certificate_not_found")
    assert_error(li.post(f"{ESIGN}/detached-signatures", json={"certificate_id": cert["id"], "sha256": "xyz"}),
                 422, "validation_failed")
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={}).status_code == 200
    assert_error(li.post(f"{ESIGN}/detached-signatures", json={"certificate_id": cert["id"], "sha256": digest}),
                 409, "certificate_revoked")
