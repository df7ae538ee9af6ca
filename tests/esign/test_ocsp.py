"""The OCSP responder (RFC 6960) and the revocation pointers in every certificate, checked
with the ``openssl`` command line against our live server."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import requests
from asn1crypto import tsp
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID

from tests.crypto_suite import international_pki_only
from tests.support.esign import ESIGN, issue
from tests.support.signing import openssl


def _pointers(cert: x509.Certificate) -> tuple[str, str]:
    crl = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value[0].full_name[0].value
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    [ocsp] = [a.access_location.value for a in aia if a.access_method == AuthorityInformationAccessOID.OCSP]
    return crl, ocsp


def _setup(citizen, tmp_path) -> tuple[dict, str]:
    cert = issue(citizen)
    (tmp_path / "leaf.pem").write_text(cert["certificate_pem"])
    bundle = citizen.get(f"{ESIGN}/ca.pem").data
    (tmp_path / "ca.pem").write_bytes(bundle)
    root, issuing = x509.load_pem_x509_certificates(bundle)
    (tmp_path / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "issuing.pem").write_bytes(issuing.public_bytes(serialization.Encoding.PEM))
    _, ocsp_url = _pointers(x509.load_pem_x509_certificate(cert["certificate_pem"].encode()))
    return cert, ocsp_url


def ocsp_status(tmp_path, url: str, cert_file: str = "leaf.pem", issuer: str = "issuing.pem"):
    return openssl("ocsp", "-issuer", str(tmp_path / issuer), "-cert", str(tmp_path / cert_file), "-url", url,
                   "-CAfile", str(tmp_path / "root.pem"), "-resp_text")


@international_pki_only
def test_every_certificate_names_its_crl_and_ocsp_responder_and_both_answer(li, tmp_path):
    cert, ocsp_url = _setup(li, tmp_path)
    base = li.app.config["ISSUER"]
    leaf = x509.load_pem_x509_certificate(cert["certificate_pem"].encode())
    root, issuing = x509.load_pem_x509_certificates(li.get(f"{ESIGN}/ca.pem").data)
    tsa = _tsa_certificate(li)
    assert _pointers(leaf) == (f"{base}{ESIGN}/crl", f"{base}{ESIGN}/ocsp")
    assert _pointers(issuing) == (f"{base}{ESIGN}/crl/root", f"{base}{ESIGN}/ocsp")
    assert _pointers(tsa) == (f"{base}{ESIGN}/crl/root", f"{base}{ESIGN}/ocsp")
    # caIssuers: the issuer's certificate, DER.
    assert requests.get(f"{base}{ESIGN}/ca/issuing.cer", timeout=10).content == issuing.public_bytes(
        serialization.Encoding.DER)
    assert requests.get(f"{base}{ESIGN}/ca/other.cer", timeout=10).status_code == 404
    for url, issuer in ((f"{base}{ESIGN}/crl", issuing), (f"{base}{ESIGN}/crl/root", root)):
        answer = requests.get(url, timeout=10)
        assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/pkix-crl"
        crl = x509.load_der_x509_crl(answer.content)
        assert crl.is_signature_valid(issuer.public_key()) and crl.issuer == issuer.subject


def _tsa_certificate(citizen) -> x509.Certificate:
    """The TSA certificate, as a relying party finds it: inside a timestamp token."""
    query = tsp.TimeStampReq({"version": 1, "message_imprint": {
        "hash_algorithm": {"algorithm": "sha256"}, "hashed_message": hashlib.sha256(b"x").digest()},
        "cert_req": True}).dump()
    reply = citizen.post(f"{ESIGN}/tsa", data=query, content_type="application/timestamp-query")
    assert reply.status_code == 200
    token = tsp.TimeStampResp.load(reply.data)["time_stamp_token"]["content"]
    certs = [x509.load_der_x509_certificate(c.chosen.dump()) for c in token["certificates"]]
    [tsa] = [c for c in certs if "Timestamp Authority" in c.subject.rfc4514_string()]
    return tsa


@international_pki_only
def test_openssl_ocsp_good_before_and_revoked_after_with_a_verified_delegated_answer(li, tmp_path):
    cert, ocsp_url = _setup(li, tmp_path)
    good = ocsp_status(tmp_path, ocsp_url)
    assert good.returncode == 0, good.stderr
    assert b"Response verify OK" in good.stderr, good.stderr
    assert b"leaf.pem: good" in good.stdout, good.stdout
    # Answered by a delegated OCSP signing certificate issued by the issuing CA.
    assert b"OCSP Signing" in good.stdout and b"OCSP No Check" in good.stdout
    assert b"Issuing CA OCSP Responder" in good.stdout

    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={"reason": "superseded"}).status_code == 200
    revoked = ocsp_status(tmp_path, ocsp_url)
    assert revoked.returncode == 0 and b"Response verify OK" in revoked.stderr, revoked.stderr
    assert b"leaf.pem: revoked" in revoked.stdout and b"Reason: superseded" in revoked.stdout, revoked.stdout


@international_pki_only
def test_ocsp_over_get_and_for_the_issuing_ca(li, tmp_path):
    _, ocsp_url = _setup(li, tmp_path)
    # The request made by openssl, sent over GET (base64, URL-encoded, in the path).
    made = openssl("ocsp", "-issuer", str(tmp_path / "issuing.pem"), "-cert", str(tmp_path / "leaf.pem"),
                   "-no_nonce", "-reqout", str(tmp_path / "req.der"))
    assert made.returncode == 0, made.stderr
    encoded = quote(base64.b64encode((tmp_path / "req.der").read_bytes()).decode(), safe="")
    answer = requests.get(f"{ocsp_url}/{encoded}", timeout=10)
    assert answer.status_code == 200 and answer.headers["Content-Type"] == "application/ocsp-response"
    (tmp_path / "resp.der").write_bytes(answer.content)
    checked = openssl("ocsp", "-respin", str(tmp_path / "resp.der"), "-issuer", str(tmp_path / "issuing.pem"),
                      "-cert", str(tmp_path / "leaf.pem"), "-CAfile", str(tmp_path / "root.pem"))
    assert checked.returncode == 0 and b"Response verify OK" in checked.stderr, checked.stderr
    assert b"leaf.pem: good" in checked.stdout
    # The issuing CA's own status, answered by the root's delegated responder.
    by_root = ocsp_status(tmp_path, ocsp_url, cert_file="issuing.pem", issuer="root.pem")
    assert by_root.returncode == 0 and b"Response verify OK" in by_root.stderr, by_root.stderr
    assert b"issuing.pem: good" in by_root.stdout
    assert b"Root CA OCSP Responder" in by_root.stdout


def test_a_malformed_ocsp_request_gets_an_ocsp_error_not_a_500(li):
    answer = li.post(f"{ESIGN}/ocsp", data=b"not der", content_type="application/ocsp-request")
    assert answer.status_code == 200 and answer.mimetype == "application/ocsp-response"
    assert ocsp.load_der_ocsp_response(answer.data).response_status == ocsp.OCSPResponseStatus.MALFORMED_REQUEST
    assert li.post(f"{ESIGN}/ocsp", data=b"x", content_type="text/plain").status_code == 415
