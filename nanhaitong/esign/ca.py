"""The platform CA held in the database: root, issuing CA, timestamp authority, their OCSP
responders, and the two CRLs.

Made on first use. The private keys are encrypted at rest by the field cipher
(``EncryptedText``), never written to the repository or the file system. They are made in
a transaction of their own (not the caller's): two instances starting at once each try to
insert the rows; the primary key lets one win, and the loser reads the winner's.

Rows (``EsignAuthority.name``):

- ``root``: signs the issuing CA, the TSA, the root OCSP responder and the root CRL;
- ``issuing``: signs the users' certificates, its OCSP responder and its CRL;
- ``tsa``: the current RFC 3161 timestamp authority; a TSA near the end of its life is
  replaced (new key) and kept as ``tsa@<serial>`` so its tokens' chains stay known;
- ``ocsp``, ``root-ocsp``: the delegated OCSP signers of the issuing CA and of the root.

A database made before revocation pointers existed is brought up to date in place: the
issuing CA and the TSA are certified again with the same keys (so every signature made
under the old certificates still chains) and the responders and root CRL are added.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import db
from ..timeutil import as_utc, utcnow
from . import pki
from .models import EsignAuthority, EsignCrl, SigningCertificate
from .pdf import KeyPair

NAMES = ("root", "issuing", "tsa", "ocsp", "root-ocsp")
CRL_ID, ROOT_CRL_ID = 1, 2
TSA_DEFAULT_DAYS = 10 * 365
OCSP_SIGNER_DAYS = 365


def _base() -> str:
    return f"{current_app.config['ISSUER']}/api/v1/esign"


def crl_url(issuer: str = "issuing") -> str:
    return f"{_base()}/crl" if issuer == "issuing" else f"{_base()}/crl/root"


def ocsp_url() -> str:
    return f"{_base()}/ocsp"


def pointers(issuer: str) -> pki.Pointers:
    """What a certificate issued by ``issuer`` (root or issuing) names for its status."""
    return pki.Pointers(crl_url=crl_url(issuer), ocsp_url=ocsp_url(),
                        issuer_url=f"{_base()}/ca/{issuer}.cer")


def _rows(session=None) -> dict[str, EsignAuthority]:
    session = session or db.session()
    query = select(EsignAuthority).execution_options(populate_existing=True)
    return {row.name: row for row in session.execute(query).scalars()}


def _tsa_days() -> float:
    return float(current_app.config.get("ESIGN_TSA_DAYS") or TSA_DEFAULT_DAYS)


def ensure() -> dict[str, EsignAuthority]:
    """The authorities, created (in a transaction of their own) on first use."""
    rows = _rows()
    if all(name in rows for name in NAMES):
        return rows
    try:
        with db.independent_unit() as session:
            _make_missing(session)
    except IntegrityError:  # another instance made them first: use theirs
        pass
    rows = _rows()
    assert all(name in rows for name in NAMES), "the platform CA is half made"
    return rows


def _make_missing(session) -> None:
    rows = _rows(session)
    if "root" in rows:
        root_key = pki.load_key(rows["root"].private_key)
        root = pki.load_cert(rows["root"].certificate_pem)
    else:
        root_key = pki.new_key()
        root = pki.make_root(root_key)
        session.add(EsignAuthority(name="root", certificate_pem=pki.cert_pem(root), private_key=pki.key_pem(root_key)))
    # The issuing CA and the TSA: new, or (made before revocation pointers) certified again.
    for name, make, new_key in (("issuing", pki.make_issuing, pki.new_key), ("tsa", pki.make_tsa, pki.new_rsa_key)):
        row = rows.get(name)
        if row is not None and _has_pointers(pki.load_cert(row.certificate_pem)):
            continue
        key = pki.load_key(row.private_key) if row is not None else new_key()
        extra = {"days": _tsa_days()} if name == "tsa" else {}
        cert = make(key, root, root_key, pointers=pointers("root"), **extra)
        if row is None:
            row = EsignAuthority(name=name, private_key=pki.key_pem(key))
            session.add(row)
            rows[name] = row
        row.certificate_pem = pki.cert_pem(cert)
    issuing_key = pki.load_key(rows["issuing"].private_key)
    issuing = pki.load_cert(rows["issuing"].certificate_pem)
    for name, issuer, issuer_key in (("ocsp", issuing, issuing_key), ("root-ocsp", root, root_key)):
        if name not in rows:
            key = pki.new_key()
            cert = pki.make_ocsp_signer(key, issuer, issuer_key, days=OCSP_SIGNER_DAYS)
            session.add(EsignAuthority(name=name, certificate_pem=pki.cert_pem(cert), private_key=pki.key_pem(key)))
    for crl_id, issuer, issuer_key in ((CRL_ID, issuing, issuing_key), (ROOT_CRL_ID, root, root_key)):
        if session.get(EsignCrl, crl_id) is None:
            session.add(EsignCrl(id=crl_id, number=1, der=pki.crl_der(pki.make_crl(issuer, issuer_key, [], 1))))
    session.flush()


def _has_pointers(cert) -> bool:
    try:
        cert.extensions.get_extension_for_class(pki.x509.CRLDistributionPoints)
        return True
    except pki.x509.ExtensionNotFound:
        return False


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


def tsa_certificates() -> list:
    """Every TSA certificate the root has issued: the current one and those retired."""
    return [pki.load_cert(row.certificate_pem) for name, row in ensure().items()
            if name == "tsa" or name.startswith("tsa@")]


def crl_der(issuer: str = "issuing") -> bytes:
    ensure()
    return db.session().get(EsignCrl, CRL_ID if issuer == "issuing" else ROOT_CRL_ID).der


def current_crl_der(issuer: str = "issuing") -> bytes:
    """The CRL to publish, re-signed first if its next update is within a day (the daily job
    does it too; this keeps a deployment without the scheduler, e.g. `make run`, current)."""
    der = crl_der(issuer)
    if pki.x509.load_der_x509_crl(der).next_update_utc <= utcnow() + timedelta(days=1):
        with db.unit_of_work("crl"):
            refresh_stale_crls()
        der = crl_der(issuer)
    return der


SM3_WITH_SM2 = "1.2.156.10197.1.501"


def revocations(*, sm2: bool | None = None) -> dict[int, pki.Revocation]:
    """Every revoked certificate, by serial number: those of the ECDSA issuing CA
    (``sm2=False``), of the SM2 one (``sm2=True``) or both (None)."""
    out = {}
    for row in db.session().execute(select(SigningCertificate).where(SigningCertificate.status == "revoked")).scalars():
        if sm2 is not None and (pki.load_cert(row.certificate_pem).signature_algorithm_oid.dotted_string
                                == SM3_WITH_SM2) != sm2:
            continue
        out[int(row.serial, 16)] = pki.Revocation(
            serial=int(row.serial, 16), revoked_at=as_utc(row.revoked_at), reason=row.revocation_reason,
            invalidity_date=as_utc(row.invalidity_date) if row.invalidity_date else None)
    return out


def refresh_crl() -> None:
    """Re-sign the issuing CA's CRL with every revoked certificate, in the caller's transaction."""
    session = db.session()
    crl = session.execute(select(EsignCrl).where(EsignCrl.id == CRL_ID).with_for_update()).scalar_one()
    issuing = key_pair("issuing")
    crl.number += 1
    crl.der = pki.crl_der(pki.make_crl(issuing.certificate, issuing.private_key,
                                       sorted(revocations(sm2=False).values(), key=lambda r: r.serial),
                                       crl.number))
    crl.updated_at = utcnow()


def refresh_root_crl() -> None:
    """Re-sign the root's CRL (nothing the root issued is revoked: it only moves its dates)."""
    session = db.session()
    crl = session.execute(select(EsignCrl).where(EsignCrl.id == ROOT_CRL_ID).with_for_update()).scalar_one()
    root = key_pair("root")
    crl.number += 1
    crl.der = pki.crl_der(pki.make_crl(root.certificate, root.private_key, [], crl.number))
    crl.updated_at = utcnow()


