"""Signatures that outlive their certificates (issue 22), checked with tools that are not ours,
run as processes: pyhanko-cli (``pyhanko sign validate`` fetching revocation data over HTTP
from the addresses in the certificates, and ``pyhanko sign adesverify`` for the long-term
AdES judgement from the embedded data), poppler's ``pdfsig``, ``pdffonts`` and ``pdftotext``.
"""

from __future__ import annotations

import re
import shutil
from datetime import datetime, timedelta, timezone

import pytest

from tests.crypto_suite import pades_only
from tests.support.citizens import LI
from tests.support.esign import ESIGN, issue, sign
from tests.support.signing import run, validate_ades, validate_online, write

from .conftest import clean_pdf, register_seal, verify

GUICHENG_NAME = "佛山市南海区桂城智造科技有限公司"
# Debian packages poppler-utils (pdfsig, pdffonts, pdftotext) and libnss3-tools (certutil).
needs_poppler = pytest.mark.skipif(shutil.which("pdfsig") is None, reason="poppler-utils is not installed")
needs_certutil = pytest.mark.skipif(shutil.which("certutil") is None, reason="libnss3-tools is not installed")


@pades_only
def test_a_fresh_signature_is_valid_with_long_term_data_for_outside_tools(li, tmp_path):
    cert = issue(li)
    _, signed = sign(li, cert["id"], clean_pdf(), page=1, x=300, y=60, width=250, height=80)
    write(tmp_path, li, signed)

    online = validate_online(tmp_path)
    assert online.returncode == 0 and "judged VALID" in online.stdout, online.stdout + online.stderr
    assert "The signer's certificate is trusted" in online.stdout
    ades = validate_ades(tmp_path)
    assert ades.returncode == 0, ades.stdout + ades.stderr

    # Our own answer keeps the questions apart.
    [signature] = verify(li, signed)["signatures"]
    assert signature["verdict"] == "valid" and signature["valid"] is True
    assert signature["intact"] and signature["signer_identified"] and signature["chain_trusted"]
    assert signature["signer_name"] == LI.name
    assert signature["timestamp_trusted"] is True and signature["trusted_time_source"] == "signature_timestamp"
    assert signature["revocation"]["status"] == "good"
    assert signature["long_term"] == {"present": True, "dss": True, "signer_revocation_data": True,
                                      "document_timestamp_time": signature["long_term"]["document_timestamp_time"]}
    assert signature["long_term"]["document_timestamp_time"].endswith("Z")


@needs_poppler
@needs_certutil
@pades_only
def test_pdfsig_reads_the_signature_valid_and_the_document_timestamp(li, tmp_path):
    cert = issue(li)
    _, signed = sign(li, cert["id"], clean_pdf())
    path = write(tmp_path, li, signed)
    nssdir = tmp_path / "nss"
    nssdir.mkdir()
    # Import the root as a trusted CA, as a relying party would.
    assert run("certutil", "-N", "-d", f"sql:{nssdir}", "--empty-password").returncode == 0
    added = run("certutil", "-A", "-d", f"sql:{nssdir}", "-n", "nanhaitong-root", "-t", "C,C,C",
                "-i", str(tmp_path / "root.pem"))
    assert added.returncode == 0, added.stderr
    result = run("pdfsig", "-nssdir", f"sql:{nssdir}", "-no-ocsp", str(path))
    blocks = result.stdout.split("Signature #")[1:]
    assert len(blocks) == 2, result.stdout
    signature, timestamp = blocks
    assert f"Signer Certificate Common Name: {LI.name}" in signature
    assert "Signature Validation: Signature is Valid." in signature
    assert "Signature Type: ETSI.CAdES.detached" in signature
    assert "Certificate Validation: Certificate is Trusted." in signature, result.stdout
    # The document timestamp (PAdES B-LTA) by our timestamp authority.
    assert "Signer Certificate Common Name: Nanhai-Tong Timestamp Authority" in timestamp


@needs_poppler
def test_the_stamp_says_who_signed_and_when_in_chinese_in_an_embedded_subset_font(li, chen, tmp_path):
    cert = issue(li)
    before = datetime.now(timezone(timedelta(hours=8)))
    _, signed = sign(li, cert["id"], clean_pdf(), page=1, x=300, y=60, width=250, height=80)
    path = write(tmp_path, li, signed)
    text = run("pdftotext", "-enc", "UTF-8", str(path), "-").stdout
    assert LI.name in text, text
    # China Standard Time as people read it: 2026年12月4日 19:08 (the minute may have turned).
    times = {f"{t.year}年{t.month}月{t.day}日 {t:%H:%M}" for t in (before, before + timedelta(minutes=1))}
    assert any(t in text for t in times), text
    assert cert["serial"].upper() in text.replace("\n", "")
    fonts = run("pdffonts", str(path)).stdout
    [cjk] = [line for line in fonts.splitlines() if "WenQuanYi" in line]
    assert re.match(r"^[A-Z]{6}\+", cjk), fonts  # a subset
    assert re.search(r"CID TrueType\s+Identity-H\s+yes\s+yes\s+yes", cjk), fonts  # embedded, subset, ToUnicode

    # A seal's stamp names the enterprise.
    seal_cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    register_seal(chen, seal_cert["id"])
    _, sealed = sign(chen, seal_cert["id"], clean_pdf(), page=1, x=300, y=60, width=200, height=120)
    sealed_text = run("pdftotext", "-enc", "UTF-8", str(write(tmp_path, chen, sealed, "sealed.pdf")), "-").stdout
    assert "盖章单位" in sealed_text and GUICHENG_NAME in sealed_text.replace("\n", "")


