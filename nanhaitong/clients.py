"""The one place that builds the integration clients from settings; tests swap them here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from integrations.face import FaceVerificationClient
from integrations.identity_verification import IdentityVerificationClient
from integrations.licence_library import LicenceLibraryClient, load_trust_anchor
from integrations.partner_http import PartnerHttpClient
from integrations.push import PushClient
from integrations.sms import SmsClient
from integrations.yueshangtong import YueshangtongClient

from .config import ConfigError


@dataclass
class Clients:
    sms: SmsClient
    idv: IdentityVerificationClient
    face: FaceVerificationClient
    yueshangtong: YueshangtongClient
    licence_library: LicenceLibraryClient
    push: PushClient
    partner_http: PartnerHttpClient | None = None


def build_clients(config: dict) -> Clients:
    timeout = config["UPSTREAM_TIMEOUT_SECONDS"]
    return Clients(
        sms=SmsClient(config["SMS_BASE_URL"], api_key=config["SMS_API_KEY"], timeout=timeout),
        idv=IdentityVerificationClient(
            config["IDV_BASE_URL"], api_key=config["IDV_API_KEY"], timeout=timeout
        ),
        face=FaceVerificationClient(
            config["FACE_BASE_URL"], api_key=config["FACE_API_KEY"], timeout=timeout
        ),
        yueshangtong=YueshangtongClient(
            config["YUESHANGTONG_BASE_URL"], api_key=config["YUESHANGTONG_API_KEY"], timeout=timeout
        ),
        licence_library=LicenceLibraryClient(
            config["LICENCE_LIBRARY_BASE_URL"], api_key=config["LICENCE_LIBRARY_API_KEY"],
            timeout=timeout, trust_anchor_pem=_licence_trust_anchor(config),
        ),
        push=PushClient(config["PUSH_BASE_URL"], api_key=config["PUSH_API_KEY"], timeout=timeout),
        partner_http=PartnerHttpClient(timeout=float(timeout)),
    )


def _licence_trust_anchor(config: dict) -> bytes | None:
    """The pinned root CA of the e-licence library (NHT_LICENCE_TRUST_ANCHOR, a PEM file).

    Without one the client fetches the anchor from the library it talks to, which is
    only sound against the sandbox (whose CA is made afresh at each start); a
    production configuration must pin it.
    """
    path = config.get("LICENCE_TRUST_ANCHOR")
    if not path:
        if config.get("ENV") == "production" and not config.get("ALLOW_INSECURE"):
            raise ConfigError(
                "refusing to start in production: NHT_LICENCE_TRUST_ANCHOR is not set "
                "(the e-licence library's root CA certificate must be pinned)"
            )
        return None
    try:
        pem = Path(path).read_bytes()
        load_trust_anchor(pem)
    except OSError as exc:
        raise ConfigError(f"NHT_LICENCE_TRUST_ANCHOR cannot be read: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"NHT_LICENCE_TRUST_ANCHOR is not a CA certificate in PEM: {exc}") from None
    return pem


def init_app(app: Flask) -> None:
    app.extensions["nht.clients"] = build_clients(app.config)


def clients() -> Clients:
    return current_app.extensions["nht.clients"]
