"""The one place that builds the integration clients from settings; tests swap them here."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from integrations.face import FaceVerificationClient
from integrations.identity_verification import IdentityVerificationClient
from integrations.sms import SmsClient
from integrations.yueshangtong import YueshangtongClient


@dataclass
class Clients:
    sms: SmsClient
    idv: IdentityVerificationClient
    face: FaceVerificationClient
    yueshangtong: YueshangtongClient


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
    )


def init_app(app: Flask) -> None:
    app.extensions["nht.clients"] = build_clients(app.config)


def clients() -> Clients:
    return current_app.extensions["nht.clients"]
