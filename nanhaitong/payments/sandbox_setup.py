"""Tell the mounted sandbox gateways our merchant's public keys, as a merchant does once in
the WeChat Pay and Alipay consoles (only with the sandbox; never in production)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization

from integrations import rsa_sha256


def _public_pem(private_pem: str) -> str:
    key = rsa_sha256.load_private_key(private_pem)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def merchant_settings(config: dict) -> dict[str, dict]:
    """What each sandbox gateway is told, by gateway name."""
    return {
        "wechatpay": {"mchid": config["WECHATPAY_MCHID"], "appid": config["WECHATPAY_APPID"],
                      "serial_no": config["WECHATPAY_MERCHANT_SERIAL"],
                      "public_key_pem": _public_pem(config["WECHATPAY_MERCHANT_KEY"]),
                      "apiv3_key": config["WECHATPAY_APIV3_KEY"]},
        "alipay": {"app_id": config["ALIPAY_APP_ID"], "public_key_pem": _public_pem(config["ALIPAY_APP_PRIVATE_KEY"])},
    }


def register_merchant(sandbox, config: dict) -> None:
    """The mounted sandbox, in process."""
    settings = merchant_settings(config)
    for simulator in sandbox.simulators:
        if simulator.name in settings:
            simulator.configure(**settings[simulator.name])


def register_merchant_over_http(sandbox_url: str, config: dict) -> None:
    """A sandbox running as its own process (make run-prod, the benchmarks, the
    multi-instance tests), through its control endpoints."""
    import time

    import requests

    paths = {"wechatpay": "/wechat/_control/merchant", "alipay": "/alipay/_control/merchant"}
    deadline = time.monotonic() + 15  # the sandbox may still be starting
    for name, settings in merchant_settings(config).items():
        while True:
            try:
                answer = requests.post(sandbox_url.rstrip("/") + paths[name], json=settings, timeout=10)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        answer.raise_for_status()
