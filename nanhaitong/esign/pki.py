"""Certificates and CRLs of the platform CA, built with ``cryptography``: pure functions.

Keys are ECDSA P-256 (what Adobe Reader, pyHanko and OpenSSL all check), except the
timestamp authority's, which is RSA 2048. The root signs
the issuing CA, the timestamp authority, its own CRL and OCSP responder; the issuing CA
signs the users' signing certificates, its CRL and its OCSP responder. Every certificate
but the root names where its status is published (CRL distribution point, OCSP in the
authority information access), so a verifier can collect it and embed it (PAdES B-LT).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID

ORG = "Nanhai-Tong"


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def new_rsa_key() -> rsa.RSAPrivateKey:
    """The timestamp authority signs with RSA (pyHanko's in-process TSA is RSA only)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


@lru_cache(maxsize=64)
def load_key(pem: str):
    """A stored key, loaded once per process: loading an RSA key runs OpenSSL's key check
    (70 ms of CPU for the TSA's, at every signature); the key objects are immutable."""
    return serialization.load_pem_private_key(pem.encode(), password=None)


def cert_pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def load_cert(pem: str) -> x509.Certificate:
    return x509.load_pem_x509_certificate(pem.encode())


def _name(common_name: str, **extra) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "CN")]
    if "organization" in extra:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, extra["organization"]))
    if "organization_identifier" in extra:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, extra["organization_identifier"]))
    if "serial_number" in extra:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, extra["serial_number"]))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _builder(subject: x509.Name, issuer: x509.Name, public_key, days: int, now: datetime | None = None):
    now = now or datetime.now(timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(secrets.randbits(127) | 1).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=days))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))


def make_root(key, *, days: int = 20 * 365, label: str = ORG) -> x509.Certificate:
    name = _name(f"{label} Root CA", organization=label)
    return (_builder(name, name, key.public_key(), days)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256()))


def _issued(builder, issuer_cert: x509.Certificate, issuer_key):
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_cert.public_key())
    return builder.add_extension(aki, critical=False).sign(issuer_key, hashes.SHA256())


@dataclass(frozen=True)
class Pointers:
    """Where relying parties find a certificate's revocation status and its issuer:
    a CRL distribution point, an OCSP responder (RFC 6960) and the issuer's certificate."""

    crl_url: str | None = None
    ocsp_url: str | None = None
    issuer_url: str | None = None


def _with_pointers(builder, pointers: Pointers | None):
    if pointers is None:
        return builder
    if pointers.crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(pointers.crl_url)], relative_name=None, reasons=None,
            crl_issuer=None)]), critical=False)
    access = []
    if pointers.ocsp_url:
        access.append(x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                             x509.UniformResourceIdentifier(pointers.ocsp_url)))
    if pointers.issuer_url:
        access.append(x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                             x509.UniformResourceIdentifier(pointers.issuer_url)))
    if access:
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    return builder


def make_issuing(key, root: x509.Certificate, root_key, *, days: int = 10 * 365, label: str = ORG,
                 pointers: Pointers | None = None) -> x509.Certificate:
    builder = (_builder(_name(f"{label} Issuing CA", organization=label), root.subject, key.public_key(), days)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                              critical=True))
    return _issued(_with_pointers(builder, pointers), root, root_key)


def make_tsa(key, root: x509.Certificate, root_key, *, days: int = 10 * 365, pointers: Pointers | None = None,
             now: datetime | None = None) -> x509.Certificate:
    builder = (_builder(_name(f"{ORG} Timestamp Authority", organization=ORG), root.subject, key.public_key(), days,
                        now=now)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                              critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True))
    return _issued(_with_pointers(builder, pointers), root, root_key)


def make_ocsp_signer(key, issuer: x509.Certificate, issuer_key, *, days: int = 365) -> x509.Certificate:
    """A delegated OCSP signing certificate (RFC 6960 4.2.2.2): issued by the CA whose
    certificates it answers for, id-kp-OCSPSigning, and id-pkix-ocsp-nocheck (its own status
    is not asked: it lives a short time instead)."""
    label = issuer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    builder = (_builder(_name(f"{label} OCSP Responder", organization=ORG), issuer.subject, key.public_key(), days)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False),
                              critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False)
               .add_extension(x509.OCSPNoCheck(), critical=False))
    return _issued(builder, issuer, issuer_key)


def make_signing_cert(public_key, issuing: x509.Certificate, issuing_key, *, common_name: str,
                      organization: str | None = None, organization_identifier: str | None = None,
                      serial_number: str | None = None, days: int = 2 * 365,
                      pointers: Pointers | None = None) -> x509.Certificate:
    """A document-signing certificate: digitalSignature + nonRepudiation, emailProtection and
    documentSigning EKUs (what Adobe and OpenSSL's S/MIME checks accept)."""
    extra = {key: value for key, value in (("organization", organization),
                                          ("organization_identifier", organization_identifier),
                                          ("serial_number", serial_number)) if value}
    builder = (_builder(_name(common_name, **extra), issuing.subject, public_key, days)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                              critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION,
                                                     x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]),  # documentSigning
                              critical=False))
    return _issued(_with_pointers(builder, pointers), issuing, issuing_key)


