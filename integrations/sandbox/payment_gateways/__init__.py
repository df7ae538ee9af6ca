"""WeChat Pay (API v3) and Alipay simulators: the two payment gateways, as a merchant sees them.

Both make their own platform keys at start and expose them the way the real gateways do
(WeChat: ``GET /wechat/v3/certificates``, encrypted with the merchant's APIv3 key;
Alipay: ``GET /alipay/alipay-public-key``, standing in for the key shown in the Alipay
console). They check our signatures exactly as the real ones do, and sign (and, WeChat,
encrypt) every answer and callback exactly as the real ones do.

Tester endpoints (no credentials, sandbox only):

* ``POST /wechat/orders/<out_trade_no>/pay``, ``POST /alipay/orders/<out_trade_no>/pay``:
  the payer pays; the gateway marks the order paid and delivers the signed callback to
  the order's notify URL, redelivering in a background thread with backoff (bounded:
  ``REDELIVERY_DELAYS``) until it is acknowledged. Body ``{"deliver": false}`` builds the
  callback without sending it (it is returned and kept in the notification list).
* ``GET /wechat/_control/notifications``, ``GET /alipay/_control/notifications``: callbacks
  built so far, with their delivery attempts.
* ``POST /wechat/_control/notifications``, ``POST /alipay/_control/notifications``
  ``{"out_trade_no", "kind": "payment"|"refund", ...overrides}``: a correctly signed
  callback with chosen content (another amount, merchant, timestamp), not delivered.
* ``POST /wechat/_control/trades`` / ``POST /alipay/_control/trades``
  ``{"out_trade_no", "amount_fen", "state": "SUCCESS"|"REFUND", "date"}``: put a line in the
  day's statement (to plant a reconciliation mismatch).
* ``GET /wechat/_control/platform-key``, ``GET /alipay/_control/platform-key``: the
  gateway's private key, so tests can build callbacks with an independent implementation.
* ``POST /wechat/_control/merchant``, ``POST /alipay/_control/merchant``: register the
  merchant's public key (and WeChat's APIv3 key), as done once in the merchant console.
"""

from __future__ import annotations

from integrations.sandbox.payment_gateways.alipay import AlipaySimulator
from integrations.sandbox.payment_gateways.wechat import WechatPaySimulator

__all__ = ["AlipaySimulator", "WechatPaySimulator"]
