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
