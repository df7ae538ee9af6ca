"""Detached CMS signatures: asked, confirmed by an SMS code that names what is signed, then
checked with the ``openssl`` command line (``openssl cms -verify`` for ECDSA; piece by piece
for SM2 under the national suite); the signer's inbox has the notice."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.crypto_suite import NATIONAL
from tests.support.audit import audit_rows
from tests.support.errors import assert_error
from tests.support.esign import ESIGN, esign_code, issue
from tests.support.messages import inbox
from tests.support.ses import public_pem, sm2_verifies
from tests.support.signing import openssl

from .conftest import last_sms


def ask(signer, certificate_id: str, digest: str, title: str = "借款合同.pdf"):
    return signer.post(f"{ESIGN}/detached-signatures",
                       json={"certificate_id": certificate_id, "sha256": digest, "title": title})


@pytest.mark.parametrize("kind", ["personal", "seal"])
def test_a_detached_signature_is_confirmed_by_sms_and_verifies_with_openssl_cms(li, chen, tmp_path, kind):
    signer = li if kind == "personal" else chen
    cert = issue(li) if kind == "personal" else issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    content = "南海通 detached signature test\n".encode() * 50
    digest = hashlib.sha256(content).hexdigest()
    asked = ask(signer, cert["id"], digest)
    assert asked.status_code == 202, asked.get_json()
    body = asked.get_json()
    assert body["status"] == "pending_confirmation" and body["signature_base64"] is None
    # The SMS says what the code approves: the title and the start of the digest.
    text = last_sms(signer)
    assert "借款合同.pdf" in text and digest[:8] in text
    confirmed = signer.post(f"{ESIGN}/detached-signatures/{body['id']}/confirm", json={"code": esign_code(signer)})
    assert confirmed.status_code == 200, confirmed.get_json()
    signed = confirmed.get_json()
    assert signed["status"] == "signed"
    (tmp_path / "sig.der").write_bytes(base64.b64decode(signed["signature_base64"]))
    (tmp_path / "content").write_bytes(content)
    if NATIONAL:
        check_sm2_cms(signer.app, base64.b64decode(signed["signature_base64"]), content, tmp_path)
    else:
        check_with_openssl_cms(signer, signed, content, tmp_path)
    # Audited (asked and signed), and the signer's inbox has the notice naming the document.
    assert [e.object_id for e in audit_rows(li.app, "esign.detached_requested")] == [body["id"]]
    [event] = audit_rows(li.app, "esign.detached_signed")
    assert event.object_id == body["id"]
    notices = [m for m in inbox(signer) if m.get("data", {}).get("detached_signature_id") == body["id"]]
    assert notices and "借款合同.pdf" in notices[0]["body"]


def check_with_openssl_cms(signer, signed: dict, content: bytes, tmp_path) -> None:
    """ECDSA CMS: `openssl cms -verify` against the published CA bundle."""
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
    (tmp_path / "sig.pem").write_text(signed["signature_pem"])
    as_pem = openssl("cms", "-verify", "-binary", "-inform", "PEM", "-in", str(tmp_path / "sig.pem"),
                     "-content", str(tmp_path / "content"), "-CAfile", str(tmp_path / "ca.pem"),
                     "-out", str(tmp_path / "out3"))
    assert as_pem.returncode == 0, as_pem.stderr


def check_sm2_cms(app, der: bytes, content: bytes, tmp_path) -> None:
    """SM2 CMS (national suite). OpenSSL 3.0's `cms -verify` checks SM2 with an empty
    distinguishing identifier (docs/crypto.md), so its parts are checked one by one with
    openssl: the structure printed by `cms -cmsout -print`, messageDigest against `dgst
    -sha256` of the content, the SM2 signature over the signed attributes by `dgst -sm3
    -verify`, and the signer's certificate by `verify` up to the platform's SM2 root."""
    from asn1crypto import cms

    from nanhaitong.esign import national, sm2_pki

    printed = openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", str(tmp_path / "sig.der"))
    assert printed.returncode == 0, printed.stderr
    assert b"1.2.156.10197.1.301.1" in printed.stdout or b"SM2" in printed.stdout
    signed = cms.ContentInfo.load(der)["content"]
    [signer_info] = signed["signer_infos"]
    attrs = {a["type"].native: a["values"][0].native for a in signer_info["signed_attrs"]}
    sha256 = openssl("dgst", "-sha256", "-r", str(tmp_path / "content")).stdout.split()[0].decode()
    assert attrs["message_digest"].hex() == sha256
    assert attrs["message_digest"] != hashlib.sha256(content + b"!").digest()
    certs = [c.chosen for c in signed["certificates"]]
    signer_cert = next(c for c in certs if c.serial_number == signer_info["sid"].chosen["serial_number"].native)
    pub = public_pem(signer_cert.dump(), tmp_path, "signer")
    signed_attrs = b"\x31" + signer_info["signed_attrs"].dump()[1:]  # signed as a SET OF (RFC 5652 5.4)
    assert sm2_verifies(pub, signed_attrs, signer_info["signature"].native, tmp_path)
    assert not sm2_verifies(pub, signed_attrs + b"\x00", signer_info["signature"].native, tmp_path)
    with app.app_context():
        root, issuing = national.certificate("root"), national.certificate("issuing")
    for name, cert in (("root", root), ("issuing", issuing), ("holder", signer_cert)):
        (tmp_path / f"{name}.pem").write_bytes(sm2_pki.pem(cert))
    for subject, issuer in (("holder", "issuing"), ("issuing", "root")):
        ok = openssl("verify", "-vfyopt", "distid:1234567812345678", "-partial_chain",
                     "-CAfile", str(tmp_path / f"{issuer}.pem"), str(tmp_path / f"{subject}.pem"))
        assert ok.returncode == 0, ok.stdout + ok.stderr
    assert any(a["type"].native == "signature_time_stamp_token" for a in signer_info["unsigned_attrs"])


def test_a_detached_signature_without_the_code_is_refused(li):
    cert = issue(li)
    digest = hashlib.sha256(b"I owe Mallory 1,000,000 CNY").hexdigest()
    body = ask(li, cert["id"], digest, "IOU").get_json()
    code = esign_code(li)
    wrong = "000000" if code != "000000" else "111111"
    assert_error(li.post(f"{ESIGN}/detached-signatures/{body['id']}/confirm", json={"code": wrong}),
                 401, "invalid_code")
    still = li.get(f"{ESIGN}/detached-signatures/{body['id']}").get_json()
    assert still["status"] == "pending_confirmation" and still["signature_base64"] is None
    [failed] = audit_rows(li.app, "esign.confirmation_failed")
    assert failed.object_id == body["id"]
    assert not audit_rows(li.app, "esign.detached_signed")


def test_a_detached_signature_needs_a_live_certificate_of_ones_own(li, chen):
    cert = issue(li)
    digest = "ab" * 32
    assert_error(ask(chen, cert["id"], digest), 404, "esign_certificate_not_found")
    assert_error(ask(li, cert["id"], "xyz"), 422, "validation_failed")
    assert_error(li.post(f"{ESIGN}/detached-signatures", json={"certificate_id": cert["id"], "sha256": digest}),
                 422, "validation_failed")  # no title: the SMS must say what is signed
    body = ask(li, cert["id"], digest).get_json()
    # Someone else cannot confirm it, not even with a code of their own.
    assert chen.post(f"{ESIGN}/detached-signatures/{body['id']}/confirm", json={"code": "123456"}).status_code == 404
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={}).status_code == 200
    assert_error(ask(li, cert["id"], digest), 409, "certificate_revoked")
