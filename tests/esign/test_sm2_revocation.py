"""Revocation over HTTP for SM2 certificates (national suite): every SM2 certificate the
platform CA issues names its CRL distribution point, the OCSP responder and its issuer, the
way the ECDSA ones do; the CRLs and the OCSP answers are signed SM3withSM2, and OpenSSL's
command line (a separate process) reads them: `openssl crl`, `openssl ocsp -respin`, and
`openssl dgst -sm3 -verify` with the standard identifier for the signatures (OpenSSL 3.0
checks an SM2 CRL or OCSP signature only with an empty identifier: docs/crypto.md).

Runs in both suites' runs: the app here is always the national suite's.
"""

from __future__ import annotations

import shutil

import pytest
import requests
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp, x509

from tests.support.esign import ESIGN, issue
from tests.support.ses import openssl, public_pem, sm2_verifies
from tests.support.settings import APP_SETTINGS

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")


@pytest.fixture
def app(make_app, live_server):
    return make_app(**APP_SETTINGS, ISSUER=live_server.url, CRYPTO_SUITE="national")


def _pointers(cert: x509.Certificate) -> dict:
    [point] = cert.crl_distribution_points
    access = {a["access_method"].native: a["access_location"].native for a in cert.authority_information_access_value}
    return {"crl": point.url, "ocsp": access["ocsp"], "issuer": access["ca_issuers"]}


