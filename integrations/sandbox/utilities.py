"""Lingnan Pass (岭南通) and gas utility simulators (see their clients for the protocols).

State in memory: card balances and top-ups, bills and payments, reset by ``/_control/reset``.
Tester endpoints: ``GET /lingnan/_control/topups`` and ``GET /gas/_control/payments`` list
what the utility received (``?order_no=`` filters), so a test counts fulfilments; use the
sandbox fault injector (``POST /_control/faults``, path prefix ``/lingnan/v1/topups`` or
``/gas/v1/payments``) to make the utility fail.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations.lingnan_pass import valid_card_number
from integrations.sandbox.base import SandboxError, Simulator, json_response, mask, read_json_object, utc_now_iso
from integrations.sandbox.demo_data import BUS_CARDS, GAS_ACCOUNTS

MAX_BALANCE_FEN = 100_000  # a card holds at most 1000 yuan


def _positive_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise SandboxError(400, "invalid_request", f"{name} must be a positive integer (fen)")
    return value


class LingnanPassSimulator(Simulator):
    name = "lingnan_pass"
    default_api_key = "sandbox-lingnan-key"

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.cards = {card.card_no: {"status": card.status, "balance_fen": card.balance_fen} for card in BUS_CARDS}
            self.topups: dict[str, dict[str, Any]] = {}  # idempotency key -> top-up

    def rules(self) -> list[Rule]:
        return [
            Rule("/lingnan/v1/cards/query", methods=["POST"], endpoint=self.query),
            Rule("/lingnan/v1/topups", methods=["POST"], endpoint=self.top_up),
            Rule("/lingnan/_control/topups", methods=["GET"], endpoint=self.list_topups),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        return {"api_key_hint": mask(self.api_key), "cards": "see bus_cards",
                "topups": f"GET {script_root}/lingnan/_control/topups"}

    def _card(self, card_no: Any) -> dict[str, Any]:
        if not isinstance(card_no, str) or not valid_card_number(card_no):
            raise SandboxError(400, "invalid_card_no", "card_no fails its check digit")
        card = self.cards.get(card_no)
        if card is None:
            raise SandboxError(404, "card_not_found", "no such card")
        return card

    def query(self, request: Request) -> Response:
        self.require_api_key(request)
        body = read_json_object(request)
        with self._lock:
            card = self._card(body.get("card_no"))
            return json_response({"card_no": body["card_no"], "status": card["status"],
                                  "balance_fen": card["balance_fen"], "max_balance_fen": MAX_BALANCE_FEN})

    def top_up(self, request: Request) -> Response:
        self.require_api_key(request)
        key = request.headers.get("Idempotency-Key", "")
        if not 1 <= len(key) <= 64:
            raise SandboxError(400, "idempotency_key_required", "send an Idempotency-Key")
        body = read_json_object(request)
        amount = _positive_int(body.get("amount_fen"), "amount_fen")
        with self._lock:
            if key in self.topups:
                earlier = self.topups[key]
                if (earlier["card_no"], earlier["amount_fen"]) != (body.get("card_no"), amount):
                    raise SandboxError(409, "idempotency_key_reused", "this key was used for another top-up")
                return json_response({"topup_id": earlier["topup_id"], "balance_fen": earlier["balance_after_fen"]})
            card = self._card(body.get("card_no"))
            if card["status"] != "active":
                raise SandboxError(409, "card_not_active", "the card is reported lost or cancelled")
            if card["balance_fen"] + amount > MAX_BALANCE_FEN:
                raise SandboxError(409, "balance_limit_exceeded", "the card would hold more than its limit")
            card["balance_fen"] += amount
            topup = {"topup_id": "TU" + secrets.token_hex(8).upper(), "card_no": body["card_no"],
                     "amount_fen": amount, "order_no": str(body.get("order_no", "")),
                     "balance_after_fen": card["balance_fen"], "at": utc_now_iso()}
            self.topups[key] = topup
        return json_response({"topup_id": topup["topup_id"], "balance_fen": topup["balance_after_fen"]}, 201)

    def list_topups(self, request: Request) -> Response:
        order_no = request.args.get("order_no")
        with self._lock:
            items = [t for t in self.topups.values() if order_no in (None, t["order_no"])]
        return json_response({"topups": items})


class GasUtilitySimulator(Simulator):
    name = "gas_utility"
    default_api_key = "sandbox-gas-key"

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.accounts = {a.account_no: a for a in GAS_ACCOUNTS}
            self.paid: dict[str, str] = {}  # bill_id -> idempotency key of its payment
            self.payments: dict[str, dict[str, Any]] = {}  # idempotency key -> payment

    def rules(self) -> list[Rule]:
        return [
            Rule("/gas/v1/bills/query", methods=["POST"], endpoint=self.bills),
            Rule("/gas/v1/payments", methods=["POST"], endpoint=self.pay),
            Rule("/gas/_control/payments", methods=["GET"], endpoint=self.list_payments),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        return {"api_key_hint": mask(self.api_key), "accounts": "see gas_accounts",
                "payments": f"GET {script_root}/gas/_control/payments"}

    def _account(self, account_no: Any):
        account = self.accounts.get(account_no) if isinstance(account_no, str) else None
        if account is None:
            raise SandboxError(404, "account_not_found", "no such gas account")
        return account

    def bills(self, request: Request) -> Response:
        self.require_api_key(request)
        body = read_json_object(request)
        with self._lock:
            account = self._account(body.get("account_no"))
            unpaid = [{"bill_id": b.bill_id, "period": b.period, "amount_fen": b.amount_fen, "due_date": b.due_date}
                      for b in account.bills if b.bill_id not in self.paid]
        return json_response({"account_no": account.account_no, "holder_name": mask(account.holder_name),
                              "bills": unpaid})

    def pay(self, request: Request) -> Response:
        self.require_api_key(request)
        key = request.headers.get("Idempotency-Key", "")
        if not 1 <= len(key) <= 64:
            raise SandboxError(400, "idempotency_key_required", "send an Idempotency-Key")
        body = read_json_object(request)
        amount = _positive_int(body.get("amount_fen"), "amount_fen")
        with self._lock:
            if key in self.payments:
                earlier = self.payments[key]
                if (earlier["bill_id"], earlier["amount_fen"]) != (body.get("bill_id"), amount):
                    raise SandboxError(409, "idempotency_key_reused", "this key was used for another payment")
                return json_response({"payment_id": earlier["payment_id"], "bill_id": earlier["bill_id"]})
            account = self._account(body.get("account_no"))
            bill = next((b for b in account.bills if b.bill_id == body.get("bill_id")), None)
            if bill is None:
                raise SandboxError(404, "bill_not_found", "no such bill on this account")
            if bill.bill_id in self.paid:
                raise SandboxError(409, "bill_already_paid", "the bill is paid")
            if amount != bill.amount_fen:
                raise SandboxError(409, "amount_mismatch", "a bill is paid in full")
            payment = {"payment_id": "GP" + secrets.token_hex(8).upper(), "account_no": account.account_no,
                       "bill_id": bill.bill_id, "amount_fen": amount, "order_no": str(body.get("order_no", "")),
                       "at": utc_now_iso()}
            self.paid[bill.bill_id] = key
            self.payments[key] = payment
        return json_response({"payment_id": payment["payment_id"], "bill_id": bill.bill_id}, 201)

    def list_payments(self, request: Request) -> Response:
        order_no = request.args.get("order_no")
        with self._lock:
            items = [p for p in self.payments.values() if order_no in (None, p["order_no"])]
        return json_response({"payments": items})