def refresh_stale_crls(margin: timedelta = timedelta(days=1)) -> None:
    """Re-sign a CRL whose nextUpdate is near, so what we embed in signatures is current."""
    ensure()
    for crl_id, refresh in ((CRL_ID, refresh_crl), (ROOT_CRL_ID, refresh_root_crl)):
        crl = pki.x509.load_der_x509_crl(db.session().get(EsignCrl, crl_id).der)
        if crl.next_update_utc is None or crl.next_update_utc - margin <= utcnow():
            refresh()


def renew_ocsp_signers_if_due(margin: timedelta = timedelta(days=30)) -> list[str]:
    """Re-issue a delegated OCSP signing certificate (new key) that ends within ``margin``:
    they carry ocsp-nocheck, so they live a short time and are replaced, never revoked."""
    session = db.session()
    rows = ensure()
    renewed = []
    for name, issuer_name in (("ocsp", "issuing"), ("root-ocsp", "root")):
        row = session.execute(select(EsignAuthority).where(EsignAuthority.name == name).with_for_update()).scalar_one()
        if pki.load_cert(row.certificate_pem).not_valid_after_utc - margin > utcnow():
            continue
        issuer = rows[issuer_name]
        key = pki.new_key()
        cert = pki.make_ocsp_signer(key, pki.load_cert(issuer.certificate_pem), pki.load_key(issuer.private_key),
                                    days=OCSP_SIGNER_DAYS)
        row.certificate_pem, row.private_key, row.created_at = pki.cert_pem(cert), pki.key_pem(key), utcnow()
        renewed.append(name)
    session.flush()
    return renewed


