"""Revocation status of the SM2 certificates (national suite), over HTTP like the ECDSA CA's.

- CRLs: the SM2 issuing CA's (``/crl/sm2``: citizens' and seals' certificates) and the SM2
  root's (``/crl/sm2/root``: the issuing CA, the seal maker, the TSA), SM3withSM2, kept in
  ``esign_crls`` beside the ECDSA ones (rows 3 and 4), re-signed on every revocation of an
  SM2 certificate and a day before their next update.
- OCSP: the one responder (``/ocsp``) answers for an SM2 certificate when the request's
  CertID names an SM2 CA's key; the answer is signed SM3withSM2 by that CA itself (RFC 6960
  4.2.2.2 lets the issuing CA answer), through the key custody.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import db
from ..timeutil import utcnow
from . import ca, national, pki, sm2_pki
from .models import EsignCrl, SigningCertificate

CRL_IDS = {"issuing": 3, "root": 4}
OCSP_VALID = timedelta(days=1)


def exists() -> bool:
    """Whether the SM2 CA was made (under the national suite, or once by a switch to it)."""
    return bool(db.session().execute(select(func.count()).select_from(national.EsignSm2Authority)).scalar())


def _revoked(issuer: str) -> list[tuple]:
    if issuer == "root":
        return []  # nothing the SM2 root issued is revoked: its CRL only moves its dates
    return [(entry.serial, entry.revoked_at, _reason(entry.reason), entry.invalidity_date)
            for entry in sorted(ca.revocations(sm2=True).values(), key=lambda r: r.serial)]


def _reason(reason: str | None) -> str | None:
    """An RFC 5280 CRLReason name, or None (e.g. ``account_deleted``: no reason code)."""
    return reason if reason in pki.REASONS else None


def _ensure_crls() -> None:
    national.ensure()
    session = db.session()
    missing = [issuer for issuer, crl_id in CRL_IDS.items() if session.get(EsignCrl, crl_id) is None]
    if not missing:
        return
    try:
        with db.unit_of_work("sm2 crls"):
            for issuer in missing:
                der = national.revocation_list(_revoked(issuer), 1, issuer=issuer).dump()
                session.add(EsignCrl(id=CRL_IDS[issuer], number=1, der=der))
    except IntegrityError:  # another instance made them first
        pass


def crl_der(issuer: str = "issuing") -> bytes:
    _ensure_crls()
    return db.session().get(EsignCrl, CRL_IDS[issuer]).der


def refresh_crl(issuer: str = "issuing") -> None:
    """Re-sign the SM2 ``issuer``'s CRL with every revoked SM2 certificate, in the caller's
    transaction."""
    _ensure_crls()
    row = db.session().execute(select(EsignCrl).where(EsignCrl.id == CRL_IDS[issuer]).with_for_update()).scalar_one()
    row.number += 1
    row.der = national.revocation_list(_revoked(issuer), row.number, issuer=issuer).dump()
    row.updated_at = utcnow()


def _stale(der: bytes, margin: timedelta) -> bool:
    next_update = asn1_crl.CertificateList.load(der)["tbs_cert_list"]["next_update"].native
    return next_update is None or next_update - margin <= utcnow()


def refresh_stale_crls(margin: timedelta = timedelta(days=1)) -> None:
    """Re-sign an SM2 CRL whose next update is near (nothing to do if there is no SM2 CA)."""
    if not exists():
        return
    for issuer in CRL_IDS:
        if _stale(crl_der(issuer), margin):
            refresh_crl(issuer)


def current_crl_der(issuer: str = "issuing") -> bytes:
    """The SM2 CRL to publish, re-signed first if its next update is within a day."""
    der = crl_der(issuer)
    if _stale(der, timedelta(days=1)):
        with db.unit_of_work("crl"):
            refresh_crl(issuer)
        der = crl_der(issuer)
    return der


# -- OCSP ----------------------------------------------------------------------------

_HASHES = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512", sm2_pki.SM3: "sm3"}


def _key_hash(cert, algorithm: str) -> bytes:
    return hashlib.new(algorithm, cert.public_key["public_key"].contents[1:]).digest()


def ocsp_answer(request_der: bytes) -> bytes | None:
    """The SM2-signed answer to an OCSPRequest about a certificate of an SM2 CA, or None when
    the request names no SM2 CA's key (the caller answers it, or says ``unauthorized``)."""
    try:
        request = ocsp.OCSPRequest.load(request_der, strict=True)
        [single] = request["tbs_request"]["request_list"]
        cert_id = single["req_cert"]
        algorithm = _HASHES.get(cert_id["hash_algorithm"]["algorithm"].dotted) or _HASHES.get(
            cert_id["hash_algorithm"]["algorithm"].native)
        key_hash, serial = cert_id["issuer_key_hash"].native, cert_id["serial_number"].native
        nonce = request.nonce_value.native if request.nonce_value is not None else None
    except (ValueError, TypeError, KeyError):
        return None
    if algorithm is None or not exists():
        return None
    issuer_name = next((name for name in ("issuing", "root")
                        if _key_hash(national.certificate(name), algorithm) == key_hash), None)
    if issuer_name is None:
        return None
    status, revoked_at, reason = "unknown", None, None
    if issuer_name == "issuing":
        row = db.session().execute(select(SigningCertificate).where(
            SigningCertificate.serial == format(serial, "x"))).scalar_one_or_none()
        if row is not None:
            entry = ca.revocations(sm2=True).get(serial)
            status = "revoked" if entry is not None else "good"
            if entry is not None:
                revoked_at, reason = entry.revoked_at, _reason(entry.reason)
    elif any(national.certificate(name).serial_number == serial for name in national.NAMES if name != "root"):
        status = "good"
    now = utcnow()
    return sm2_pki.ocsp_response(cert_id=cert_id, status=status, responder=national.certificate(issuer_name),
                                 sign=lambda data: national.sign_as(issuer_name, data),
                                 this_update=now - timedelta(minutes=1), next_update=now + OCSP_VALID,
                                 revoked_at=revoked_at, reason=reason, nonce=nonce)


def published() -> bool:
    """Whether the SM2 CA is published (its certificates, CRLs, its half of ``/ca.pem``):
    under the national suite, or whenever it exists (a deployment that switched back still
    has SM2 signatures to check). Under the international suite nothing makes it on a GET."""
    return current_app.config["CRYPTO_SUITE"] == "national" or exists()


def chain_pem() -> str:
    """The SM2 root, then the SM2 issuing CA, PEM (what ``/ca.pem`` adds after the ECDSA CA),
    when published; empty otherwise."""
    if not published():
        return ""
    return "".join(sm2_pki.pem(national.certificate(name)).decode() for name in ("root", "issuing"))
