"""Cost per cryptographic operation under both suites (not part of `make test`).

    python -m bench.crypto_ops [--seconds 0.5] [--json results/crypto_ops.json]

Each operation runs through the same code the application uses (FieldCipher, BlindIndex,
the audit-link MAC, pyjwt with our registered SM2SM3 algorithm, the key custody, the SM2
CA and GB/T 38540 builders), in process, for about ``--seconds`` each; CPU microseconds
per operation are printed as a table (international | national | ratio). Figures depend
on the machine: compare the two columns, not runs on different hosts.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

from nanhaitong.esign import gbt38540, sm2_pki
from nanhaitong.identity import tokens  # registers SM2SM3 with pyjwt
from nanhaitong.security import sm2
from nanhaitong.security.custody import SoftwareKeyStore
from nanhaitong.security.fields import BlindIndex, FieldCipher, normalize_phone
from nanhaitong.security.suite import SUITES, mac_hex

CLAIMS = {"iss": "http://127.0.0.1:8000", "aud": "app", "sub": "01JABCDEFGHJKMNPQRSTVWXYZ0", "iat": 1764806400,
          "exp": 1764807300, "jti": "01JABCDEFGHJKMNPQRSTVWXYZ1", "sid": "01JABCDEFGHJKMNPQRSTVWXYZ2", "loa": 2}
AUDIT_LINK = ("0" * 64 + '{"action":"identity.signed_in","actor":"user:01J...","details":{},"seq":1}').encode()


def per_op(fn, seconds: float) -> float:
    """CPU microseconds per call of ``fn``, over about ``seconds`` of CPU time."""
    fn()
    calls, start = 0, time.process_time()
    while time.process_time() - start < seconds:
        for _ in range(10):
            fn()
        calls += 10
    return (time.process_time() - start) / calls * 1e6


def operations(suite_name: str) -> dict:
    suite = SUITES[suite_name]
    key = os.urandom(32)
    cipher = FieldCipher({"k1": key}, "k1", aead=suite.aead)
    index = BlindIndex(key, alg=suite.mac)
    token = cipher.encrypt("13812345678", context="users.phone")
    custody = SoftwareKeyStore({"audit": key})
    if suite.token_alg == "SM2SM3":
        private = tokens.SM2Signer(sm2.SM2PrivateKey.generate(), custody)
        public = tokens.SM2Verifier(private.private.public_key(), sm2.DEFAULT_ID)
    else:
        private = ec.generate_private_key(ec.SECP256R1())
        public = private.public_key()
    jws = jwt.encode(CLAIMS, private, algorithm=suite.token_alg)
    ops = {
        "field encrypt (phone)": lambda: cipher.encrypt("13812345678", context="users.phone"),
        "field decrypt (phone)": lambda: cipher.decrypt(token, context="users.phone"),
        "blind index (phone)": lambda: index.digest("13812345678", domain="phone", normalize=normalize_phone),
        "audit link MAC": lambda: mac_hex(suite.mac, key, AUDIT_LINK),
        "access token sign": lambda: jwt.encode(CLAIMS, private, algorithm=suite.token_alg),
        "access token verify": lambda: jwt.decode(jws, public, algorithms=[suite.token_alg], audience="app",
                                                  options={"verify_exp": False}),
    }
    if suite_name == "national":
        ops.update(_seal_operations())
    return ops


def _seal_operations() -> dict:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    root_key, holder_key = sm2.SM2PrivateKey.generate(), sm2.SM2PrivateKey.generate()
    root = sm2_pki.certificate(subject=sm2_pki.name("bench root"), public_der=root_key.public_der(), issuer=None,
                               sign=root_key.sign, not_before=now, days=30, ca=True)
    holder = sm2_pki.certificate(subject=sm2_pki.name("bench holder"), public_der=holder_key.public_der(),
                                 issuer=root, sign=root_key.sign, not_before=now, days=30)
    seal = gbt38540.make_seal(es_id="1", name="bench", seal_type=1, signer_certs=[holder.dump()], picture=b"\x89PNG",
                              picture_type="png", width_mm=40, height_mm=40, created=now, valid_start=now,
                              valid_end=now + timedelta(days=1), maker_cert=root.dump(), maker_sign=root_key.sign)
    document = os.urandom(200_000)

    def sign():
        return gbt38540.make_signature(seal=seal, document=document, property_info="bench.pdf", signed_at=now,
                                       signer_cert=holder.dump(), signer_sign=holder_key.sign).dump()

    der = sign()
    return {
        "certificate issue (SM3withSM2)": lambda: sm2_pki.certificate(
            subject=sm2_pki.name("x"), public_der=holder_key.public_der(), issuer=root, sign=root_key.sign,
            not_before=now, days=1),
        "GB/T 38540 seal a 200 kB document": sign,
        "GB/T 38540 verify (3 SM2 checks + SM3)": lambda: gbt38540.verify(der, document, anchors=[root]),
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=0.5, help="CPU seconds per operation and suite")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    results = {name: {op: per_op(fn, args.seconds) for op, fn in operations(name).items()}
               for name in ("international", "national")}
    print(f"{'operation':42} {'international µs':>17} {'national µs':>12} {'ratio':>6}")
    for op in results["national"]:
        intl, nat = results["international"].get(op), results["national"][op]
        ratio = f"{nat / intl:6.1f}" if intl else "     -"
        intl_text = "-" if intl is None else f"{intl:.1f}"
        print(f"{op:42} {intl_text:>17} {nat:12.1f} {ratio}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
