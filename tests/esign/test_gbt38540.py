"""GB/T 38540-2020 seals and seal signatures, checked by OpenSSL 3's command line.

The SES_Signature the platform makes is parsed by `openssl asn1parse` into the standard's
fields; the bytes the standard says are signed are cut out at the offsets OpenSSL reports,
and both SM2 signatures (the signer's over TBS_Sign, the seal maker's over
SEQUENCE{eSealInfo, cert, signAlgID}) verify with `openssl dgst -sm3 -verify`. The SM2
certificates verify with `openssl verify`, and the CRL's signature and contents with
`openssl dgst` / `openssl crl`. A tampered document hash is refused by our verifier.
"""

from __future__ import annotations

import hashlib
import re
import shutil

import pytest

from nanhaitong.esign import gbt38540, national, sm2_pki
from nanhaitong.security import sm2
from tests.support.ses import asn1parse, children, cut, openssl, public_pem, sm2_verifies

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")

DOCUMENT = "南海区某公司 采购合同 第 2026-118 号".encode() * 50


@pytest.fixture
def sealed(app):
    with app.app_context():
        holder_key = sm2.SM2PrivateKey.generate()
        holder = national.issue(holder_key.public_der(), "佛山市南海区示例科技有限公司")
        seal = national.make_seal(es_id="440605000000000001", name="佛山市南海区示例科技有限公司合同专用章",
                                  holder_certs=[holder.dump()], picture_png=b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
        signature = national.seal_document(seal=seal, document=DOCUMENT, property_info="contract-2026-118.pdf",
                                           holder_cert=holder.dump(), holder_key=holder_key)
        return {"der": signature.dump(), "holder": holder, "holder_key": holder_key,
                "root": national.certificate("root"), "issuing": national.certificate("issuing"),
                "maker": national.certificate("seal_maker")}


def test_an_ses_signature_parses_into_the_standards_fields_and_both_signatures_verify_with_openssl(
        app, sealed, tmp_path):
    der = sealed["der"]
    (tmp_path / "ses.der").write_bytes(der)
    rows = asn1parse(tmp_path / "ses.der")
    top = rows[0]
    assert top[4] == "SEQUENCE" and top[2] + top[3] == len(der)
    to_sign, cert, alg, signature, time_stamp = children(rows, top)
    assert [to_sign[4], cert[4], alg[4], signature[4], time_stamp[4]] == [
        "SEQUENCE", "OCTET STRING", "OBJECT", "BIT STRING", "cont [ 0 ]"]
    assert alg[5] == "SM2-with-SM3"

    version, eseal, time_info, data_hash, property_info = children(rows, to_sign)
    assert (version[4], version[5]) == ("INTEGER", "04")
    assert time_info[4] == "GENERALIZEDTIME" and time_info[5].endswith("Z")
    assert data_hash[4] == "BIT STRING" and property_info == (*property_info[:4], "IA5STRING", "contract-2026-118.pdf")
    # dataHash is SM3 of the document (computed by openssl here, not by our code).
    (tmp_path / "doc").write_bytes(DOCUMENT)
    sm3_hex = openssl("dgst", "-sm3", "-r", str(tmp_path / "doc")).stdout.split()[0].decode()
    assert cut(der, data_hash)[-32:].hex() == sm3_hex and data_hash[3] == 33  # 0 unused bits + 32 bytes

    seal_info, maker_cert, seal_alg, signed_value = children(rows, eseal)
    assert [seal_info[4], maker_cert[4], seal_alg[4], signed_value[4]] == [
        "SEQUENCE", "OCTET STRING", "OBJECT", "BIT STRING"]
    header, es_id, prop, picture = children(rows, seal_info)
    assert [(r[4], r[5]) for r in children(rows, header)] == [("IA5STRING", "ES"), ("INTEGER", "04"),
                                                              ("IA5STRING", "NHT")]
    assert (es_id[4], es_id[5]) == ("IA5STRING", "440605000000000001")
    kinds = [r[4] for r in children(rows, prop)]
    assert kinds == ["INTEGER", "UTF8STRING", "INTEGER", "SEQUENCE", "GENERALIZEDTIME", "GENERALIZEDTIME",
                     "GENERALIZEDTIME"]
    assert [r[4] for r in children(rows, picture)] == ["IA5STRING", "OCTET STRING", "INTEGER", "INTEGER"]

    # The signer's SM2 signature over TBS_Sign, with the certificate carried in `cert`.
    sig = openssl("asn1parse", "-inform", "DER", "-in", str(tmp_path / "ses.der"), "-strparse", str(signature[0]),
                  "-out", str(tmp_path / "signature.der"), "-noout")
    assert sig.returncode == 0, sig.stderr
    signer_cert = cut(der, cert)[cert[2]:]
    signer_pub = public_pem(signer_cert, tmp_path, "signer")
    assert sm2_verifies(signer_pub, cut(der, to_sign), (tmp_path / "signature.der").read_bytes(), tmp_path)
    assert not sm2_verifies(signer_pub, cut(der, to_sign) + b"\x00", (tmp_path / "signature.der").read_bytes(),
                            tmp_path)

    # The seal maker's signature over SEQUENCE { eSealInfo, cert, signAlgID }.
    body = cut(der, seal_info) + cut(der, maker_cert) + cut(der, seal_alg)
    seal_signed = b"\x30" + (b"\x82" + len(body).to_bytes(2, "big") if len(body) > 255 else bytes([len(body)])) + body
    openssl("asn1parse", "-inform", "DER", "-in", str(tmp_path / "ses.der"), "-strparse", str(signed_value[0]),
            "-out", str(tmp_path / "seal_signature.der"), "-noout")
    maker_pub = public_pem(cut(der, maker_cert)[maker_cert[2]:], tmp_path, "maker")
    assert sm2_verifies(maker_pub, seal_signed, (tmp_path / "seal_signature.der").read_bytes(), tmp_path)

    with app.app_context():
        result = national.verify(der, DOCUMENT).as_dict()
    assert result["valid"] is True and result["timestamped"] is True, result


def test_the_timestamp_is_an_rfc3161_token_over_the_signature_signed_sm2(app, sealed, tmp_path):
    der = sealed["der"]
    (tmp_path / "ses.der").write_bytes(der)
    rows = asn1parse(tmp_path / "ses.der")
    *_, signature, time_stamp = children(rows, rows[0])
    [bits] = children(rows, time_stamp)  # [0] EXPLICIT BIT STRING
    assert bits[4] == "BIT STRING"
    for offset, out in ((bits[0], "token.der"), (signature[0], "signature.der")):
        done = openssl("asn1parse", "-inform", "DER", "-in", str(tmp_path / "ses.der"), "-strparse", str(offset),
                       "-out", str(tmp_path / out), "-noout")
        assert done.returncode == 0, done.stderr
    printed = openssl("ts", "-reply", "-in", str(tmp_path / "token.der"), "-token_in", "-text")
    assert printed.returncode == 0, printed.stderr
    text = printed.stdout.decode()
    assert "Hash Algorithm: sm3" in text and "Status: Granted." in text
    imprint = "".join(re.findall(r"^\s+\d{4} - ([0-9a-f -]+?)\s{2,}", text, re.M)).replace(" ", "").replace("-", "")
    sm3_hex = openssl("dgst", "-sm3", "-r", str(tmp_path / "signature.der")).stdout.split()[0].decode()
    assert imprint == sm3_hex  # the token stamps the SES_Signature's signature value

    # The TSA's SM2 signature over the signed attributes (DER as a SET OF, RFC 5652 5.4).
    from asn1crypto import cms

    signed = cms.ContentInfo.load((tmp_path / "token.der").read_bytes())["content"]
    [signer] = signed["signer_infos"]
    attrs = b"\x31" + signer["signed_attrs"].dump()[1:]
    [tsa_cert] = signed["certificates"]
    tsa_pub = public_pem(tsa_cert.chosen.dump(), tmp_path, "tsa")
    assert sm2_verifies(tsa_pub, attrs, signer["signature"].native, tmp_path)
    (tmp_path / "tsa.pem").write_bytes(sm2_pki.pem(tsa_cert.chosen))
    (tmp_path / "root.pem").write_bytes(sm2_pki.pem(sealed["root"]))
    ok = openssl("verify", "-vfyopt", "distid:1234567812345678", "-partial_chain", "-purpose", "timestampsign",
                 "-CAfile", str(tmp_path / "root.pem"), str(tmp_path / "tsa.pem"))
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # A timestamp of something else is refused by our verifier.
    with app.app_context():
        other = national.seal_document(seal=gbt38540.SESSignature.load(der)["to_sign"]["eseal"], document=DOCUMENT,
                                       property_info="x", holder_cert=sealed["holder"].dump(),
                                       holder_key=sealed["holder_key"])
        swapped = gbt38540.SESSignature.load(other.dump())
        swapped["time_stamp"] = gbt38540.SESSignature.load(der)["time_stamp"].native
        refused = national.verify(swapped.dump(), DOCUMENT)
    assert not refused.valid and refused.problems == ["bad_timestamp"]


def test_a_tampered_document_hash_or_document_is_refused(app, sealed):
    der = sealed["der"]
    digest = hashlib.new("sm3", DOCUMENT).digest()
    at = der.index(digest)
    tampered = der[:at] + bytes([digest[0] ^ 1]) + der[at + 1:]
    with app.app_context():
        assert national.verify(der, DOCUMENT).valid
        refused = national.verify(tampered, DOCUMENT)
        assert not refused.valid and {"document_hash_mismatch", "bad_signature"} <= set(refused.problems)
        # A tampered hash that matches a tampered document still breaks the signer's signature.
        other = national.verify(der, DOCUMENT + b" ")
        assert not other.valid and other.problems == ["document_hash_mismatch"]
        assert national.verify(der[:-3], DOCUMENT).problems == ["malformed"]


def test_the_sm2_certificates_and_crl_verify_with_openssl(app, sealed, tmp_path):
    for name in ("root", "issuing", "holder"):
        (tmp_path / f"{name}.pem").write_bytes(sm2_pki.pem(sealed[name]))
    text = openssl("x509", "-in", str(tmp_path / "holder.pem"), "-noout", "-text").stdout.decode()
    assert "Signature Algorithm: SM2-with-SM3" in text and "ASN1 OID: SM2" in text
    # OpenSSL 3.0 applies -vfyopt's distinguishing id to the certificate being verified only
    # (a CA certificate's signature would be checked with an empty id), so the chain is
    # verified one link at a time, each issuer as a partial-chain anchor.
    for subject, issuer in (("holder", "issuing"), ("issuing", "root")):
        ok = openssl("verify", "-vfyopt", "distid:1234567812345678", "-partial_chain",
                     "-CAfile", str(tmp_path / f"{issuer}.pem"), str(tmp_path / f"{subject}.pem"))
        assert ok.returncode == 0, ok.stdout + ok.stderr
        # Another distinguishing id does not verify: it really is SM2 with the standard id.
        assert openssl("verify", "-vfyopt", "distid:0000000000000000", "-partial_chain",
                       "-CAfile", str(tmp_path / f"{issuer}.pem"), str(tmp_path / f"{subject}.pem")).returncode != 0
    # ...and a certificate does not verify under an issuer that did not sign it.
    assert openssl("verify", "-vfyopt", "distid:1234567812345678", "-partial_chain",
                   "-CAfile", str(tmp_path / "root.pem"), str(tmp_path / "holder.pem")).returncode != 0

    serial = sealed["holder"].serial_number
    with app.app_context():
        crl = national.revocation_list([(serial, sealed["holder"]["tbs_certificate"]["validity"]["not_before"].native)],
                                       number=2)
    (tmp_path / "crl.pem").write_bytes(sm2_pki.pem(crl, "X509 CRL"))
    listed = openssl("crl", "-in", str(tmp_path / "crl.pem"), "-noout", "-text").stdout.decode()
    assert "SM2-with-SM3" in listed and f"{serial:X}" in listed.replace(":", "").upper()
    # The CRL's signature over its TBSCertList, by the issuing CA's key (openssl dgst), since
    # OpenSSL 3.0's `verify -crl_check` checks SM2 CRL signatures with an empty id (see docs/crypto.md).
    issuing_pub = public_pem(sealed["issuing"].dump(), tmp_path, "issuing")
    assert sm2_verifies(issuing_pub, crl["tbs_cert_list"].dump(), crl["signature"].native, tmp_path)
