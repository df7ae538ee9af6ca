"""SMS texts: one template per purpose, registered with the gateway beforehand.

Chinese SMS gateways send only templates registered (and approved) in advance, filled
with parameters; we send a template's name and its parameters, never free text. The text
registered is the zh_CN translation of the English written here (the message id, so the
catalogue holds every SMS and the completeness test covers them). ``register_sandbox`` /
``flask sms register-templates`` register them with the sandbox gateway, as an operator
does once in a real provider's console.

A code always comes first in the text: people (and tests) find it at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from .errors import N_
from .i18n import get_translations
from .timeutil import CHINA_STANDARD_TIME


@dataclass(frozen=True)
class SmsTemplate:
    name: str
    text: str  # English, the msgid; {param} placeholders

    @property
    def params(self) -> frozenset[str]:
        import re

        return frozenset(re.findall(r"\{(\w+)\}", self.text))


def sms_template(name: str, text: str) -> SmsTemplate:
    return SmsTemplate(name, text)


TEMPLATES = {template.name: template for template in (
    sms_template("login_code", N_("Your Nanhai-Tong sign-in code is {code}, valid for {minutes} minutes. "
                                  "Never tell it to anyone.")),
    sms_template("step_up_code", N_("Code {code} confirms a change to your Nanhai-Tong account's security, "
                                    "valid for {minutes} minutes. If you did not ask for it, change your password.")),
    sms_template("change_phone_code", N_("Code {code} binds this phone to a Nanhai-Tong account, valid for "
                                         "{minutes} minutes.")),
    sms_template("staff_login_code", N_("Code {code} signs you in to the Nanhai district staff console, valid for "
                                        "{minutes} minutes. Never tell it to anyone, colleagues included.")),
    sms_template("esign_code", N_("Code {code} signs the document \"{title}\" (fingerprint {digest}), valid for "
                                  "{minutes} minutes. Enter it only if this is the document you mean to sign.")),
    sms_template("partner_consent_code", N_("Code {code} lets {partner} read your {data}, valid for {minutes} "
                                            "minutes. Enter it only if you mean to allow this.")),
    sms_template("payment_notice", N_("Your {what} of {yuan} yuan was paid at {time}.")),
    sms_template("refund_notice", N_("Your {what} of {yuan} yuan was refunded at {time}.")),
    sms_template("licence_expiry", N_("Your {licence} expires on {date}; renew it in time.")),
    # Texts that also reach the inbox: one English id, so the SMS and the inbox say the same.
    sms_template("esign_invitation", N_("You are invited to sign \"{title}\"; sign it in Nanhai-Tong before "
                                        "{deadline}.")),
    sms_template("esign_reminder", N_("Reminder: \"{title}\" is waiting for your signature; sign it before "
                                      "{deadline}.")),
    sms_template("esign_declined", N_("Signing of \"{title}\" has ended: a signer declined, giving the reason: "
                                      "{reason}")),
    sms_template("esign_expired", N_("\"{title}\" was not signed in time; signing has ended.")),
    sms_template("appointment_reminder", N_("You booked {day} {start} at {centre} for \"{matter}\". Bring the "
                                            "materials needed and arrive on time; show your Nanhai-Tong appointment "
                                            "code to take a number. If you cannot come, cancel the booking "
                                            "beforehand.")),
    sms_template("account_deletion_requested", N_("You asked to delete your Nanhai-Tong account. After the "
                                                  "cooling-off period ends at {until} (Beijing time), the account "
                                                  "is deleted with your personal data. Signing in during the "
                                                  "cooling-off period cancels the deletion.")),
    sms_template("account_deletion_cancelled", N_("You signed in during the cooling-off period: the deletion of "
                                                  "your Nanhai-Tong account is cancelled and the account stays as "
                                                  "it was.")),
    sms_template("account_deleted", N_("Your Nanhai-Tong account is closed and your personal data deleted. Thank "
                                       "you for using Nanhai-Tong.")),
)}

# Which template texts a one-time code, by the code's purpose (before any ":<id>").
CODE_TEMPLATES = {"login": "login_code", "step_up": "step_up_code", "change_phone": "change_phone_code",
                  "staff_login": "staff_login_code", "esign": "esign_code", "partner_consent": "partner_consent_code"}
# The gateway's generic code template: for a purpose whose details were not given.
GENERIC_CODE_TEMPLATE = "verification_code"


def registered_text(name: str) -> str:
    """The Chinese text registered for template ``name`` (placeholders unfilled)."""
    template = TEMPLATES[name]
    return get_translations("zh_CN").gettext(template.text)


def render(name: str, params: dict) -> str:
    """The text a person receives, as the gateway renders it."""
    return "【南海通】" + registered_text(name).format(**params)


def code_template(purpose: str, code: str, minutes: int, details: dict | None) -> tuple[str, dict]:
    """The template and parameters texting ``code`` for ``purpose``."""
    name = CODE_TEMPLATES.get(purpose.partition(":")[0])
    params = {"code": code, "minutes": minutes, **{k: str(v)[:40] for k, v in (details or {}).items()}}
    if name is None or set(params) != TEMPLATES[name].params:
        return GENERIC_CODE_TEMPLATE, {"code": code, "minutes": minutes}
    return name, params


def china_time_text(moment: datetime) -> str:
    """A moment as people in China read it: 2026年12月4日 19:08 (China Standard Time)."""
    local = moment.astimezone(CHINA_STANDARD_TIME)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def sms_params(name: str, **values) -> dict:
    """The parameters of SMS template ``name``, checked against its placeholders and cut to
    what a gateway takes (a parameter is short: 60 characters at most)."""
    params = {key: str(value)[:60] for key, value in values.items()}
    if set(params) != TEMPLATES[name].params:
        raise ValueError(f"SMS template {name} takes {sorted(TEMPLATES[name].params)}, not {sorted(params)}")
    return params


def china_date_text(day: date | str) -> str:
    """A calendar date (China's) as people read it: 2027年1月15日."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{day.year}年{day.month}月{day.day}日"


# Inbox (and push) texts: (title, body) templates, one per purpose, stored in Chinese when
# sent (the inbox is read later, by whoever opens it: Chinese first; a push shows the same
# title and body). Domains name a template and its values (``inbox_text``); none passes a
# text of its own (tests/foundation/test_inbox_texts.py reads every send). What staff write
# themselves (a policy's title and summary) is content, sent as written.
INBOX_TEXTS = {
    "partner_consent_given": (N_("You allowed {partner}"),
                              N_("You allowed {partner} to read: {data}. If this was not you, withdraw it under "
                                 "\"My authorizations\".")),
    "identity_claimed": (N_("Your real-name verification was withdrawn"),
                         N_("The holder of this ID card passed face verification and moved the real-name "
                            "verification to their own Nanhai-Tong account. Your account is back to unverified. "
                            "If you have questions, contact Nanhai-Tong customer service.")),
    "licence_expiry": (N_("Your licence is about to expire"), TEMPLATES["licence_expiry"].text),
    "application_status": (N_("{service}: {status}"),
                           N_("Your application ({reference}) is now \"{status}\".")),
    "case_status": (N_("Case {status}"), N_("Your \"{matter}\" case (number {number}) {status}.")),
    "case_followup_answered": (N_("Reply to your review"),
                               N_("Your review of case {number} has a reply; read it and rate how it was put "
                                  "right.")),
    "appointment_reminder": (N_("Appointment reminder"), TEMPLATES["appointment_reminder"].text),
    "benefit_offered": (N_("Benefit without application: funds to confirm"),
                        N_("Your enterprise meets the conditions of \"{benefit}\" and receives {yuan} yuan "
                           "without applying. The legal representative or an authorised member confirms it in "
                           "Nanhai-Tong.")),
    "payment_fulfilled": (N_("Payment made"), N_("Your {what} is done, amount {yuan} yuan.")),
    "payment_fulfilment_failed": (N_("Payment not completed"),
                                  N_("Your {what} could not be completed; a refund of {yuan} yuan has been started "
                                     "for you.")),
    "payment_refunded": (N_("Refund made"), N_("The {yuan} yuan of your {what} went back the way it was paid.")),
    "certificate_renewed": (N_("Signing certificate renewed"),
                            N_("Your signing certificate was renewed (new serial {serial}…). The old certificate "
                               "is retired; documents signed before stay valid.")),
    "certificate_revoked": (N_("Signing certificate revoked"),
                            N_("The signing certificate (serial {serial}…) was revoked and can no longer sign.")),
    "seal_applied": (N_("Electronic seal used"),
                     N_("The enterprise's electronic seal was applied to \"{file}\". If the enterprise did not "
                        "authorise this, revoke the seal's certificate at once.")),
    "document_signed": (N_("Document signed"),
                        N_("\"{file}\" is signed electronically; the signed file can be downloaded.")),
    "seal_signed_digest": (N_("Electronic seal used"),
                           N_("The enterprise's electronic seal signed \"{title}\" (digest {digest}…). If the "
                              "enterprise did not authorise this, revoke the seal's certificate at once.")),
    "digest_signed": (N_("Document signed"),
                      N_("You signed \"{title}\" electronically (SHA-256 digest {digest}…). If this was not you, "
                         "revoke your signing certificate at once.")),
    "esign_invitation": (N_("Please sign a document"), TEMPLATES["esign_invitation"].text),
    "esign_reminder": (N_("Signing reminder"), TEMPLATES["esign_reminder"].text),
    "esign_declined": (N_("Signing ended"), TEMPLATES["esign_declined"].text),
    "esign_expired": (N_("Signing expired"), TEMPLATES["esign_expired"].text),
    "esign_completed": (N_("Signing complete"),
                        N_("\"{title}\" is signed by every signer; download the signed file in Nanhai-Tong.")),
    "data_export_ready": (N_("Your copy of your personal data is ready"),
                          N_("The copy of your personal data you asked for is ready. Download it before {until} "
                             "(Beijing time); downloading needs an SMS code. After that it is deleted.")),
    "account_deletion_requested": (N_("Account deletion requested"), TEMPLATES["account_deletion_requested"].text),
    "account_deletion_cancelled": (N_("Account deletion cancelled"), TEMPLATES["account_deletion_cancelled"].text),
}

def inbox_params(name: str) -> frozenset[str]:
    """The values inbox template ``name`` takes: the placeholders of its title and body."""
    import re

    return frozenset(re.findall(r"\{(\w+)\}", "".join(INBOX_TEXTS[name])))


def inbox_text(name: str, **values) -> tuple[str, str]:
    """The (title, body) of inbox template ``name`` in Chinese, filled with ``values``
    (exactly the template's placeholders: a missing or extra one is a mistake)."""
    if set(values) != inbox_params(name):
        raise ValueError(f"inbox template {name} takes {sorted(inbox_params(name))}, not {sorted(values)}")
    catalogue = get_translations("zh_CN")
    title, body = INBOX_TEXTS[name]
    return catalogue.gettext(title).format(**values), catalogue.gettext(body).format(**values)


def phrase(text: str, **values) -> str:
    """A catalogue phrase (marked ``N_``) in Chinese, to fill a template's parameter."""
    return get_translations("zh_CN").gettext(text).format(**values)


def register_sandbox(sandbox) -> None:
    """Register every template with the mounted sandbox gateway, in process."""
    for simulator in sandbox.simulators:
        if simulator.name == "sms":
            for name in TEMPLATES:
                simulator.register_template(name, registered_text(name))
