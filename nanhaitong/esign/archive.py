"""Keeping signed documents verifiable for years (PAdES B-LTA renewal).

A document timestamp proves the document and its validation data existed at its time only as
long as its TSA certificate (and its algorithms) can be trusted. Before the TSA certificate of
a signed document's newest timestamp ends, this job adds the validation data of that
timestamp to the DSS and a new document timestamp by the current TSA over everything, as an
incremental update (every earlier signature stays intact). A document sealed under the
national suite gets the same with SM2 contents (``ses_ltv``: the SM2 certificates and CRLs
in the DSS, an SM2 document timestamp). When the TSA certificate itself
ends within the margin, the TSA is replaced first (new key, new certificate).

The same daily run re-signs a CRL whose next update is within a day (CRLs live a week) and
re-issues a delegated OCSP signing certificate that ends within 30 days.

Run daily by the scheduler (``esign-archive-timestamps``); ``NHT_ESIGN_ARCHIVE_MARGIN_DAYS``
(default 90) is how long before the end it acts. Safe to run twice and on several workers:
each document is locked, re-checked and renewed in its own unit of work.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..timeutil import as_utc, utcnow
from . import ca, pdf, service, ses_ltv, sm2_status
from .models import SigningRequest

DEFAULT_MARGIN_DAYS = 90
BATCH = 200


def margin() -> timedelta:
    return timedelta(days=float(current_app.config.get("ESIGN_ARCHIVE_MARGIN_DAYS") or DEFAULT_MARGIN_DAYS))


def renew_archive_timestamps() -> dict:
    """Replace a TSA near its end, then re-timestamp every signed document whose newest
    timestamp's TSA certificate ends within the margin. Returns what it did."""
    with db.unit_of_work("authorities"):
        ca.refresh_stale_crls()  # CRLs live a week: re-signed a day before, revocations or not
        sm2_status.refresh_stale_crls()
        ca.renew_ocsp_signers_if_due()
        rotated = ca.rotate_tsa_if_due(margin())
    due = db.session().execute(
        select(SigningRequest.id).where(SigningRequest.status == "signed",
                                        SigningRequest.archive_until <= utcnow() + margin())
        .order_by(SigningRequest.archive_until).limit(BATCH)).scalars().all()
    renewed = 0
    for request_id in due:
        with db.unit_of_work("renew"):
            row = db.session().execute(select(SigningRequest).where(SigningRequest.id == request_id)
                                       .with_for_update()).scalar_one()
            if row.archive_until is None or as_utc(row.archive_until) > utcnow() + margin():
                continue  # another worker renewed it meanwhile
            before = base64.b64decode(row.signed_document)
            try:
                if ses_ltv.document_timestamps(before):  # sealed under the national suite: SM2 contents
                    after = service.national_long_term(before, field_name=f"ArchiveTimestamp-{utcnow():%Y%m%d%H%M%S}")
                else:
                    after = pdf.add_archive_timestamp(before, tsa=ca.key_pair("tsa"), revinfo=service.revinfo())
            except (pdf.BadPdf, ValueError) as error:
                audit("esign.archive_timestamp_failed", result="failure", object_type="signing_request",
                      object_id=row.id, details={"error": type(error).__name__})
                continue
            row.signed_document = base64.b64encode(after).decode()
            previous_sha256, row.signed_sha256 = row.signed_sha256, hashlib.sha256(after).hexdigest()
            row.archive_until = service.archive_until(after)
            audit("esign.archive_timestamped", object_type="signing_request", object_id=row.id,
                  details={"previous_sha256": previous_sha256, "signed_sha256": row.signed_sha256})
            renewed += 1
    return {"tsa_rotated": rotated, "renewed": renewed}
