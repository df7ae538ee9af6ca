"""GB/T 38540 signatures checked by OpenSSL 3's command line, run as a process: the DER
parsed by `openssl asn1parse`, the signed bytes cut out at the offsets it reports, and the
SM2 signatures verified by `openssl dgst -sm3 -verify` with the standard identifier."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

DISTID = ["-sigopt", "distid:1234567812345678"]


def openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=30)


def asn1parse(path: Path) -> list[tuple[int, int, int, int, str, str]]:
    """(offset, depth, header length, length, type, value) per line of `openssl asn1parse`."""
    done = openssl("asn1parse", "-inform", "DER", "-in", str(path), "-i")
    assert done.returncode == 0, done.stderr
    rows = []
    for line in done.stdout.decode().splitlines():
        m = re.match(r"\s*(\d+):d=(\d+)\s+hl=(\d+) l=\s*(\d+) (?:prim|cons):\s*(cont \[ \d+ \]|\S+(?: \S+)?)\s*:?(.*)$",
                     line)
        assert m, line
        offset, depth, hl, length = (int(m.group(i)) for i in range(1, 5))
        rows.append((offset, depth, hl, length, m.group(5).strip(), m.group(6).strip()))
    return rows


def children(rows, parent):
    """The direct children of the element ``parent`` (a row)."""
    offset, depth, hl, length = parent[:4]
    end = offset + hl + length
    return [r for r in rows if r[1] == depth + 1 and offset < r[0] < end]


def cut(data: bytes, row) -> bytes:
    return data[row[0]: row[0] + row[2] + row[3]]


def public_pem(cert_der: bytes, tmp_path: Path, name: str) -> Path:
    (tmp_path / f"{name}.der").write_bytes(cert_der)
    done = openssl("x509", "-inform", "DER", "-in", str(tmp_path / f"{name}.der"), "-pubkey", "-noout")
    assert done.returncode == 0, done.stderr
    (tmp_path / f"{name}.pub.pem").write_bytes(done.stdout)
    return tmp_path / f"{name}.pub.pem"


def sm2_verifies(pub: Path, data: bytes, signature: bytes, tmp_path: Path) -> bool:
    (tmp_path / "data.bin").write_bytes(data)
    (tmp_path / "sig.bin").write_bytes(signature)
    done = openssl("dgst", "-sm3", "-verify", str(pub), "-signature", str(tmp_path / "sig.bin"), *DISTID,
                   str(tmp_path / "data.bin"))
    return done.returncode == 0 and b"Verified OK" in done.stdout


def sm3_hex(data: bytes) -> str:
    done = openssl("dgst", "-sm3", "-r", data=data)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()[0].decode()


def bit_string_value(der: bytes, row, tmp_path: Path, name: str) -> bytes:
    """The contents of the BIT STRING at ``row`` (its unused-bits byte dropped), by openssl."""
    (tmp_path / "whole.der").write_bytes(der)
    done = openssl("asn1parse", "-inform", "DER", "-in", str(tmp_path / "whole.der"), "-strparse", str(row[0]),
                   "-out", str(tmp_path / name), "-noout")
    assert done.returncode == 0, done.stderr
    return (tmp_path / name).read_bytes()


def signature_fields(pdf: bytes, *, document_timestamps: bool = False) -> list[dict]:
    """Each signature dictionary's byte range, /Contents and filter names, read from the raw
    file: the signatures (``/Type /Sig``), or with ``document_timestamps`` the document
    timestamps (``/Type /DocTimeStamp``, PAdES B-LTA's, which follow each signature)."""
    out = []
    for m in re.finditer(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf):
        start1, len1, start2, len2 = (int(g) for g in m.groups())
        own = pdf[pdf.rfind(b"<<", 0, m.start()):m.start()] + pdf[start2:pdf.find(b">>", start2)]
        if (b"/DocTimeStamp" in own) != document_timestamps:
            continue
        contents = pdf[start1 + len1:start2]
        assert contents.startswith(b"<") and contents.endswith(b">")
        raw = bytes.fromhex(contents[1:-1].decode())
        length = asn1_length(raw)
        dictionary = pdf[pdf.rfind(b"<<", 0, m.start()):start2 + 200]
        out.append({"covered": pdf[start1:start1 + len1] + pdf[start2:start2 + len2], "der": raw[:length],
                    "padding": raw[length:], "end": start2 + len2, "dictionary": dictionary})
    return out


def asn1_length(der: bytes) -> int:
    first = der[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    return 2 + count + int.from_bytes(der[2:2 + count], "big")


def check_with_openssl(field: dict, tmp_path) -> dict:
    """The SES_Signature's fields as openssl reads them, its hash and signature checked."""
    der = field["der"]
    (tmp_path / "ses.der").write_bytes(der)
    rows = asn1parse(tmp_path / "ses.der")
    to_sign, cert, alg, signature, time_stamp = children(rows, rows[0])
    assert (alg[4], alg[5]) == ("OBJECT", "SM2-with-SM3") and time_stamp[4] == "cont [ 0 ]"
    version, eseal, time_info, data_hash, property_info = children(rows, to_sign)
    assert (version[4], version[5]) == ("INTEGER", "04") and property_info[4] == "IA5STRING"
    # dataHash: SM3 of exactly what the PDF signature's /ByteRange covers.
    assert cut(der, data_hash)[-32:].hex() == sm3_hex(field["covered"])
    signer_pub = public_pem(cut(der, cert)[cert[2]:], tmp_path, "signer")
    value = bit_string_value(der, signature, tmp_path, "signature.der")
    assert sm2_verifies(signer_pub, cut(der, to_sign), value, tmp_path)
    seal_info = children(rows, eseal)[0]
    header, es_id, prop, picture = children(rows, seal_info)
    kind, name = children(rows, prop)[:2]
    subject = openssl("x509", "-inform", "DER", "-in", str(tmp_path / "signer.der"), "-noout", "-subject",
                      "-nameopt", "utf8,sep_comma_plus").stdout.decode()
    text = openssl("x509", "-inform", "DER", "-in", str(tmp_path / "signer.der"), "-noout", "-text").stdout.decode()
    assert "Signature Algorithm: SM2-with-SM3" in text
    return {"es_id": es_id[5], "seal_type": kind[5], "seal_name": name[5], "subject": subject}


def checked_signatures(pdf: bytes, tmp_path: Path) -> list[dict]:
    """Every signature of a PDF signed under the national suite, each a GB/T 38540
    SES_Signature that openssl parses and whose hash and SM2 signature it checks."""
    fields = signature_fields(pdf)
    for field in fields:
        assert b"/SubFilter /GBT38540.SES_Signature" in field["dictionary"]
    return [check_with_openssl(field, tmp_path) for field in fields]


# -- Tongsuo: the second independent SM2 implementation (tests/support/tongsuo_verify.py) ---

TONGSUO_SKIP = ("needs tongsuopy (the Tongsuo/BabaSSL library that checks SM2 CRLs and CMS signer infos with the "
                "standard identifier, which Debian's OpenSSL 3.0 cannot): add it to the dev extras, or point "
                "NHT_TEST_TONGSUO_PYTHON at an interpreter that has it")


def tongsuo_python() -> str | None:
    """An interpreter that has tongsuopy: ``NHT_TEST_TONGSUO_PYTHON``, else this one if it has it."""
    import importlib.util
    import os
    import sys

    named = os.environ.get("NHT_TEST_TONGSUO_PYTHON")
    if named:
        return named
    return sys.executable if importlib.util.find_spec("tongsuopy") is not None else None


def tongsuo(*args: str) -> dict:
    """Run the Tongsuo checker in a process of its own and return what it printed."""
    import json
    import sys

    script = Path(__file__).with_name("tongsuo_verify.py")
    done = subprocess.run([tongsuo_python() or sys.executable, "-I", str(script), *args], capture_output=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    return json.loads(done.stdout)
