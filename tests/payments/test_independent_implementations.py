"""Our protocol code against independent implementations: the `wechatpayv3` and
`python-alipay-sdk` packages' algorithms (used in tests only)."""

from __future__ import annotations

import json
import secrets
import time
from base64 import b64encode
from urllib.parse import parse_qsl, unquote_plus, urlencode

import requests
from alipay import AliPay
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3 import utils as wxutils

from tests.support.payments import CARD, bind, created, pay, sandbox, status_of

from .conftest import callback_url, topups


def _platform_key(app, channel: str) -> dict:
    return requests.get(f"{sandbox(app)}/{channel}/_control/platform-key", timeout=10).json()


def test_our_wechat_callback_accepts_a_notification_built_by_wechatpayv3(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1500, channel="wechat")
    keys = _platform_key(app, "wechat")
    platform_key = wxutils.load_private_key(keys["private_key_pem"])
    serial = requests.get(f"{sandbox(app)}/demo", timeout=10).json()["wechatpay"]["platform_serial"]

    # The v3 notification, built from the spec with wechatpayv3's signing and plain AES-GCM.
    resource = {"mchid": app.config["WECHATPAY_MCHID"], "appid": app.config["WECHATPAY_APPID"],
                "out_trade_no": new["out_trade_no"], "transaction_id": "4200001234202611220000000001",
                "trade_type": "APP", "trade_state": "SUCCESS", "trade_state_desc": "支付成功", "bank_type": "OTHERS",
                "success_time": "2026-11-22T11:00:00+08:00", "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
                "amount": {"total": 1500, "payer_total": 1500, "currency": "CNY", "payer_currency": "CNY"}}
    nonce = secrets.token_hex(6)
    ciphertext = AESGCM(app.config["WECHATPAY_APIV3_KEY"].encode()).encrypt(
        nonce.encode(), json.dumps(resource).encode(), b"transaction")
    body = json.dumps({"id": "EV-INDEPENDENT-1", "create_time": "2026-11-22T11:00:01+08:00",
                       "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS", "summary": "支付成功",
                       "resource": {"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                                    "ciphertext": b64encode(ciphertext).decode(), "associated_data": "transaction",
                                    "nonce": nonce}})
    timestamp, sign_nonce = str(int(time.time())), secrets.token_hex(16)
    signature = wxutils.rsa_sign(platform_key, f"{timestamp}\n{sign_nonce}\n{body}\n")
    answer = requests.post(callback_url(app, "wechat"), data=body.encode(), timeout=30, headers={
        "Content-Type": "application/json", "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": sign_nonce,
        "Wechatpay-Signature": signature, "Wechatpay-Serial": serial})
    assert answer.status_code == 204, answer.text
    assert status_of(payer, new["id"]) == "fulfilled"
    assert len(topups(app, new["out_trade_no"])) == 1


def test_the_sandbox_gateway_signs_and_encrypts_as_wechatpayv3_expects(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1500, channel="wechat")
    notification = pay(app, "wechat", new["out_trade_no"], deliver=False)["notification"]
    public_key = wxutils.load_public_key(_platform_key(app, "wechat")["public_key_pem"])
    headers = notification["headers"]
    assert wxutils.rsa_verify(headers["Wechatpay-Timestamp"], headers["Wechatpay-Nonce"], notification["body"],
                              headers["Wechatpay-Signature"], public_key)
    resource = json.loads(notification["body"])["resource"]
    plain = wxutils.aes_decrypt(resource["nonce"], resource["ciphertext"], resource["associated_data"],
                                app.config["WECHATPAY_APIV3_KEY"])
    assert json.loads(plain)["out_trade_no"] == new["out_trade_no"]
    # and the app's payment parameters are signed the v3 way (appid\ntimestamp\nnonce\nprepay_id\n)
    params = new["payment"]["wechat_app"]
    from cryptography.hazmat.primitives import serialization

    merchant_public = serialization.load_pem_private_key(
        app.config["WECHATPAY_MERCHANT_KEY"].encode(), password=None).public_key()
    assert wxutils.rsa_verify(params["appid"], params["timestamp"], f"{params['noncestr']}\n{params['prepayid']}",
                              params["sign"], merchant_public)


def _sdk(app, private_pem: str, public_pem: str) -> AliPay:
    return AliPay(appid=app.config["ALIPAY_APP_ID"], app_notify_url=None, app_private_key_string=private_pem,
                  alipay_public_key_string=public_pem, sign_type="RSA2")


def test_our_alipay_notify_check_accepts_one_signed_the_way_python_alipay_sdk_signs(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1500, channel="alipay")
    keys = _platform_key(app, "alipay")
    gateway = _sdk(app, keys["private_key_pem"], keys["public_key_pem"])  # the SDK in Alipay's seat
    params = {"notify_time": "2026-11-22 11:00:02", "notify_type": "trade_status_sync",
              "notify_id": "ac05099524730693a8b330c5ecf72da9786", "app_id": app.config["ALIPAY_APP_ID"],
              "charset": "utf-8", "version": "1.0", "trade_no": "2026112222001411111111111111",
              "out_trade_no": new["out_trade_no"], "total_amount": "15.00", "receipt_amount": "15.00",
              "trade_status": "TRADE_SUCCESS", "subject": "岭南通公交卡充值", "gmt_payment": "2026-11-22 11:00:01"}
    unsigned = "&".join(f"{k}={v}" for k, v in gateway._ordered_data(dict(params)))
    signed = {**params, "sign_type": "RSA2", "sign": gateway._sign(unsigned)}
    answer = requests.post(callback_url(app, "alipay"), data=urlencode(signed), timeout=30,
                           headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    assert (answer.status_code, answer.text) == (200, "success")
    assert status_of(payer, new["id"]) == "fulfilled"

    # the other way round: the SDK verifies what the sandbox gateway sends
    other = created(payer, card["id"], amount_fen=1600, channel="alipay")
    notify = dict(parse_qsl(pay(app, "alipay", other["out_trade_no"], deliver=False)["notification"]["body"]))
    sign = notify.pop("sign")
    assert gateway.verify(notify, sign)


def test_our_alipay_request_signature_is_the_one_python_alipay_sdk_makes(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1500, channel="alipay")
    order_string = new["payment"]["alipay_app"]["order_string"]
    params = {k: unquote_plus(v) for k, v in (pair.split("=", 1) for pair in order_string.split("&"))}
    ours = params.pop("sign")
    keys = _platform_key(app, "alipay")
    merchant = _sdk(app, app.config["ALIPAY_APP_PRIVATE_KEY"], keys["public_key_pem"])
    sdk_string = merchant.sign_data(dict(params))  # RSA PKCS#1 v1.5 is deterministic: same bytes, same sign
    assert dict(parse_qsl(sdk_string))["sign"] == ours
    assert params["method"] == "alipay.trade.app.pay" and json.loads(params["biz_content"])["total_amount"] == "15.00"