# RFC 5280 CRLReason, as the API names them.
REASONS = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key_compromise": x509.ReasonFlags.key_compromise,
    "ca_compromise": x509.ReasonFlags.ca_compromise,
    "affiliation_changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation_of_operation": x509.ReasonFlags.cessation_of_operation,
    "privilege_withdrawn": x509.ReasonFlags.privilege_withdrawn,
}


@dataclass(frozen=True)
class Revocation:
    """One revoked certificate: when it was revoked, why, and (for a compromised key) since
    when it is known or suspected that the key was compromised (RFC 5280 invalidityDate)."""

    serial: int
    revoked_at: datetime
    reason: str | None = None
    invalidity_date: datetime | None = None


def _revoked_entry(entry: Revocation) -> x509.RevokedCertificate:
    builder = x509.RevokedCertificateBuilder().serial_number(entry.serial).revocation_date(entry.revoked_at)
    if entry.reason in REASONS:
        builder = builder.add_extension(x509.CRLReason(REASONS[entry.reason]), critical=False)
    if entry.invalidity_date is not None:
        builder = builder.add_extension(x509.InvalidityDate(entry.invalidity_date.replace(tzinfo=None)),
                                        critical=False)
    return builder.build()


def make_crl(issuer: x509.Certificate, issuer_key, revoked: list[Revocation], number: int,
             *, next_update_days: int = 7) -> x509.CertificateRevocationList:
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.subject)
               .last_update(now - timedelta(minutes=1)).next_update(now + timedelta(days=next_update_days))
               .add_extension(x509.CRLNumber(number), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.public_key()),
                              critical=False))
    for entry in revoked:
        builder = builder.add_revoked_certificate(_revoked_entry(entry))
    return builder.sign(issuer_key, hashes.SHA256())


# -- OCSP (RFC 6960) -------------------------------------------------------------------

class BadOcspRequest(ValueError):
    """Not a DER OCSPRequest we can answer."""


def ocsp_request_der(cert: x509.Certificate, issuer: x509.Certificate) -> bytes:
    request = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1()).build()
    return request.public_bytes(serialization.Encoding.DER)


def ocsp_request(der: bytes) -> ocsp.OCSPRequest:
    try:
        return ocsp.load_der_ocsp_request(der)
    except (ValueError, TypeError) as error:
        raise BadOcspRequest(str(error)) from error


def issuer_key_hash(cert: x509.Certificate, algorithm: hashes.HashAlgorithm) -> bytes:
    """The hash of the issuer's public key as a CertID carries it (the subjectPublicKey BIT STRING)."""
    from asn1crypto import keys as asn1_keys

    spki = asn1_keys.PublicKeyInfo.load(cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    digest = hashes.Hash(algorithm)
    digest.update(spki["public_key"].contents[1:])  # without the unused-bits octet
    return digest.finalize()


def ocsp_response(request: ocsp.OCSPRequest, *, cert: x509.Certificate | None, issuer: x509.Certificate,
                  responder: x509.Certificate, responder_key, revocation: Revocation | None,
                  valid_minutes: int = 60 * 24) -> bytes:
    """A signed BasicOCSPResponse for the request's one certificate, by a delegated responder.
    ``cert`` None: we never issued that serial (answered ``unknown``)."""
    now = datetime.now(timezone.utc)
    this_update, next_update = now - timedelta(minutes=1), now + timedelta(minutes=valid_minutes)
    builder = ocsp.OCSPResponseBuilder()
    if cert is None:
        builder = builder.add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash, issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number, algorithm=request.hash_algorithm,
            cert_status=ocsp.OCSPCertStatus.UNKNOWN, this_update=this_update, next_update=next_update,
            revocation_time=None, revocation_reason=None)
    elif revocation is None:
        builder = builder.add_response(cert=cert, issuer=issuer, algorithm=request.hash_algorithm,
                                       cert_status=ocsp.OCSPCertStatus.GOOD, this_update=this_update,
                                       next_update=next_update, revocation_time=None, revocation_reason=None)
    else:
        builder = builder.add_response(
            cert=cert, issuer=issuer, algorithm=request.hash_algorithm, cert_status=ocsp.OCSPCertStatus.REVOKED,
            this_update=this_update, next_update=next_update, revocation_time=revocation.revoked_at,
            revocation_reason=REASONS.get(revocation.reason or "", None))
    builder = builder.responder_id(ocsp.OCSPResponderEncoding.HASH, responder).certificates([responder])
    nonce = _nonce(request)
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.sign(responder_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def _nonce(request: ocsp.OCSPRequest) -> bytes | None:
    try:
        return request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
    except x509.ExtensionNotFound:
        return None


def ocsp_error(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def crl_pem(crl: x509.CertificateRevocationList) -> str:
    return crl.public_bytes(serialization.Encoding.PEM).decode()


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.DER)