def _certificate(citizen, tmp_path) -> tuple[dict, x509.Certificate]:
    made = issue(citizen)
    (tmp_path / "leaf.pem").write_text(made["certificate_pem"])
    leaf = x509.Certificate.load(openssl("x509", "-in", str(tmp_path / "leaf.pem"), "-outform", "DER").stdout)
    assert leaf["signature_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.501"
    return made, leaf


def _sm2_signature_verifies(issuer_der: bytes, tbs: bytes, signature: bytes, tmp_path) -> bool:
    return sm2_verifies(public_pem(issuer_der, tmp_path, "issuer"), tbs, signature, tmp_path)


def test_sm2_certificates_name_their_crl_ocsp_and_issuer_and_the_sm2_crls_answer(li, tmp_path):
    _, leaf = _certificate(li, tmp_path)
    base = f"{li.app.config['ISSUER']}{ESIGN}"
    assert _pointers(leaf) == {"crl": f"{base}/crl/sm2", "ocsp": f"{base}/ocsp", "issuer": f"{base}/ca/sm2-issuing.cer"}
    issuing_der = requests.get(f"{base}/ca/sm2-issuing.cer", timeout=10).content
    issuing = x509.Certificate.load(issuing_der)
    assert issuing.subject == leaf.issuer and "SM2 Issuing CA" in issuing.subject.human_friendly
    assert _pointers(issuing) == {"crl": f"{base}/crl/sm2/root", "ocsp": f"{base}/ocsp",
                                  "issuer": f"{base}/ca/sm2-root.cer"}
    root_der = requests.get(f"{base}/ca/sm2-root.cer", timeout=10).content
    for url, issuer_der in ((f"{base}/crl/sm2", issuing_der), (f"{base}/crl/sm2/root", root_der)):
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/pkix-crl"
        crl = asn1_crl.CertificateList.load(answer.content)
        assert crl["signature_algorithm"]["algorithm"].dotted == "1.2.156.10197.1.501"
        assert crl.issuer == x509.Certificate.load(issuer_der).subject
        assert _sm2_signature_verifies(issuer_der, crl["tbs_cert_list"].dump(), crl["signature"].native, tmp_path)
        # ...and not under the other CA's key: the signature really is the issuer's.
        other = root_der if issuer_der == issuing_der else issuing_der
        assert not _sm2_signature_verifies(other, crl["tbs_cert_list"].dump(), crl["signature"].native, tmp_path)


def test_revoking_an_sm2_certificate_lists_it_on_the_sm2_crl_only(li, tmp_path):
    made, leaf = _certificate(li, tmp_path)
    base = f"{li.app.config['ISSUER']}{ESIGN}"
    before = asn1_crl.CertificateList.load(requests.get(f"{base}/crl/sm2", timeout=10).content)
    assert li.post(f"{ESIGN}/certificates/{made['id']}/revoke", json={"reason": "key_compromise"}).status_code == 200
    pem = requests.get(f"{base}/crl/sm2?format=pem", timeout=10)
    assert pem.status_code == 200 and pem.headers["Content-Type"] == "application/x-pem-file"
    (tmp_path / "crl.pem").write_bytes(pem.content)
    listed = openssl("crl", "-in", str(tmp_path / "crl.pem"), "-noout", "-text")
    assert listed.returncode == 0, listed.stderr
    text = listed.stdout.decode()
    assert "SM2-with-SM3" in text and made["serial"].upper() in text.replace(":", "").upper()
    assert "Key Compromise" in text
    after = asn1_crl.CertificateList.load(requests.get(f"{base}/crl/sm2", timeout=10).content)
    assert after["tbs_cert_list"]["crl_extensions"][0]["extn_value"].native > \
        before["tbs_cert_list"]["crl_extensions"][0]["extn_value"].native
    issuing_der = requests.get(f"{base}/ca/sm2-issuing.cer", timeout=10).content
    assert _sm2_signature_verifies(issuing_der, after["tbs_cert_list"].dump(), after["signature"].native, tmp_path)
    # The ECDSA CA's CRL lists only what the ECDSA CA issued.
    ecdsa = openssl("crl", "-inform", "DER", "-noout", "-text",
                    data=requests.get(f"{base}/crl", timeout=10).content).stdout.decode()
    assert made["serial"].upper() not in ecdsa.replace(":", "").upper()


def _ocsp(tmp_path, url: str, cert_file: str, issuer_file: str) -> tuple[ocsp.OCSPResponse, str]:
    """An OCSP request made by openssl for ``cert_file``, posted, and the answer as openssl reads it."""
    made = openssl("ocsp", "-issuer", str(tmp_path / issuer_file), "-cert", str(tmp_path / cert_file),
                   "-reqout", str(tmp_path / "req.der"))
    assert made.returncode == 0, made.stderr
    answer = requests.post(url, data=(tmp_path / "req.der").read_bytes(),
                           headers={"Content-Type": "application/ocsp-request"}, timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/ocsp-response"
    (tmp_path / "resp.der").write_bytes(answer.content)
    read = openssl("ocsp", "-respin", str(tmp_path / "resp.der"), "-issuer", str(tmp_path / issuer_file),
                   "-cert", str(tmp_path / cert_file), "-noverify", "-resp_text")
    assert read.returncode == 0, read.stderr
    return ocsp.OCSPResponse.load(answer.content), read.stdout.decode()


def _basic(response: ocsp.OCSPResponse):
    return response["response_bytes"]["response"].parsed


def test_the_ocsp_responder_answers_for_sm2_certificates_with_sm2_signed_answers(li, tmp_path):
    made, _ = _certificate(li, tmp_path)
    base = f"{li.app.config['ISSUER']}{ESIGN}"
    issuing_der = requests.get(f"{base}/ca/sm2-issuing.cer", timeout=10).content
    root_der = requests.get(f"{base}/ca/sm2-root.cer", timeout=10).content
    (tmp_path / "issuing.der").write_bytes(issuing_der)
    openssl("x509", "-inform", "DER", "-in", str(tmp_path / "issuing.der"), "-out", str(tmp_path / "issuing.pem"))
    (tmp_path / "root.der").write_bytes(root_der)
    openssl("x509", "-inform", "DER", "-in", str(tmp_path / "root.der"), "-out", str(tmp_path / "root.pem"))

    good, text = _ocsp(tmp_path, f"{base}/ocsp", "leaf.pem", "issuing.pem")
    assert "leaf.pem: good" in text and "SM2-with-SM3" in text and "Response Status: successful" in text
    basic = _basic(good)
    assert _sm2_signature_verifies(issuing_der, basic["tbs_response_data"].dump(), basic["signature"].native, tmp_path)
    assert not _sm2_signature_verifies(root_der, basic["tbs_response_data"].dump(), basic["signature"].native,
                                       tmp_path)
    assert basic["tbs_response_data"]["response_extensions"][0]["extn_id"].native == "nonce"  # echoed

    assert li.post(f"{ESIGN}/certificates/{made['id']}/revoke", json={"reason": "superseded"}).status_code == 200
    revoked, text = _ocsp(tmp_path, f"{base}/ocsp", "leaf.pem", "issuing.pem")
    assert "leaf.pem: revoked" in text and "Reason: superseded" in text, text
    basic = _basic(revoked)
    assert _sm2_signature_verifies(issuing_der, basic["tbs_response_data"].dump(), basic["signature"].native, tmp_path)

    # The SM2 issuing CA's own status, answered and signed by the SM2 root.
    by_root, text = _ocsp(tmp_path, f"{base}/ocsp", "issuing.pem", "root.pem")
    assert "issuing.pem: good" in text, text
    basic = _basic(by_root)
    assert _sm2_signature_verifies(root_der, basic["tbs_response_data"].dump(), basic["signature"].native, tmp_path)


def test_the_ca_bundle_has_both_roots_under_the_national_suite(li, tmp_path):
    bundle = li.get(f"{ESIGN}/ca.pem").data
    (tmp_path / "ca.pem").write_bytes(bundle)
    subjects = openssl("crl2pkcs7", "-nocrl", "-certfile", str(tmp_path / "ca.pem"))
    assert subjects.returncode == 0, subjects.stderr
    printed = openssl("pkcs7", "-print_certs", "-noout", data=subjects.stdout).stdout.decode()
    names = [line for line in printed.splitlines() if line.startswith("subject=")]
    assert len(names) == 4
    assert "Root CA" in names[0] and "Issuing CA" in names[1]
    assert "SM2 Root CA" in names[2] and "SM2 Issuing CA" in names[3]
    # An SM2 certificate verifies against the bundle (its SM2 issuing CA as the anchor).
    _certificate(li, tmp_path)
    ok = openssl("verify", "-vfyopt", "distid:1234567812345678", "-partial_chain", "-CAfile", str(tmp_path / "ca.pem"),
                 str(tmp_path / "leaf.pem"))
    assert ok.returncode == 0, ok.stdout + ok.stderr


def test_sm2_authorities_made_before_the_pointers_are_certified_again_with_the_same_keys(app):
    from nanhaitong import db
    from nanhaitong.esign import national, sm2_pki
    from nanhaitong.timeutil import utcnow

    with app.app_context():
        rows = national.ensure()
        old = national.certificate("issuing")
        root = national.certificate("root")
        # The issuing CA as it was made before: no CRL distribution point, no OCSP address.
        bare = sm2_pki.certificate(subject=old.subject, public_der=old.public_key.dump(), issuer=root,
                                   sign=lambda data: national.sign_as("root", data), not_before=utcnow(), days=3650,
                                   ca=True, key_usage=("key_cert_sign", "crl_sign"))
        with db.unit_of_work():
            rows["issuing"].certificate_der = bare.dump()
        again = national.certificate("issuing")  # first use: certified again
        assert again.crl_distribution_points[0].url.endswith("/crl/sm2/root")
        assert again.public_key.dump() == old.public_key.dump() and again.subject == old.subject
        assert again.serial_number != bare.serial_number
