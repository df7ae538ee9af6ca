"""Signatures checked independently of our code: by pyHanko's own validator, by pyhanko-cli
(online and AdES long-term validation) and by the ``openssl`` command line, run as processes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from .esign import ESIGN


def asn1(cert):
    """A ``cryptography`` certificate as asn1crypto's (what pyHanko takes)."""
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def pyhanko_statuses(document: bytes, bundle) -> list:
    """Validate every signature with pyHanko, trusting only the root we published."""
    root, *others = bundle
    reader = PdfFileReader(io.BytesIO(document), strict=False)
    statuses = []
    for embedded in reader.embedded_regular_signatures:
        context = ValidationContext(trust_roots=[asn1(root)], other_certs=[asn1(c) for c in others],
                                    allow_fetching=False, revocation_mode="soft-fail")
        statuses.append(validate_pdf_signature(embedded, signer_validation_context=context))
    return statuses


PYHANKO = str(Path(sys.executable).with_name("pyhanko"))


def run(*args, cwd=None) -> subprocess.CompletedProcess:
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, cwd=cwd, env=env)


def pyhanko(*args, tmp_path) -> subprocess.CompletedProcess:
    return run(PYHANKO, "sign", *args, cwd=tmp_path)


def write(tmp_path: Path, citizen, document: bytes, name: str = "signed.pdf") -> Path:
    (tmp_path / "root.pem").write_bytes(citizen.get(f"{ESIGN}/ca.pem").data.split(b"-----END CERTIFICATE-----")[0]
                                        + b"-----END CERTIFICATE-----\n")
    (tmp_path / name).write_bytes(document)
    return tmp_path / name


def validate_online(tmp_path: Path, name: str = "signed.pdf") -> subprocess.CompletedProcess:
    """pyhanko-cli, strict: every certificate must have revocation data, fetched from its CRL
    distribution point or OCSP responder (our live server)."""
    return pyhanko("validate", "--force-revinfo", "--trust-replace", "--trust", "root.pem", "--pretty-print", name,
                   tmp_path=tmp_path)


def validate_ades(tmp_path: Path, name: str = "signed.pdf") -> subprocess.CompletedProcess:
    """pyhanko-cli's AdES long-term validation: revocation data required, judged at the time
    proven by the timestamps, from what the file carries (PAdES B-LTA)."""
    return pyhanko("adesverify", "--trust-replace", "--trust", "root.pem", "--pretty-print", name, tmp_path=tmp_path)


def openssl(*args, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=stdin, capture_output=True, timeout=30)