def rotate_tsa_if_due(margin: timedelta) -> bool:
    """Replace the TSA (new key, new certificate) when its certificate ends within ``margin``;
    the old one is kept as ``tsa@<serial>``. In the caller's unit of work."""
    session = db.session()
    ensure()
    row = session.execute(select(EsignAuthority).where(EsignAuthority.name == "tsa").with_for_update()).scalar_one()
    old = pki.load_cert(row.certificate_pem)
    if old.not_valid_after_utc - margin > utcnow():
        return False
    root = key_pair("root")
    key = pki.new_rsa_key()
    cert = pki.make_tsa(key, root.certificate, root.private_key, days=_tsa_days(), pointers=pointers("root"))
    session.add(EsignAuthority(name=f"tsa@{format(old.serial_number, 'x')[:11]}", certificate_pem=row.certificate_pem,
                               private_key=row.private_key, created_at=row.created_at))
    row.certificate_pem, row.private_key, row.created_at = pki.cert_pem(cert), pki.key_pem(key), utcnow()
    session.flush()
    return True


# -- OCSP ----------------------------------------------------------------------------

def ocsp_answer(request_der: bytes) -> bytes:
    """Answer a DER OCSPRequest for a certificate of the issuing CA (users' certificates) or
    of the root (the issuing CA, the TSAs), signed by that CA's delegated responder."""
    from cryptography.x509 import ocsp

    try:
        request = pki.ocsp_request(request_der)
    except pki.BadOcspRequest:
        return pki.ocsp_error(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    rows = ensure()
    root, issuing = pki.load_cert(rows["root"].certificate_pem), pki.load_cert(rows["issuing"].certificate_pem)
    algorithm = request.hash_algorithm
    if request.issuer_key_hash == pki.issuer_key_hash(issuing, algorithm):
        row = db.session().execute(select(SigningCertificate).where(
            SigningCertificate.serial == format(request.serial_number, "x"))).scalar_one_or_none()
        cert = pki.load_cert(row.certificate_pem) if row is not None else None
        revocation = revocations(sm2=False).get(request.serial_number) if row is not None else None
        responder = rows["ocsp"]
        issuer = issuing
    elif request.issuer_key_hash == pki.issuer_key_hash(root, algorithm):
        issued = [pki.load_cert(r.certificate_pem) for name, r in rows.items()
                  if name not in ("root", "root-ocsp")]
        issued = [c for c in issued if c.issuer == root.subject]
        cert = next((c for c in issued if c.serial_number == request.serial_number), None)
        revocation = None
        responder = rows["root-ocsp"]
        issuer = root
    else:
        from . import sm2_status  # an SM2 CA's certificate: answered SM2-signed

        return sm2_status.ocsp_answer(request_der) or pki.ocsp_error(ocsp.OCSPResponseStatus.UNAUTHORIZED)
    return pki.ocsp_response(request, cert=cert, issuer=issuer, responder=pki.load_cert(responder.certificate_pem),
                             responder_key=pki.load_key(responder.private_key), revocation=revocation)
