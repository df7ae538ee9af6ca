"""Which crypto suite the suite under test runs with, and what the tests expect of it.

`NHT_TEST_CRYPTO_SUITE=national python -m tests.run_backends` (or the same variable before
`pytest`) runs every test with the national suite: every app a test builds through
`tests/conftest.py` gets `CRYPTO_SUITE` from it (a test's own override still wins), as do the
processes of the scale cluster. A developer's own `NHT_CRYPTO_SUITE` is not what the tests
read (the runner strips `NHT_*` but `NHT_TEST_*`, so it would not reach them). Tests that check an
international primitive with a library that knows no SM2 (pyjwt's JWKS client, jwcrypto)
are `international_only`; their national counterparts check SM2 with OpenSSL's command
line (tests/security/test_national_suite_openssl.py).
"""

from __future__ import annotations

import base64
import json
import os

import pytest

SUITE = os.environ.get("NHT_TEST_CRYPTO_SUITE") or "international"
if SUITE not in ("international", "national"):  # a typo must not quietly run the other suite
    raise RuntimeError(f"NHT_TEST_CRYPTO_SUITE must be 'international' or 'national', got {SUITE!r}")
NATIONAL = SUITE == "national"
TOKEN_ALG = "SM2SM3" if NATIONAL else "ES256"
JWK_CURVE = "SM2" if NATIONAL else "P-256"
FIELD_TOKEN_PREFIX = "v2.SM4GCM." if NATIONAL else "v1."

international_only = pytest.mark.skipif(
    NATIONAL, reason="checks ES256 with a library that has no SM2; the national suite's own check is "
                     "tests/security/test_national_suite_openssl.py")


# PAdES (ISO 32000 CMS signatures, B-LTA long-term data and archive timestamps) is the
# international suite's PDF signature; the national suite's is GB/T 38540, checked by
# tests/esign/test_national_sealing.py with openssl. Tests of PAdES itself, through
# validators that know no SM2 (pyHanko, pyhanko-cli, poppler's pdfsig), are pades_only.
pades_only = pytest.mark.skipif(
    NATIONAL, reason="checks PAdES with a validator that has no SM2 / GB/T 38540; the national suite's PDF "
                     "signatures are checked by tests/esign/test_national_sealing.py")

# The ECDSA CA's revocation services (its CRLs, its delegated OCSP responders, the ECDSA half
# of /esign/ca.pem) checked with tools that verify no SM2 signature (cryptography, `openssl
# ocsp`/`verify -crl_check`). Under the national suite the certificates are SM2 and name the
# SM2 CA's CRLs and the SM2-signed OCSP answers, checked by tests/esign/test_sm2_revocation.py
# (which runs in both runs).
international_pki_only = pytest.mark.skipif(
    NATIONAL, reason="checks the ECDSA CA's CRL/OCSP with tools that verify no SM2 signature; the SM2 "
                     "counterparts are in tests/esign/test_sm2_revocation.py")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign_jws(header: dict, claims: dict, private_key) -> str:
    """A compact JWS over exactly ``header`` and ``claims`` with one of our signing keys
    (as ``tokens.keyring().signing_key()`` returns it), whichever suite made it."""
    import jwt
    from jwt.algorithms import ECAlgorithm

    signing_input = (f"{_b64(json.dumps(header, separators=(',', ':')).encode())}."
                     f"{_b64(json.dumps(claims, separators=(',', ':')).encode())}").encode()
    if header.get("alg") == "SM2SM3":
        signature = jwt.get_algorithm_by_name("SM2SM3").sign(signing_input, private_key)
    else:
        signature = ECAlgorithm(ECAlgorithm.SHA256).sign(signing_input, private_key)
    return f"{signing_input.decode()}.{_b64(signature)}"
