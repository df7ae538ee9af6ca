"""SMS one-time codes: CSPRNG, keyed hash at rest, bound to phone and purpose, single use.

Sending answers the same whether or not the phone has an account. Limits: one code per
phone and purpose per NHT_SMS_RESEND_SECONDS and daily caps per phone and per client IP
(all three shared across instances through the rate-limit storage), five wrong tries per
code.
"""

from __future__ import annotations

import hmac
import math
import secrets
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import select, update

from .. import db
from ..errors import Unauthorized
from ..ids import new_id
from ..jobs.tasks import after_response, enqueue_sms
from ..ratelimit import enforce, once_per
from ..security.fields import normalize_phone
from ..sms_templates import code_template
from ..timeutil import as_utc, utcnow
from ..upstream import upstream_errors
from .models import OneTimeCode

PURPOSES = ("login", "step_up", "change_phone", "staff_login", "esign",  # esign:<request>: confirm a signature
            "partner_consent")  # sign in on a partner's consent page
MAX_ATTEMPTS = 5


def phone_index(phone: str) -> str:
    return current_app.extensions["nht.blind_index"].digest(phone, domain="phone", normalize=normalize_phone)


def _code_hash(code_id: str, code: str) -> str:
    return current_app.extensions["nht.blind_index"].digest(f"{code_id}:{code}", domain="otp")


def send(phone: str, purpose: str, *, deliver: bool = True, details: dict | None = None,
         deliver_after_response: bool = False) -> dict:
    """Issue a code for ``phone`` and ``purpose`` and text it.

    The SMS is the purpose's template (nanhaitong.sms_templates), saying what the code
    approves; ``details`` fill it (a signature: the document's ``title`` and ``digest``; a
    partner's consent: the ``partner`` and the ``data``).

    With ``deliver=False`` everything happens (limits, the stored code, the answer)
    except the SMS itself: staff sign-in uses it for phones that are not an active staff
    account, so the answer does not tell, yet strangers are not texted staff codes.
    With ``deliver_after_response`` the SMS (or nothing) goes out once the answer has been
    sent: the request does the same work whether or not it texts anyone.
    """
    cfg = current_app.config
    index = phone_index(phone)
    # Claimed in one atomic step, not read from the latest code: two simultaneous requests
    # each saw no recent code (the other's was not committed yet) and both texted one.
    with once_per(cfg["SMS_RESEND_SECONDS"], "sms-resend", index, purpose,
                  message="A code was sent moments ago; wait before asking again."):
        _issue(phone, index, purpose, deliver, details, deliver_after_response)
    return {"sent": True, "expires_in": cfg["SMS_CODE_TTL_SECONDS"], "resend_after": cfg["SMS_RESEND_SECONDS"]}


@db.unit_of_work()
def _issue(phone: str, index: str, purpose: str, deliver: bool, details: dict | None = None,
           after: bool = False) -> None:
    cfg = current_app.config
    caps = ((f"{cfg['SMS_DAILY_PER_PHONE']} per day", "sms-phone", index),
            (f"{cfg['SMS_DAILY_PER_IP']} per day", "sms-ip", request.remote_addr or "-"))
    for cap in caps:  # check every cap first, so a refusal by one spends none of the others
        enforce(*cap, count=False)
    for cap in caps:
        enforce(*cap)

    session = db.session()
    now = utcnow()
    # Older codes for the same purpose die with the new one: only the last SMS works.
    session.execute(update(OneTimeCode).where(OneTimeCode.phone_index == index, OneTimeCode.purpose == purpose,
                                              OneTimeCode.consumed_at.is_(None))
                    .values(consumed_at=now).execution_options(synchronize_session=False))
    code = f"{secrets.randbelow(10**6):06d}"
    ttl = cfg["SMS_CODE_TTL_SECONDS"]
    code_id = new_id()  # made here, not by the INSERT: the id salts the hash, and one INSERT stores both
    session.add(OneTimeCode(id=code_id, phone_index=index, purpose=purpose, expires_at=now + timedelta(seconds=ttl),
                            code_hash=_code_hash(code_id, code)))
    session.flush()  # stored before it is texted
    template = code_template(purpose, code, max(1, math.ceil(ttl / 60)), details)
    if after:
        # Sent (or not) once the answer is out, and after this commit.
        after_response(lambda: enqueue_sms(phone, *template) if deliver else None)
    elif deliver:
        # Delivered (or queued) before the commit: a gateway failure in the embedded
        # mode leaves no code behind and no resend wait, only a 503 to try again.
        with upstream_errors("SMS gateway"):
            enqueue_sms(phone, *template)


def consume_code(phone: str, purpose: str, code: str) -> None:
    """Accept the phone's live code for ``purpose`` once; otherwise 401 invalid_code."""
    session = db.session()
    record = session.execute(
        select(OneTimeCode).where(OneTimeCode.phone_index == phone_index(phone), OneTimeCode.purpose == purpose,
                                  OneTimeCode.consumed_at.is_(None))
        .order_by(OneTimeCode.created_at.desc()).limit(1).with_for_update()
    ).scalar_one_or_none()
    refused = Unauthorized("The code is wrong or has expired; ask for a new one.", code="invalid_code")
    if record is None or as_utc(record.expires_at) <= utcnow() or record.attempts >= MAX_ATTEMPTS:
        raise refused
    if not hmac.compare_digest(record.code_hash, _code_hash(record.id, code)):
        # The wrong guess counts even though the operation that asked fails.
        db.keep_as_evidence(_count_wrong_guess, record.id)
        raise refused
    record.consumed_at = utcnow()
    session.flush()


def _count_wrong_guess(code_id: str) -> None:
    db.session().execute(update(OneTimeCode).where(OneTimeCode.id == code_id)
                         .values(attempts=OneTimeCode.attempts + 1))


def spend(phone: str, purpose: str) -> None:
    """Spend the phone's live code for ``purpose`` unused (a sign-in refused on another factor)."""
    db.session().execute(update(OneTimeCode).where(
        OneTimeCode.phone_index == phone_index(phone), OneTimeCode.purpose == purpose,
        OneTimeCode.consumed_at.is_(None)).values(consumed_at=utcnow()))
