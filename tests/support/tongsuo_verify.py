"""A second, independent SM2 checker run as a separate process: the Tongsuo (BabaSSL 8.3)
library that the `tongsuopy` wheel bundles, called through ctypes. Tongsuo verifies SM2 with
the standard distinguishing identifier (1234567812345678) by default, where Debian's
OpenSSL 3.0 cannot pass one (CRL signatures, CMS signer infos: docs/crypto.md).

Imports nothing of the project (and nothing but tongsuopy): run it with an interpreter that
has tongsuopy, files as arguments, one JSON object printed:

    python tongsuo_verify.py chain --trust root.der [--trust issuing.der] [--crl x.der]...
                                   [--purpose timestampsign] cert.der
        -> {"ok": bool, "error": "..."}   X509_verify_cert, with CRL checks of the whole
                                         chain when CRLs are given (-crl_check_all)
    python tongsuo_verify.py crl crl.der issuer.der
        -> {"ok": bool}                   X509_CRL_verify (the CRL's SM2 signature)
    python tongsuo_verify.py signer token.der signer.der
        -> {"signature": bool, "message_digest": bool}
                                          a CMS SignedData's first SignerInfo: the SM2
                                          signature over the signed attributes, and the
                                          messageDigest attribute against the content
"""

from __future__ import annotations

import argparse
import ctypes
import json
import sys

P = ctypes.c_void_p
X509_V_FLAG_CRL_CHECK, X509_V_FLAG_CRL_CHECK_ALL = 0x4, 0x8
PURPOSES = {"any": 7, "timestampsign": 9, "smimesign": 4}

_SIGNATURES = [
    ("OpenSSL_version", ctypes.c_char_p, [ctypes.c_int]),
    ("d2i_X509", P, [P, P, ctypes.c_long]), ("d2i_X509_CRL", P, [P, P, ctypes.c_long]),
    ("d2i_CMS_ContentInfo", P, [P, P, ctypes.c_long]),
    ("X509_get0_pubkey", P, [P]), ("X509_CRL_verify", ctypes.c_int, [P, P]),
    ("X509_STORE_new", P, []), ("X509_STORE_add_cert", ctypes.c_int, [P, P]),
    ("X509_STORE_add_crl", ctypes.c_int, [P, P]), ("X509_STORE_set_flags", ctypes.c_int, [P, ctypes.c_ulong]),
    ("X509_STORE_CTX_new", P, []), ("X509_STORE_CTX_init", ctypes.c_int, [P, P, P, P]),
    ("X509_STORE_CTX_set_purpose", ctypes.c_int, [P, ctypes.c_int]),
    ("X509_verify_cert", ctypes.c_int, [P]), ("X509_STORE_CTX_get_error", ctypes.c_int, [P]),
    ("X509_verify_cert_error_string", ctypes.c_char_p, [ctypes.c_long]),
    ("CMS_get0_SignerInfos", P, [P]), ("OPENSSL_sk_value", P, [P, ctypes.c_int]),
    ("CMS_SignerInfo_set1_signer_cert", None, [P, P]), ("CMS_SignerInfo_verify", ctypes.c_int, [P]),
    ("CMS_SignerInfo_verify_content", ctypes.c_int, [P, P]), ("CMS_dataInit", P, [P, P]),
    ("BIO_read", ctypes.c_int, [P, P, ctypes.c_int]), ("ERR_clear_error", None, []),
]


def library():
    from tongsuopy.backends import _tongsuo

    lib = ctypes.CDLL(_tongsuo.__file__)
    for name, restype, argtypes in _SIGNATURES:
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return lib


def _load(lib, parse, path: str):
    data = open(path, "rb").read()
    buffer = ctypes.create_string_buffer(data, len(data))
    cursor = ctypes.pointer(ctypes.cast(buffer, P))
    obj = parse(None, ctypes.cast(cursor, P), len(data))
    if not obj:
        raise SystemExit(json.dumps({"error": f"cannot parse {path}"}))
    return obj


def chain(lib, args) -> dict:
    store = lib.X509_STORE_new()
    for path in args.trust:
        lib.X509_STORE_add_cert(store, _load(lib, lib.d2i_X509, path))
    for path in args.crl:
        lib.X509_STORE_add_crl(store, _load(lib, lib.d2i_X509_CRL, path))
    if args.crl:
        lib.X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL)
    ctx = lib.X509_STORE_CTX_new()
    lib.X509_STORE_CTX_init(ctx, store, _load(lib, lib.d2i_X509, args.cert), None)
    lib.X509_STORE_CTX_set_purpose(ctx, PURPOSES[args.purpose])
    ok = lib.X509_verify_cert(ctx) == 1
    return {"ok": ok, "error": lib.X509_verify_cert_error_string(lib.X509_STORE_CTX_get_error(ctx)).decode()}


def crl(lib, args) -> dict:
    issuer = _load(lib, lib.d2i_X509, args.issuer)
    return {"ok": lib.X509_CRL_verify(_load(lib, lib.d2i_X509_CRL, args.crl), lib.X509_get0_pubkey(issuer)) == 1}


def signer(lib, args) -> dict:
    cms = _load(lib, lib.d2i_CMS_ContentInfo, args.token)
    info = lib.OPENSSL_sk_value(lib.CMS_get0_SignerInfos(cms), 0)
    lib.CMS_SignerInfo_set1_signer_cert(info, _load(lib, lib.d2i_X509, args.signer))
    signature = lib.CMS_SignerInfo_verify(info) == 1
    content = lib.CMS_dataInit(cms, None)
    chunk = ctypes.create_string_buffer(4096)
    while lib.BIO_read(content, chunk, len(chunk)) > 0:
        pass
    return {"signature": signature, "message_digest": lib.CMS_SignerInfo_verify_content(info, content) == 1}


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("chain")
    one.add_argument("--trust", action="append", default=[])
    one.add_argument("--crl", action="append", default=[])
    one.add_argument("--purpose", default="any", choices=sorted(PURPOSES))
    one.add_argument("cert")
    two = commands.add_parser("crl")
    two.add_argument("crl")
    two.add_argument("issuer")
    three = commands.add_parser("signer")
    three.add_argument("token")
    three.add_argument("signer")
    commands.add_parser("version")
    args = parser.parse_args(argv)
    lib = library()
    if args.command == "version":
        print(json.dumps({"version": lib.OpenSSL_version(0).decode()}))
        return
    print(json.dumps({"chain": chain, "crl": crl, "signer": signer}[args.command](lib, args)))


if __name__ == "__main__":
    main(sys.argv[1:])
