"""The platform CA held in the database: root, issuing CA, timestamp authority, and the CRL.

Made on first use. The private keys are encrypted at rest by the field cipher
(``EncryptedText``), never written to the repository or the file system. Two instances
starting at once each try to insert the three rows in one transaction; the primary key
lets one win, and the loser rolls back and reads the winner's.
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import db
from ..timeutil import as_utc, utcnow
from . import pki
from .models import EsignAuthority, EsignCrl, SigningCertificate
from .pdf import KeyPair

NAMES = ("root", "issuing", "tsa")
CRL_ID = 1


def _rows() -> dict[str, EsignAuthority]:
    return {row.name: row for row in db.session().execute(select(EsignAuthority)).scalars()}


def crl_url() -> str:
    return f"{current_app.config['ISSUER']}/api/v1/esign/crl"


def ensure() -> dict[str, EsignAuthority]:
    """The three authorities, created (and committed) on first use."""
    rows = _rows()
    if len(rows) == len(NAMES):
        return rows
    session = db.session()
    root_key, issuing_key, tsa_key = pki.new_key(), pki.new_key(), pki.new_rsa_key()
    root = pki.make_root(root_key)
    issuing = pki.make_issuing(issuing_key, root, root_key)
    tsa = pki.make_tsa(tsa_key, root, root_key)
    for name, cert, key in (("root", root, root_key), ("issuing", issuing, issuing_key), ("tsa", tsa, tsa_key)):
        session.add(EsignAuthority(name=name, certificate_pem=pki.cert_pem(cert), private_key=pki.key_pem(key)))
    session.add(EsignCrl(id=CRL_ID, number=1, der=pki.crl_der(pki.make_crl(issuing, issuing_key, [], 1))))
    try:
        session.commit()
    except IntegrityError:  # another instance made them first: use theirs
        session.rollback()
    rows = _rows()
    assert len(rows) == len(NAMES), "the platform CA is half made"
    return rows


def certificate(name: str):
    return pki.load_cert(ensure()[name].certificate_pem)


def key_pair(name: str) -> KeyPair:
    rows = ensure()
    row = rows[name]
    chain = () if name == "root" else (pki.load_cert(rows["root"].certificate_pem),)
    return KeyPair(pki.load_cert(row.certificate_pem), pki.load_key(row.private_key), chain)


def chain_pem() -> str:
    """The CA bundle: the root first, then the issuing CA (what verifiers load as -CAfile)."""
    rows = ensure()
    return rows["root"].certificate_pem + rows["issuing"].certificate_pem


def crl_der() -> bytes:
    ensure()
    return db.session().get(EsignCrl, CRL_ID).der


def refresh_crl() -> None:
    """Re-sign the CRL with every revoked certificate, in the caller's transaction."""
    session = db.session()
    crl = session.execute(select(EsignCrl).where(EsignCrl.id == CRL_ID).with_for_update()).scalar_one()
    issuing = key_pair("issuing")
    revoked = [(int(row.serial, 16), as_utc(row.revoked_at)) for row in session.execute(
        select(SigningCertificate).where(SigningCertificate.status == "revoked")).scalars()]
    crl.number += 1
    crl.der = pki.crl_der(pki.make_crl(issuing.certificate, issuing.private_key, revoked, crl.number))
    crl.updated_at = utcnow()
