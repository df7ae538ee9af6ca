"""Tell the mounted sandbox gateways our merchant's public keys, as a merchant does once in
the WeChat Pay and Alipay consoles (only with the sandbox; never in production)."""

from __future__ import annotations

from cryptography.hazmat.primitives import serialization


def _public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def register_merchant(sandbox, config: dict) -> None:
    for simulator in sandbox.simulators:
        if simulator.name == "wechatpay":
            simulator.configure(mchid=config["WECHATPAY_MCHID"], appid=config["WECHATPAY_APPID"],
                                serial_no=config["WECHATPAY_MERCHANT_SERIAL"],
                                public_key_pem=_public_pem(config["WECHATPAY_MERCHANT_KEY"]),
                                apiv3_key=config["WECHATPAY_APIV3_KEY"])
        elif simulator.name == "alipay":
            simulator.configure(app_id=config["ALIPAY_APP_ID"],
                                public_key_pem=_public_pem(config["ALIPAY_APP_PRIVATE_KEY"]))