def test_a_certificate_revoked_later_as_superseded_leaves_the_signature_valid(li, tmp_path):
    cert = issue(li)
    _, signed = sign(li, cert["id"], clean_pdf())
    revoked = li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={"reason": "superseded"})
    assert revoked.status_code == 200 and revoked.get_json()["revocation_reason"] == "superseded"
    [signature] = verify(li, signed)["signatures"]
    assert signature["verdict"] == "valid" and signature["valid"] is True, (signature["verdict_code"], signature["revocation"], signature["trusted_time"])
    assert signature["chain_trusted"] is True and signature["revoked"] is True
    assert signature["revocation"]["status"] == "revoked_after_signing"
    assert signature["revocation"]["reason"] == "superseded"
    assert signature["verdict_code"] == "valid_revoked_later"
    # pyhanko-cli's long-term validation agrees (revocation data required, judged at the proven time).
    write(tmp_path, li, signed)
    ades = validate_ades(tmp_path)
    assert ades.returncode == 0, ades.stdout + ades.stderr


@pytest.mark.parametrize("reason", ["affiliation_changed", "cessation_of_operation"])
def test_other_benign_reasons_after_signing_leave_it_valid(li, reason):
    cert = issue(li)
    _, signed = sign(li, cert["id"], clean_pdf())
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke", json={"reason": reason}).status_code == 200
    [signature] = verify(li, signed)["signatures"]
    assert signature["valid"] is True and signature["revocation"]["reason"] == reason


def test_a_key_compromised_before_signing_makes_it_invalid_with_the_reason(li):
    cert = issue(li)
    _, signed = sign(li, cert["id"], clean_pdf())
    since = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
    revoked = li.post(f"{ESIGN}/certificates/{cert['id']}/revoke",
                      json={"reason": "key_compromise", "invalidity_date": since})
    assert revoked.status_code == 200, revoked.get_json()
    [signature] = verify(li, signed)["signatures"]
    assert signature["verdict"] == "invalid" and signature["valid"] is False
    assert signature["intact"] is True and signature["chain_trusted"] is True  # the other answers stand apart
    assert signature["revocation"]["status"] == "revoked" and signature["revocation"]["reason"] == "key_compromise"
    assert signature["revocation"]["invalidity_date"].endswith("Z")
    assert signature["verdict_code"] == "key_compromised_before_signing"
    assert "compromised" in signature["verdict_reason"]


def test_a_key_compromised_only_after_signing_leaves_it_valid(li):
    cert = issue(li)
    _, signed = sign(li, cert["id"], clean_pdf())
    since = datetime.now(timezone.utc).isoformat()  # after the signature's timestamp
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke",
                   json={"reason": "key_compromise", "invalidity_date": since}).status_code == 200
    [signature] = verify(li, signed)["signatures"]
    assert signature["valid"] is True and signature["revocation"]["status"] == "revoked_after_signing"


def test_an_invalidity_date_is_for_key_compromise_only_and_not_in_the_future(li):
    cert = issue(li)
    later = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke",
                   json={"reason": "key_compromise", "invalidity_date": later}).status_code == 422
    earlier = (datetime.now(timezone.utc) - timedelta(days=1)).isoformat()
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/revoke",
                   json={"reason": "superseded", "invalidity_date": earlier}).status_code == 422


def test_renewal_gives_a_new_key_and_earlier_signatures_still_verify(li, tmp_path):
    cert = issue(li)
    _, signed = sign(li, cert["id"], clean_pdf())
    renewed = li.post(f"{ESIGN}/certificates/{cert['id']}/renew")
    assert renewed.status_code == 201, renewed.get_json()
    new = renewed.get_json()
    assert new["status"] == "active" and new["replaces_id"] == cert["id"] and new["serial"] != cert["serial"]
    assert new["certificate_pem"] != cert["certificate_pem"]
    listed = {c["id"]: c for c in li.get(f"{ESIGN}/certificates").get_json()["items"]}
    assert listed[cert["id"]]["status"] == "revoked" and listed[cert["id"]]["revocation_reason"] == "superseded"
    # The old certificate no longer signs; the new one does.
    assert li.post(f"{ESIGN}/certificates/{cert['id']}/renew").status_code == 409
    _, signed_again = sign(li, new["id"], clean_pdf())
    [old_signature] = verify(li, signed)["signatures"]
    [new_signature] = verify(li, signed_again)["signatures"]
    assert old_signature["valid"] is True and old_signature["revocation"]["status"] == "revoked_after_signing"
    assert new_signature["valid"] is True and new_signature["certificate_serial"] == new["serial"]
    write(tmp_path, li, signed)
    assert validate_ades(tmp_path).returncode == 0


def test_an_enterprise_renews_its_seal_certificate_and_keeps_its_seal(chen):
    seal_cert = issue(chen, "enterprise_seal", enterprise_id=chen.enterprise_id)
    seal = register_seal(chen, seal_cert["id"])
    renewed = chen.post(f"{ESIGN}/certificates/{seal_cert['id']}/renew")
    assert renewed.status_code == 201, renewed.get_json()
    seals = chen.get(f"{ESIGN}/seals", query_string={"enterprise_id": chen.enterprise_id}).get_json()["items"]
    [moved] = [s for s in seals if s["id"] == seal["id"]]
    assert moved["status"] == "active" and moved["certificate_id"] == renewed.get_json()["id"]
