"""The one place that builds the integration clients from settings; tests swap them here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

from integrations.alipay import AlipayClient
from integrations.face import FaceVerificationClient
from integrations.gas_utility import GasUtilityClient
from integrations.identity_verification import IdentityVerificationClient
from integrations.licence_library import LicenceLibraryClient, load_trust_anchor
from integrations.lingnan_pass import LingnanPassClient
from integrations.partner_http import PartnerHttpClient
from integrations.push import PushClient
from integrations.sms import SmsClient
from integrations.wechatpay import WechatPayClient
from integrations.yueshangtong import YueshangtongClient, YueshangtongServicesClient
from integrations.yueshengshi import YueshengshiClient

from .config import ConfigError


@dataclass
class Clients:
    sms: SmsClient
    idv: IdentityVerificationClient
    face: FaceVerificationClient
    yueshangtong: YueshangtongClient
    licence_library: LicenceLibraryClient
    push: PushClient
    yueshengshi: YueshengshiClient | None = None
    yueshangtong_services: YueshangtongServicesClient | None = None
    # payments (issue 8)
    wechatpay: WechatPayClient | None = None
    alipay: AlipayClient | None = None
    lingnan_pass: LingnanPassClient | None = None
    gas_utility: GasUtilityClient | None = None
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
        yueshengshi=_gov_gateway(YueshengshiClient, config, "YUESHENGSHI"),
        yueshangtong_services=_gov_gateway(YueshangtongServicesClient, config, "YUESHANGTONG_GATEWAY"),
        partner_http=PartnerHttpClient(timeout=float(timeout), allow_loopback=config["PARTNER_URLS_ALLOW_LOOPBACK"],
                                       jwks_deadline=min(5.0, float(timeout))),
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


def _gov_gateway(cls, config: dict, prefix: str):
    """A provincial services gateway client (issue 7), one circuit breaker per upstream."""
    if config.get("ENV") == "production" and not config.get("ALLOW_INSECURE"):
        for name in ("APP_SECRET", "CALLBACK_SECRET"):
            if config[f"{prefix}_{name}"].startswith("sandbox-"):
                raise ConfigError(f"refusing to start in production: NHT_{prefix}_{name} is the sandbox default")
    return cls(
        config[f"{prefix}_BASE_URL"], app_key=config[f"{prefix}_APP_KEY"], app_secret=config[f"{prefix}_APP_SECRET"],
        timeout=config["GOV_SERVICES_TIMEOUT_SECONDS"], retries=config["GOV_SERVICES_RETRIES"],
        breaker_fail_max=config["GOV_SERVICES_BREAKER_FAIL_MAX"],
        breaker_reset_timeout=config["GOV_SERVICES_BREAKER_RESET_SECONDS"],
    )


def init_app(app: Flask) -> None:
    app.extensions["nht.clients"] = build_clients(app.config)
    _add_payment_clients(app.extensions["nht.clients"], app.config)


# -- payments (issue 8) ------------------------------------------------------------------

def _pinned(config: dict, name: str, what: str) -> str | None:
    """A pinned key/certificate file (production must pin it; the sandbox's is fetched)."""
    path = config.get(name)
    if not path:
        if config.get("ENV") == "production" and not config.get("ALLOW_INSECURE"):
            raise ConfigError(f"refusing to start in production: NHT_{name} is not set ({what} must be pinned)")
        return None
    try:
        return Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"NHT_{name} cannot be read: {exc}") from None


def _add_payment_clients(built: Clients, config: dict) -> None:
    timeout = config["UPSTREAM_TIMEOUT_SECONDS"]
    try:
        built.wechatpay = WechatPayClient(
            config["WECHATPAY_BASE_URL"], mchid=config["WECHATPAY_MCHID"], appid=config["WECHATPAY_APPID"],
            merchant_serial_no=config["WECHATPAY_MERCHANT_SERIAL"],
            merchant_private_key_pem=config["WECHATPAY_MERCHANT_KEY"], apiv3_key=config["WECHATPAY_APIV3_KEY"],
            timeout=timeout,
            platform_certificate_pem=_pinned(config, "WECHATPAY_PLATFORM_CERT", "the WeChat Pay platform certificate"))
        built.alipay = AlipayClient(
            config["ALIPAY_GATEWAY_URL"], app_id=config["ALIPAY_APP_ID"],
            app_private_key_pem=config["ALIPAY_APP_PRIVATE_KEY"], timeout=timeout,
            alipay_public_key=_pinned(config, "ALIPAY_PUBLIC_KEY", "the Alipay public key"))
    except ValueError as exc:
        raise ConfigError(f"payment channel settings are not valid: {exc}") from None
    built.lingnan_pass = LingnanPassClient(config["LINGNAN_BASE_URL"], api_key=config["LINGNAN_API_KEY"],
                                           timeout=timeout)
    built.gas_utility = GasUtilityClient(config["GAS_BASE_URL"], api_key=config["GAS_API_KEY"], timeout=timeout)


def clients() -> Clients:
    return current_app.extensions["nht.clients"]
