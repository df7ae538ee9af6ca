"""SM2 certificates and CRLs (GM/T 0015 profile of X.509): SM3withSM2, OID 1.2.156.10197.1.501.

The national suite's platform CA: a self-signed SM2 root, and the certificates it issues
(issuing CA, seal maker, TSA, citizens' and seal holders'; an OCSP responder's when there is
one: ``extended_key_usage=("ocsp_signing",)``), with CRLs signed the same way. Built with asn1crypto (which pyHanko already installs); every signature is made
by a ``sign(tbs_der) -> DER SM2Signature`` callable, so the key stays with the key custody
(:mod:`nanhaitong.security.custody`).

No Flask here: the caller passes keys and names.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from asn1crypto import core, crl, keys, ocsp, x509

SM3_WITH_SM2 = "1.2.156.10197.1.501"
SM3 = "1.2.156.10197.1.401"
SM2_CURVE = "1.2.156.10197.1.301"
ORG = "南海区政务服务数据管理局"

Signer = Callable[[bytes], bytes]

_ALGORITHM = {"algorithm": SM3_WITH_SM2}  # GM/T 0015: no parameters


def name(common_name: str, organization: str = ORG, organization_identifier: str | None = None) -> x509.Name:
    attributes = {"country_name": "CN", "organization_name": organization, "common_name": common_name}
    if organization_identifier:  # an enterprise's unified social credit code
        attributes["organization_identifier"] = organization_identifier
    return x509.Name.build(attributes)


def _time(when: datetime) -> x509.Time:
    return x509.Time({"utc_time" if when.year < 2050 else "general_time": when})


def _key_id(spki: keys.PublicKeyInfo) -> bytes:
    # RFC 5280 4.2.1.2 method 1 with SM3 in place of SHA-1 (the national suite's hash), 20 bytes.
    return hashlib.new("sm3", spki["public_key"].contents[1:]).digest()[:20]


def _spki(public_der: bytes) -> keys.PublicKeyInfo:
    spki = keys.PublicKeyInfo.load(public_der)
    params = spki["algorithm"]["parameters"]
    if spki["algorithm"]["algorithm"].native != "ec" or params.chosen.dotted != SM2_CURVE:
        raise ValueError("not an SM2 public key")
    return spki


def _extension(extn_id: str, value, critical: bool = False) -> dict:
    return {"extn_id": extn_id, "critical": critical, "extn_value": value}


def _uri(url: str) -> x509.GeneralName:
    return x509.GeneralName(name="uniform_resource_identifier", value=url)


def certificate(*, subject: x509.Name, public_der: bytes, issuer: x509.Certificate | None,
                sign: Signer, not_before: datetime, days: int, ca: bool = False,
                key_usage: Iterable[str] = ("digital_signature", "non_repudiation"),
                extended_key_usage: Iterable[str] = (), crl_url: str | None = None,
                ocsp_url: str | None = None, issuer_url: str | None = None,
                serial: int | None = None) -> x509.Certificate:
    """An SM3withSM2 certificate for ``public_der`` (SubjectPublicKeyInfo DER); self-signed
    when ``issuer`` is None. ``crl_url``, ``ocsp_url`` and ``issuer_url`` are where relying
    parties find its status and its issuer (CRL distribution point; OCSP and caIssuers in the
    authority information access), as the international CA's certificates name them."""
    spki = _spki(public_der)
    issuer_name = subject if issuer is None else issuer.subject
    authority_key_id = _key_id(spki) if issuer is None else issuer.key_identifier
    extensions = [
        _extension("basic_constraints", {"ca": ca}, critical=True),
        _extension("key_usage", set(key_usage), critical=True),
        _extension("key_identifier", _key_id(spki)),
        _extension("authority_key_identifier", {"key_identifier": authority_key_id}),
    ]
    if extended_key_usage:
        extensions.append(_extension("extended_key_usage", list(extended_key_usage),
                                     critical="time_stamping" in extended_key_usage))
    if crl_url:
        extensions.append(_extension("crl_distribution_points", [
            {"distribution_point": {"full_name": [_uri(crl_url)]}}]))
    access = [{"access_method": method, "access_location": _uri(url)}
              for method, url in (("ocsp", ocsp_url), ("ca_issuers", issuer_url)) if url]
    if access:
        extensions.append(_extension("authority_information_access", access))
    tbs = x509.TbsCertificate({
        "version": "v3",
        "serial_number": serial or secrets.randbits(63) + 1,
        "signature": _ALGORITHM,
        "issuer": issuer_name,
        "validity": {"not_before": _time(not_before), "not_after": _time(not_before + timedelta(days=days))},
        "subject": subject,
        "subject_public_key_info": spki,
        "extensions": extensions,
    })
    return x509.Certificate({"tbs_certificate": tbs, "signature_algorithm": _ALGORITHM,
                             "signature_value": sign(tbs.dump())})


