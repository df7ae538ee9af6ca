"""Client of the gas utility (燃气公司): unpaid bills of an account, and paying one.

Protocol (JSON over HTTPS, header ``X-Api-Key``):

* ``POST /gas/v1/bills/query`` ``{"account_no"}`` -> ``{"account_no", "holder_name" (masked),
  "bills": [{"bill_id", "period" ("YYYY-MM"), "amount_fen", "due_date"}]}`` (unpaid ones),
  or 404 ``{"code": "account_not_found"}``.
* ``POST /gas/v1/payments`` ``{"account_no", "bill_id", "amount_fen", "order_no"}`` with an
  ``Idempotency-Key`` header -> ``{"payment_id", "bill_id"}``. A bill is paid in full
  (``amount_mismatch`` otherwise) and once (``bill_already_paid``); the same key answers the
  first payment again.

Account numbers go in bodies, never in paths.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from integrations.errors import NonRetryableError, UpstreamRejectedError
from integrations.http import ApiKeyClient


@dataclass(frozen=True)
class Bill:
    bill_id: str
    period: str
    amount_fen: int
    due_date: str


class GasUtilityClient(ApiKeyClient):
    upstream_name = "gas_utility"

    def unpaid_bills(self, account_no: str) -> list[Bill] | None:
        """The account's unpaid bills, or None when the utility knows no such account."""
        try:
            answer = self.request("POST", "/gas/v1/bills/query", json={"account_no": account_no}, idempotent=True)
        except UpstreamRejectedError as exc:
            if exc.upstream_code == "account_not_found":
                return None
            raise
        bills = []
        for entry in answer.get("bills", []):
            amount = entry.get("amount_fen") if isinstance(entry, dict) else None
            if not isinstance(amount, int) or isinstance(amount, bool):
                raise NonRetryableError(self.upstream, "gas_utility answered a bill without integer amount_fen")
            bills.append(Bill(bill_id=str(entry["bill_id"]), period=str(entry.get("period", "")), amount_fen=amount,
                              due_date=str(entry.get("due_date", ""))))
        return bills

    def pay_bill(self, account_no: str, bill_id: str, amount_fen: int, *, order_no: str,
                 idempotency_key: str) -> dict[str, Any]:
        answer = self.request("POST", "/gas/v1/payments",
                              json={"account_no": account_no, "bill_id": bill_id, "amount_fen": amount_fen,
                                    "order_no": order_no},
                              headers={"Idempotency-Key": idempotency_key}, idempotent=True)
        if not isinstance(answer.get("payment_id"), str):
            raise NonRetryableError(self.upstream, "gas_utility: payment answered without payment_id")
        return answer
