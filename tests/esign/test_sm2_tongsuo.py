"""The checks Debian's OpenSSL 3.0 cannot make on SM2 (docs/crypto.md), made by a second
independent implementation in a process of its own: Tongsuo (BabaSSL), as the `tongsuopy`
wheel bundles it (tests/support/tongsuo_verify.py).

- `verify -crl_check_all` equivalent: an SM2 certificate fetched over HTTP chains to the SM2
  root with the SM2 CRLs fetched from its CRL distribution points; a revoked one is refused
  as revoked; a CRL with a broken signature is refused;
- `ts -verify` equivalent: an SM2 RFC 3161 timestamp token's signer info (the SM2 signature
  over the signed attributes, the messageDigest over the TSTInfo), its TSA certificate
  (purpose timestampsign, CRL-checked against the SM2 root's CRL), and its imprint (SM3 of
  the data, by `openssl dgst`).

Skipped, saying why, where tongsuopy is not installed (nor named by NHT_TEST_TONGSUO_PYTHON).
Runs in both suites' runs: the app here is always the national suite's.
"""

from __future__ import annotations

import shutil

import pytest
import requests
from asn1crypto import cms, tsp

from nanhaitong.esign import national, sm2_status
from tests.support.esign import ESIGN, issue
from tests.support.ses import TONGSUO_SKIP, openssl, sm3_hex, tongsuo, tongsuo_python
from tests.support.settings import APP_SETTINGS

pytestmark = [pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line"),
              pytest.mark.skipif(tongsuo_python() is None, reason=TONGSUO_SKIP)]


@pytest.fixture
def app(make_app, live_server):
    return make_app(**APP_SETTINGS, ISSUER=live_server.url, CRYPTO_SUITE="national")


def _save(tmp_path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    return str(tmp_path / name)


def _der(tmp_path, name: str, pem: str) -> str:
    (tmp_path / f"{name}.pem").write_text(pem)
    done = openssl("x509", "-in", str(tmp_path / f"{name}.pem"), "-outform", "DER", "-out", str(tmp_path / f"{name}.der"))
    assert done.returncode == 0, done.stderr
    return str(tmp_path / f"{name}.der")


def test_sm2_certificates_and_crls_fetched_over_http_verify_with_crl_checks(li, tmp_path):
    base = f"{li.app.config['ISSUER']}{ESIGN}"
    good, revoked = issue(li), issue(li)
    assert li.post(f"{ESIGN}/certificates/{revoked['id']}/revoke", json={"reason": "key_compromise"}).status_code == 200
    root = _save(tmp_path, "root.der", requests.get(f"{base}/ca/sm2-root.cer", timeout=10).content)
    issuing = _save(tmp_path, "issuing.der", requests.get(f"{base}/ca/sm2-issuing.cer", timeout=10).content)
    crl = _save(tmp_path, "crl.der", requests.get(f"{base}/crl/sm2", timeout=10).content)
    root_crl = _save(tmp_path, "root-crl.der", requests.get(f"{base}/crl/sm2/root", timeout=10).content)

    assert tongsuo("crl", crl, issuing) == {"ok": True}
    assert tongsuo("crl", root_crl, root) == {"ok": True}
    assert tongsuo("crl", crl, root) == {"ok": False}  # not the root's signature
    checks = ["--trust", root, "--trust", issuing, "--crl", crl, "--crl", root_crl]
    assert tongsuo("chain", *checks, _der(tmp_path, "good", good["certificate_pem"])) == {"ok": True, "error": "ok"}
    assert tongsuo("chain", *checks, _der(tmp_path, "revoked", revoked["certificate_pem"])) == {
        "ok": False, "error": "certificate revoked"}
    # A CRL whose signature is broken is refused, and so is the chain checked with it.
    data = bytearray((tmp_path / "crl.der").read_bytes())
    data[-3] ^= 0x01
    broken = _save(tmp_path, "broken.der", bytes(data))
    assert tongsuo("crl", broken, issuing) == {"ok": False}
    refused = tongsuo("chain", "--trust", root, "--trust", issuing, "--crl", broken, "--crl", root_crl,
                      str(tmp_path / "good.der"))
    assert refused == {"ok": False, "error": "CRL signature failure"}


def test_an_sm2_timestamp_token_verifies_like_openssl_ts_verify(app, tmp_path):
    message = "南海通 时间戳".encode() * 10
    with app.app_context():
        token = national.timestamp(message)
        tsa, root = national.certificate("tsa").dump(), national.certificate("root").dump()
        root_crl = sm2_status.crl_der("root")
    token_file, tsa_file = _save(tmp_path, "token.der", token), _save(tmp_path, "tsa.der", tsa)
    root_file, crl_file = _save(tmp_path, "root.der", root), _save(tmp_path, "root-crl.der", root_crl)

    assert tongsuo("signer", token_file, tsa_file) == {"signature": True, "message_digest": True}
    assert tongsuo("chain", "--trust", root_file, "--crl", crl_file, "--purpose", "timestampsign", tsa_file) == {
        "ok": True, "error": "ok"}
    # The imprint is SM3 of the data (openssl's SM3), and the token is the TSA's.
    info = cms.ContentInfo.load(token)["content"]
    tst = tsp.TSTInfo.load(bytes(info["encap_content_info"]["content"]))
    assert tst["message_imprint"]["hashed_message"].native.hex() == sm3_hex(message)
    assert info["certificates"][0].chosen.dump() == tsa

    # A token whose SM2 signature is altered is refused.
    altered = cms.ContentInfo.load(token)
    signature = bytearray(altered["content"]["signer_infos"][0]["signature"].native)
    signature[-1] ^= 0x01
    altered["content"]["signer_infos"][0]["signature"] = bytes(signature)
    bad = _save(tmp_path, "bad.der", altered.dump(force=True))
    assert tongsuo("signer", bad, tsa_file) == {"signature": False, "message_digest": True}
    # A certificate that is not a TSA's is refused for timestamps.
    with app.app_context():
        maker = national.certificate("seal_maker").dump()
    assert tongsuo("chain", "--trust", root_file, "--crl", crl_file, "--purpose", "timestampsign",
                   _save(tmp_path, "maker.der", maker))["ok"] is False
