"""The two payment channels behind one small interface the services use.

Each channel creates the order at the gateway (answering what the app needs to start
paying), closes it, refunds it, downloads its statement, and turns a callback into a
checked ``ChannelEvent`` (authenticated, decrypted, and checked against our merchant
identity) or raises ``CallbackRejected``. The order-specific checks (amount, order
number) are the caller's, against the locked order.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from flask import current_app

from integrations import alipay as ali
from integrations import wechatpay as wx
from integrations.errors import IntegrationError, UpstreamRejectedError

from ..clients import clients
from ..timeutil import CHINA_STANDARD_TIME

CHANNELS = ("wechat", "alipay")


class CallbackRejected(Exception):
    def __init__(self, reason: str, status: int = 400, retry_after: int | None = None) -> None:
        super().__init__(reason)
        self.reason, self.status, self.retry_after = reason, status, retry_after

    @property
    def headers(self) -> dict:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


class AlreadyPaid(Exception):
    """The gateway refuses to close an order because it is paid."""


@dataclass(frozen=True)
class ChannelEvent:
    channel: str
    kind: str  # payment | refund
    event_key: str
    out_trade_no: str
    amount_fen: int  # the order total as the gateway states it
    trade_no: str | None = None
    refund_no: str | None = None
    refund_fen: int | None = None


@dataclass(frozen=True)
class StatementLine:
    out_trade_no: str
    kind: str  # payment | refund
    amount_fen: int


def notify_url(channel: str) -> str:
    return f"{current_app.config['PAYMENTS_NOTIFY_BASE_URL'].rstrip('/')}/api/v1/payments/callbacks/{channel}"


def _rfc3339_beijing(moment: datetime) -> str:
    return moment.astimezone(CHINA_STANDARD_TIME).replace(microsecond=0).isoformat()


def create(channel: str, *, out_trade_no: str, description: str, amount_fen: int, expires_at: datetime) -> dict:
    if channel == "wechat":
        return {"wechat_app": clients().wechatpay.create_app_order(
            out_trade_no=out_trade_no, description=description, total_fen=amount_fen, notify_url=notify_url(channel),
            time_expire=_rfc3339_beijing(expires_at))}
    return {"alipay_app": clients().alipay.create_order(
        out_trade_no=out_trade_no, subject=description, total_fen=amount_fen, notify_url=notify_url(channel),
        time_expire=expires_at)}


def close(channel: str, out_trade_no: str) -> None:
    try:
        if channel == "wechat":
            clients().wechatpay.close_order(out_trade_no)
        else:
            clients().alipay.close_order(out_trade_no)
    except UpstreamRejectedError as exc:
        if exc.upstream_code in ("ORDERPAID", "ACQ.TRADE_STATUS_ERROR"):
            raise AlreadyPaid() from None
        if exc.upstream_code in ("ORDER_NOT_EXIST", "ORDER_CLOSED", "ACQ.TRADE_NOT_EXIST"):
            return  # nothing to close
        raise


def refund(channel: str, *, out_trade_no: str, refund_no: str, amount_fen: int, reason: str) -> None:
    if channel == "wechat":
        clients().wechatpay.refund(out_trade_no=out_trade_no, out_refund_no=refund_no, refund_fen=amount_fen,
                                   total_fen=amount_fen, reason=reason, notify_url=notify_url(channel))
    else:
        clients().alipay.refund(out_trade_no=out_trade_no, out_request_no=refund_no, refund_fen=amount_fen,
                                reason=reason, notify_url=notify_url(channel))


# -- callbacks ----------------------------------------------------------------------------

def parse_wechat(headers: Mapping[str, str], body: str) -> ChannelEvent:
    client = clients().wechatpay
    try:
        note = client.verify_notification(headers, body)
    except wx.NotificationRejected as exc:
        raise CallbackRejected(exc.reason, 401) from None
    except IntegrationError:  # the platform certificates could not be fetched: ask for redelivery
        raise CallbackRejected("platform_certificate_unavailable", 503) from None
    resource = note.resource
    if resource.get("mchid") != client.mchid:
        raise CallbackRejected("wrong_merchant")
    amount = resource.get("amount") or {}
    total = amount.get("total")
    if not isinstance(total, int) or isinstance(total, bool):
        raise CallbackRejected("malformed_resource")
    out_trade_no = str(resource.get("out_trade_no", ""))
    if note.event_type == "TRANSACTION.SUCCESS":
        if resource.get("appid") != client.appid:
            raise CallbackRejected("wrong_merchant")
        if resource.get("trade_state") != "SUCCESS":
            raise CallbackRejected("not_a_success")
        return ChannelEvent("wechat", "payment", f"pay:{resource.get('transaction_id')}", out_trade_no, total,
                            trade_no=str(resource.get("transaction_id", "")))
    if note.event_type == "REFUND.SUCCESS":
        refund_fen = amount.get("refund")
        if resource.get("refund_status") != "SUCCESS" or not isinstance(refund_fen, int):
            raise CallbackRejected("not_a_success")
        return ChannelEvent("wechat", "refund", f"refund:{resource.get('refund_id')}", out_trade_no, total,
                            refund_no=str(resource.get("out_refund_no", "")), refund_fen=refund_fen)
    raise CallbackRejected("unknown_event_type")


def parse_alipay(params: Mapping[str, str]) -> ChannelEvent:
    client = clients().alipay
    try:
        notify = client.verify_notify(params)
    except ali.NotificationRejected as exc:
        raise CallbackRejected(exc.reason, 401) from None
    except IntegrationError:
        raise CallbackRejected("alipay_public_key_unavailable", 503) from None
    values = notify.params
    if values.get("app_id") != client.app_id:
        raise CallbackRejected("wrong_merchant")
    try:
        total = ali.yuan_to_fen(values.get("total_amount", ""))
    except ValueError:
        raise CallbackRejected("malformed_notify") from None
    out_trade_no = values.get("out_trade_no", "")
    status = values.get("trade_status")
    if "refund_fee" in values:
        try:
            refund_fen = ali.yuan_to_fen(values["refund_fee"])
        except ValueError:
            raise CallbackRejected("malformed_notify") from None
        return ChannelEvent("alipay", "refund", f"refund:{values.get('out_biz_no')}", out_trade_no, total,
                            refund_no=values.get("out_biz_no", ""), refund_fen=refund_fen)
    if status in ("TRADE_SUCCESS", "TRADE_FINISHED"):
        return ChannelEvent("alipay", "payment", f"pay:{values.get('trade_no')}", out_trade_no, total,
                            trade_no=values.get("trade_no", ""))
    raise CallbackRejected("not_a_success")


# -- statements ---------------------------------------------------------------------------

def statement(channel: str, day: str) -> list[StatementLine]:
    if channel == "wechat":
        return _wechat_lines(clients().wechatpay.trade_bill(day))
    return _alipay_lines(clients().alipay.statement(day))


def _fen(text: str) -> int:
    return ali.yuan_to_fen(text.lstrip("-"))


def _wechat_lines(text: str) -> list[StatementLine]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return []
    header = rows[0]
    lines = []
    for row in rows[1:]:
        if not row or not row[0].startswith("`"):
            break  # the summary block
        record = dict(zip(header, (value.lstrip("`") for value in row)))
        if record.get("交易状态") == "SUCCESS":
            lines.append(StatementLine(record["商户订单号"], "payment", _fen(record["应结订单金额"])))
        elif record.get("交易状态") == "REFUND":
            lines.append(StatementLine(record["商户订单号"], "refund", _fen(record["退款金额"])))
    return lines


def _alipay_lines(text: str) -> list[StatementLine]:
    rows = [row for row in csv.reader(io.StringIO(text)) if row and not row[0].startswith("#")]
    if not rows:
        return []
    header, lines = rows[0], []
    for row in rows[1:]:
        record = dict(zip(header, row))
        kind = {"交易": "payment", "退款": "refund"}.get(record.get("业务类型", ""))
        if kind:
            lines.append(StatementLine(record["商户订单号"], kind, _fen(record["订单金额（元）"])))
    return lines