def _crl_entry(serial: int, when: datetime, reason: str | None = None, invalidity: datetime | None = None) -> dict:
    extensions = []
    if reason:
        extensions.append({"extn_id": "crl_reason", "critical": False, "extn_value": reason})
    if invalidity is not None:
        extensions.append({"extn_id": "invalidity_date", "critical": False,
                           "extn_value": core.GeneralizedTime(invalidity.replace(microsecond=0))})
    entry = {"user_certificate": serial, "revocation_date": _time(when.replace(microsecond=0))}
    if extensions:
        entry["crl_entry_extensions"] = extensions
    return entry


def revocation_list(*, issuer: x509.Certificate, sign: Signer, this_update: datetime, next_update: datetime,
                    revoked: Iterable[tuple], number: int) -> crl.CertificateList:
    """A v2 CRL signed SM3withSM2 listing ``(serial, revoked_at)`` pairs, or
    ``(serial, revoked_at, reason, invalidity_date)`` (RFC 5280 reason names, as asn1crypto's
    ``CRLReason`` spells them: ``superseded``, ``key_compromise``...; either may be None)."""
    entries = [_crl_entry(*entry) for entry in revoked]
    tbs = crl.TbsCertList({
        "version": "v2",
        "signature": _ALGORITHM,
        "issuer": issuer.subject,
        "this_update": _time(this_update),
        "next_update": _time(next_update),
        "revoked_certificates": entries or None,
        "crl_extensions": [
            {"extn_id": "crl_number", "critical": False, "extn_value": number},
            {"extn_id": "authority_key_identifier", "critical": False,
             "extn_value": {"key_identifier": issuer.key_identifier}},
        ],
    })
    if not entries:
        del tbs["revoked_certificates"]
    return crl.CertificateList({"tbs_cert_list": tbs, "signature_algorithm": _ALGORITHM,
                                "signature": sign(tbs.dump())})


def ocsp_response(*, cert_id: ocsp.CertId, status: str, responder: x509.Certificate, sign: Signer,
                  this_update: datetime, next_update: datetime, revoked_at: datetime | None = None,
                  reason: str | None = None, nonce: bytes | None = None) -> bytes:
    """A successful OCSPResponse (RFC 6960, DER) for one certificate, its BasicOCSPResponse
    signed SM3withSM2 by ``responder`` (the CA that issued the certificate, which RFC 6960
    lets answer for itself): ``status`` good, revoked (at ``revoked_at``, for ``reason``) or
    unknown; the request's ``cert_id`` and nonce echoed."""
    if status == "revoked":
        revoked = {"revocation_time": revoked_at.replace(microsecond=0)}
        if reason:
            revoked["revocation_reason"] = reason
        cert_status = ocsp.CertStatus({"revoked": revoked})
    else:
        cert_status = ocsp.CertStatus({status: core.Null()})
    single = {"cert_id": cert_id, "cert_status": cert_status, "this_update": this_update.replace(microsecond=0),
              "next_update": next_update.replace(microsecond=0)}
    data = {"responder_id": {"by_key": hashlib.sha1(responder.public_key["public_key"].contents[1:]).digest()},
            "produced_at": this_update.replace(microsecond=0), "responses": [single]}
    if nonce is not None:
        data["response_extensions"] = [{"extn_id": "nonce", "critical": False, "extn_value": nonce}]
    tbs = ocsp.ResponseData(data)
    basic = ocsp.BasicOCSPResponse({"tbs_response_data": tbs, "signature_algorithm": _ALGORITHM,
                                    "signature": sign(tbs.dump()), "certs": [responder]})
    return ocsp.OCSPResponse({"response_status": "successful", "response_bytes": {
        "response_type": "basic_ocsp_response", "response": basic}}).dump()


def verify_signed(issuer: x509.Certificate, tbs_der: bytes, signature: bytes, *, distid: bytes) -> bool:
    """Whether ``signature`` over ``tbs_der`` was made by ``issuer``'s SM2 key."""
    from ..security import sm2

    try:
        return sm2.SM2PublicKey.from_der(issuer.public_key.dump()).verify(signature, tbs_der, distid=distid)
    except sm2.SM2Error:
        return False


def pem(obj: core.Asn1Value, label: str = "CERTIFICATE") -> bytes:
    import base64

    body = base64.encodebytes(obj.dump()).decode()
    return f"-----BEGIN {label}-----\n{body}-----END {label}-----\n".encode()
