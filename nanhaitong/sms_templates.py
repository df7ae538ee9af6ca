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
from datetime import datetime

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


# Inbox (and push) texts: (title, body) templates, stored in Chinese when sent (the inbox
# is read later, by whoever opens it: Chinese first). Domains name a template and its values.
INBOX_TEXTS = {
    "partner_consent_given": (N_("You allowed {partner}"),
                              N_("You allowed {partner} to read: {data}. If this was not you, withdraw it under "
                                 "\"My authorizations\".")),
}


def inbox_text(name: str, **values) -> tuple[str, str]:
    """The (title, body) of inbox template ``name`` in Chinese, filled with ``values``."""
    catalogue = get_translations("zh_CN")
    title, body = INBOX_TEXTS[name]
    return catalogue.gettext(title).format(**values), catalogue.gettext(body).format(**values)


def register_sandbox(sandbox) -> None:
    """Register every template with the mounted sandbox gateway, in process."""
    for simulator in sandbox.simulators:
        if simulator.name == "sms":
            for name in TEMPLATES:
                simulator.register_template(name, registered_text(name))
