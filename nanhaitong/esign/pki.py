"""Certificates and CRLs of the platform CA, built with ``cryptography``: pure functions.

Keys are ECDSA P-256 (what Adobe Reader, pyHanko and OpenSSL all check), except the
timestamp authority's, which is RSA 2048. The root signs
the issuing CA and the timestamp authority; the issuing CA signs the users' signing
certificates and the CRL.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORG = "Nanhai-Tong"


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def new_rsa_key() -> rsa.RSAPrivateKey:
    """The timestamp authority signs with RSA (pyHanko's in-process TSA is RSA only)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def load_key(pem: str):
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


def make_issuing(key, root: x509.Certificate, root_key, *, days: int = 10 * 365, label: str = ORG,
                 crl_url: str | None = None) -> x509.Certificate:
    builder = (_builder(_name(f"{label} Issuing CA", organization=label), root.subject, key.public_key(), days)
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                              critical=True))
    return _issued(builder, root, root_key)


def make_tsa(key, root: x509.Certificate, root_key, *, days: int = 10 * 365) -> x509.Certificate:
    builder = (_builder(_name(f"{ORG} Timestamp Authority", organization=ORG), root.subject, key.public_key(), days)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(True, True, False, False, False, False, False, False, False),
                              critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True))
    return _issued(builder, root, root_key)


def make_signing_cert(public_key, issuing: x509.Certificate, issuing_key, *, common_name: str,
                      organization: str | None = None, organization_identifier: str | None = None,
                      serial_number: str | None = None, days: int = 2 * 365,
                      crl_url: str | None = None) -> x509.Certificate:
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
    if crl_url:
        builder = builder.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url)], relative_name=None, reasons=None,
            crl_issuer=None)]), critical=False)
    return _issued(builder, issuing, issuing_key)


def make_crl(issuing: x509.Certificate, issuing_key, revoked: list[tuple[int, datetime]], number: int,
             *, next_update_days: int = 7) -> x509.CertificateRevocationList:
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuing.subject)
               .last_update(now - timedelta(minutes=1)).next_update(now + timedelta(days=next_update_days))
               .add_extension(x509.CRLNumber(number), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuing.public_key()),
                              critical=False))
    for serial, when in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build())
    return builder.sign(issuing_key, hashes.SHA256())


def crl_pem(crl: x509.CertificateRevocationList) -> str:
    return crl.public_bytes(serialization.Encoding.PEM).decode()


def crl_der(crl: x509.CertificateRevocationList) -> bytes:
    return crl.public_bytes(serialization.Encoding.DER)
