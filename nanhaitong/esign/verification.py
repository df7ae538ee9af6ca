"""What a PDF's signatures are worth, judged at the time each was made.

A signature is evidence for years: what counts is whether the certificate was good when the
signature was made, proven by a trusted time (its RFC 3161 signature timestamp, else a
document timestamp that covers it). So revocation is judged at that time:

- ``superseded``, ``affiliation_changed``, ``cessation_of_operation``, ``privilege_withdrawn``
  and ``unspecified``: the certificate was good until its revocation date; signatures with a
  trusted time before it stay valid.
- ``key_compromise`` (and ``ca_compromise``): the key may have been used by someone else
  since the RFC 5280 invalidityDate; a signature made before it stays valid, one made at or
  after it is invalid. Without an invalidity date we cannot tell when the key was lost, so
  every signature made with it is invalid.
- Without a trusted time, a revoked certificate's signatures are invalid (nothing proves
  they came before the revocation).

The answer keeps the questions apart (document intact, signer identified, chain trusted,
revocation at the signing time, timestamp trusted, long-term data present) and gives one
verdict with its reason in words.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from asn1crypto import cms, tsp
from cryptography import x509

from ..timeutil import isoformat
from . import ca, gbt38540, national, pdf, pdf_ses, pki, ses_ltv
from .service import bad_pdf, check_pdf_size

COMPROMISE = {"key_compromise", "ca_compromise", "aa_compromise"}


def revocation_at(entry: pki.Revocation | None, moment: datetime | None) -> dict:
    """The certificate's revocation status as it stood at ``moment`` (the trusted signing time).
    ``entry`` is our own record (what the CRL says, to the microsecond: the CRL's times are
    whole seconds)."""
    if entry is None:
        return {"status": "good", "reason": None, "revoked_at": None, "invalidity_date": None,
                "judged_at": isoformat(moment) if moment else None, "valid_at_signing": True}
    reason, invalidity, revoked_at = entry.reason or "unspecified", entry.invalidity_date, entry.revoked_at
    if moment is None:
        good = False
    elif reason in COMPROMISE:
        good = invalidity is not None and moment < invalidity
    else:
        good = moment < revoked_at
    return {"status": "revoked_after_signing" if good else "revoked", "reason": reason,
            "revoked_at": isoformat(revoked_at), "invalidity_date": isoformat(invalidity) if invalidity else None,
            "judged_at": isoformat(moment) if moment else None, "valid_at_signing": good}


def _verdict(report: pdf.SignatureReport, ours: bool, revocation: dict | None,
             trusted_time: datetime | None) -> tuple[str, str, str]:
    """(verdict, code, reason in words)."""
    if not report.intact:
        return "invalid", "modified", "The signed content has been changed since it was signed."
    if report.modified_after_signing:
        return "invalid", "modified_after_signing", (
            "The document was changed after signing beyond adding signatures, timestamps or validation data.")
    if not report.trusted:
        return "invalid", "untrusted_chain", "The signer's certificate does not chain to the Nanhai-Tong root."
    if report.timestamp_trusted is False:
        return "invalid", "timestamp_untrusted", "The signature's timestamp is not from a trusted authority."
    if revocation is not None and not revocation["valid_at_signing"]:
        if trusted_time is None:
            return "invalid", "revoked_no_trusted_time", (
                "The certificate is revoked and no trusted timestamp proves the signature came before.")
        if revocation["reason"] in COMPROMISE:
            return "invalid", "key_compromised_before_signing", (
                "The signing key was reported compromised at or before the time of signing.")
        return "invalid", "revoked_before_signing", "The certificate was revoked before the signature was made."
    if revocation is None or not ours:
        return "indeterminate", "revocation_unknown", "The certificate was not issued by Nanhai-Tong: its revocation status is unknown here."
    if revocation["status"] == "revoked_after_signing":
        return "valid", "valid_revoked_later", (
            "The signature is valid: the certificate was good when it was signed and revoked only later.")
    return "valid", "valid", "The signature is valid: intact, by an identified signer, trusted, not revoked."


def verify(document: bytes) -> dict:
    check_pdf_size(document)
    root, issuing = ca.certificate("root"), ca.certificate("issuing")
    revoked = ca.revocations()
    try:
        reports = pdf.verify_pdf(document, trust_roots=[root], other_certs=[issuing, *ca.tsa_certificates()])
    except pdf.BadPdf as error:
        raise bad_pdf(error) from None
    signatures = [_entry(report, ours=cert.issuer == issuing.subject, entry=revoked.get(cert.serial_number))
                  for report, cert in reports]
    for report, ours, serial in _ses_reports(document):
        signatures.append(_entry(report, ours=ours, entry=revoked.get(serial)))
    return {"document_sha256": hashlib.sha256(document).hexdigest(), "signature_count": len(signatures),
            "signatures": signatures}


def _entry(report: pdf.SignatureReport, *, ours: bool, entry: pki.Revocation | None) -> dict:
    trusted_time, source = None, None
    if report.timestamp_time is not None and report.timestamp_trusted:
        trusted_time, source = report.timestamp_time, "signature_timestamp"
    elif report.document_timestamp_time is not None:
        trusted_time, source = report.document_timestamp_time, "document_timestamp"
    revocation = revocation_at(entry, trusted_time) if ours else None
    verdict, code, reason = _verdict(report, ours, revocation, trusted_time)
    long_term = bool(report.dss and report.dss_has_signer_revinfo and report.document_timestamp_time)
    return {
        "field_name": report.field_name,
        "signer": report.signer,
        "signer_name": report.signer_name,
        "issuer": report.issuer,
        "certificate_serial": report.certificate_serial,
        "intact": report.intact,
        "signer_identified": bool(report.signer_name),
        "trusted": report.trusted,
        "chain_trusted": report.trusted,
        "modified_after_signing": report.modified_after_signing,
        "coverage": report.coverage,
        "signing_time": isoformat(report.signing_time) if report.signing_time else None,
        "timestamp_time": isoformat(report.timestamp_time) if report.timestamp_time else None,
        "timestamp_trusted": report.timestamp_trusted,
        "trusted_time": isoformat(trusted_time) if trusted_time else None,
        "trusted_time_source": source,
        "revoked": (revocation["status"] != "good") if revocation is not None else None,
        "revocation": revocation,
        "long_term": {"present": long_term, "dss": report.dss,
                      "signer_revocation_data": report.dss_has_signer_revinfo,
                      "document_timestamp_time": isoformat(report.document_timestamp_time)
                      if report.document_timestamp_time else None},
        "valid": verdict == "valid",
        "verdict": verdict,
        "verdict_code": code,
        "verdict_reason": reason,
    }


# What a GB/T 38540 verifier's problems mean for the questions the answer keeps apart.
_NOT_INTACT = {"malformed", "document_hash_mismatch", "bad_signature", "unsupported_version", "unsupported_algorithm"}
_NOT_TRUSTED = {"bad_seal_signature", "signer_not_in_seal", "seal_not_valid_then", "signer_certificate_untrusted",
                "signer_certificate_not_valid_then", "seal_maker_certificate_untrusted",
                "seal_maker_certificate_not_valid_then"}


def _ses_reports(document: bytes) -> list[tuple[pdf.SignatureReport, bool, int]]:
    """The PDF's GB/T 38540 seal signatures (national suite), each checked by our SM2
    verifier over the bytes its ``/ByteRange`` covers: (report, issued by our SM2 CA, serial)."""
    try:
        found = pdf_ses.embedded(document)
    except pdf.BadPdf as error:
        raise bad_pdf(error) from None
    if not found:
        return []
    issuing = national.certificate("issuing")
    issuing_name = x509.load_der_x509_certificate(issuing.dump()).subject.rfc4514_string()
    has_dss, crl_issuers = ses_ltv.dss_crl_issuers(document)
    # The SM2 document timestamps (PAdES B-LTA with SM2 contents) our TSA made over what they cover.
    doc_times = [(stamp.signed_revision, ses_ltv.timestamp_time(stamp.token))
                 for stamp in ses_ltv.document_timestamps(document)
                 if national.check_timestamp(stamp.token, stamp.covered)]
    out = []
    for embedded in found:
        checked = national.verify(embedded.der, embedded.covered)
        if "malformed" in checked.problems:
            raise bad_pdf(pdf.BadPdf("bad_signature", "A signature in the PDF is malformed and cannot be checked."))
        parsed = gbt38540.SESSignature.load(embedded.der)
        signer = x509.load_der_x509_certificate(parsed["cert"].native)
        problems = set(checked.problems)
        intact = not problems & _NOT_INTACT
        out.append((pdf.SignatureReport(
            field_name=embedded.field_name,
            signer=signer.subject.rfc4514_string(),
            signer_name=checked.signer,
            certificate_serial=format(signer.serial_number, "x"),
            issuer=signer.issuer.rfc4514_string(),
            trusted=intact and not problems & _NOT_TRUSTED,
            intact=intact,
            coverage=embedded.coverage,
            modified_after_signing=not intact or embedded.modified_after_signing,
            signing_time=checked.signed_at,
            timestamp_time=_timestamp_time(parsed) if checked.timestamped else None,
            timestamp_trusted=("bad_timestamp" not in problems) if checked.timestamped else None,
            document_timestamp_time=min((when for revision, when in doc_times
                                         if revision >= embedded.signed_revision and when is not None), default=None),
            dss=has_dss, dss_has_signer_revinfo=signer.issuer.rfc4514_string() in crl_issuers,
        ), signer.issuer.rfc4514_string() == issuing_name, signer.serial_number))
    return out


def _timestamp_time(parsed: gbt38540.SESSignature):
    try:
        signed = cms.ContentInfo.load(parsed["time_stamp"].native)["content"]
        return tsp.TSTInfo.load(bytes(signed["encap_content_info"]["content"]))["gen_time"].native
    except (ValueError, TypeError, KeyError):
        return None
