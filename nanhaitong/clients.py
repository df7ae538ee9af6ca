"""The one place that builds the integration clients from settings; tests swap them here."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from integrations.sms import SmsClient


@dataclass
class Clients:
    sms: SmsClient


def build_clients(config: dict) -> Clients:
    timeout = config["UPSTREAM_TIMEOUT_SECONDS"]
    return Clients(
        sms=SmsClient(config["SMS_BASE_URL"], api_key=config["SMS_API_KEY"], timeout=timeout),
    )


def init_app(app: Flask) -> None:
    app.extensions["nht.clients"] = build_clients(app.config)


def clients() -> Clients:
    return current_app.extensions["nht.clients"]
