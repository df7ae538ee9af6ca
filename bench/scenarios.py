"""What the benchmark measures: one scenario per endpoint, and the data each needs, made
through the API over HTTP as the app would make it."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests

from integrations.sandbox.demo_data import BUS_CARDS, CITIZENS

PASSWORD = "Bench-pass-2026"


@dataclass
class Scenario:
    name: str
    method: str
    path: str
    headers: dict = field(default_factory=dict)
    body: dict | None = None
    raw_body: str | None = None  # sent as is (a signed callback), instead of ``body`` as JSON
    unique_header: str | None = None  # a header given a fresh value on every request
    authenticated_read: bool = False  # held to the 60%-of-ceiling goal
    target: str = "api"  # or "ceiling", "floor" (bench/ceiling_app.py, bench/floor_app.py)
    # Instead of ``body``: asked before each run for that many bodies, each sent once (a
    # request per body; one-time codes and fresh phone numbers cannot be sent twice).
    bodies: Callable[[int], list[dict]] | None = None


def _messages(sandbox: str, phone: str) -> list[dict]:
    return requests.get(f"{sandbox}/sms/messages", params={"phone": phone}, timeout=5).json()["messages"]


def _code(sandbox: str, phone: str, before: int) -> str:
    """The code of the SMS sent after ``before`` messages: on PostgreSQL the worker sends
    it a moment after the API answers, and until then the newest is the previous code."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        messages = _messages(sandbox, phone)  # newest first
        if len(messages) > before:
            return messages[0]["params"]["code"]
        time.sleep(0.05)
    raise RuntimeError(f"no new SMS for {phone}")


def prepare(api: str, sandbox: str) -> dict:
    """A verified demo citizen with a password, a synced wallet and a live presentation."""
    person = CITIZENS[0]
    sent = len(_messages(sandbox, person.phone))
    answer = requests.post(f"{api}/api/v1/auth/sms-codes", timeout=10,
                           json={"phone": person.phone, "purpose": "login"})
    answer.raise_for_status()
    tokens = requests.post(f"{api}/api/v1/auth/tokens", timeout=10, json={
        "grant_type": "sms_code", "phone": person.phone, "code": _code(sandbox, person.phone, sent), "client": "app"})
    tokens.raise_for_status()
    auth = {"Authorization": f"Bearer {tokens.json()['access_token']}"}
    sent = len(_messages(sandbox, person.phone))
    requests.post(f"{api}/api/v1/auth/sms-codes", timeout=10,
                  json={"phone": person.phone, "purpose": "step_up"}).raise_for_status()
    step_up = _code(sandbox, person.phone, sent)
    for method, path, body in (
        ("post", "/api/v1/me/real-name-verification", {"name": person.name, "id_number": person.id_number}),
        ("put", "/api/v1/me/password", {"new_password": PASSWORD, "step_up_code": step_up}),
        ("post", "/api/v1/licences/sync", None),
    ):
        answer = getattr(requests, method)(f"{api}{path}", json=body, headers=auth, timeout=30)
        if answer.status_code >= 400:
            raise RuntimeError(f"{method.upper()} {path}: {answer.status_code} {answer.text}")
    ctx = {"auth": auth, "phone": person.phone, "api": api, "sandbox": sandbox, **_payment(api, sandbox, auth)}
    licences = requests.get(f"{api}/api/v1/licences", headers=auth, timeout=10).json()["items"]
    presentation = requests.post(f"{api}/api/v1/licences/{licences[0]['id']}/presentations", timeout=10,
                                 headers=auth, json={"fields": ["holder_name"], "ttl_seconds": 600})
    presentation.raise_for_status()
    ctx = {**ctx, "presentation_token": presentation.json()["token"]}
    _on_behalf_reads(api, sandbox, ctx)
    return ctx


def _payment(api: str, sandbox: str, auth: dict) -> dict:
    """A bound bus card, and a paid order's WeChat Pay notification (already handled once:
    the benchmark measures the redelivered-callback path, as gateways redeliver)."""
    card = requests.post(f"{api}/api/v1/utility-accounts", headers=auth, timeout=10,
                         json={"kind": "bus_card", "number": BUS_CARDS[0].card_no})
    card.raise_for_status()
    order = requests.post(f"{api}/api/v1/payment-orders", timeout=30, headers={**auth, "Idempotency-Key": "bench-0"},
                          json={"kind": "bus_card_topup", "account_id": card.json()["id"], "amount_fen": 1000,
                                "channel": "wechat"})
    order.raise_for_status()
    paid = requests.post(f"{sandbox}/wechat/orders/{order.json()['out_trade_no']}/pay", timeout=30,
                         json={"deliver": False})
    paid.raise_for_status()
    notification = paid.json()["notification"]
    first = requests.post(f"{api}/api/v1/payments/callbacks/wechat", timeout=30,
                          data=notification["body"].encode(), headers=notification["headers"])
    if first.status_code != 204:
        raise RuntimeError(f"callback: {first.status_code} {first.text}")
    return {"card_id": card.json()["id"], "notification": notification}


# -- issue 26: the access log, inbox and grants list read (one block, for merging) -------------

def _sign_in(api: str, sandbox: str, phone: str) -> dict:
    sent = len(_messages(sandbox, phone))
    requests.post(f"{api}/api/v1/auth/sms-codes", timeout=10,
                  json={"phone": phone, "purpose": "login"}).raise_for_status()
    tokens = requests.post(f"{api}/api/v1/auth/tokens", timeout=10, json={
        "grant_type": "sms_code", "phone": phone, "code": _code(sandbox, phone, sent), "client": "app"})
    tokens.raise_for_status()
    return {"Authorization": f"Bearer {tokens.json()['access_token']}"}


def _on_behalf_reads(api: str, sandbox: str, ctx: dict) -> None:
    """Something in each list the read scenarios fetch: a grant from the bench citizen to a
    second verified citizen, who reads the licences under it, and a verifier's check of the
    presentation; both land in the bench citizen's access log (the payment put a message
    in the inbox)."""
    other = CITIZENS[1]
    other_auth = _sign_in(api, sandbox, other.phone)
    verified = requests.post(f"{api}/api/v1/me/real-name-verification", headers=other_auth, timeout=30,
                             json={"name": other.name, "id_number": other.id_number})
    verified.raise_for_status()
    grant = requests.post(f"{api}/api/v1/authorizations", timeout=10,
                          headers={**ctx["auth"], "Idempotency-Key": "bench-grant"},
                          json={"grantee": {"phone": other.phone}, "scopes": ["licences:read"],
                                "purpose": "benchmark delegate",
                                "expires_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))})
    grant.raise_for_status()
    acting = requests.post(f"{api}/api/v1/auth/act-as", headers=other_auth, timeout=10,
                           json={"authorization_id": grant.json()["id"]})
    acting.raise_for_status()
    delegate = {"Authorization": f"Bearer {acting.json()['access_token']}"}
    requests.get(f"{api}/api/v1/licences", headers=delegate, timeout=10).raise_for_status()
    requests.post(f"{api}/api/v1/licence-verifications", headers=ctx["auth"], timeout=10,
                  json={"token": ctx["presentation_token"]}).raise_for_status()


def _list_reads(ctx: dict, available_paths: set[str]) -> list[Scenario]:
    reads = [("access log", "/api/v1/me/access-log", "/api/v1/me/access-log?limit=20"),
             ("inbox", "/api/v1/messages", "/api/v1/messages?limit=20"),
             ("grants list", "/api/v1/authorizations", "/api/v1/authorizations?direction=granted&limit=20")]
    return [Scenario(name, "GET", url, ctx["auth"], authenticated_read=True)
            for name, path, url in reads if path in available_paths]

# -- end of issue 26's read scenarios ------------------------------------------------------------


def scenarios(ctx: dict, available_paths: set[str]) -> list[Scenario]:
    notification = ctx["notification"]
    found = [
        Scenario("ceiling ({})", "GET", "/", target="ceiling"),
        Scenario("floor: shared rate limit", "GET", "/rate-limit", target="floor"),
        Scenario("floor: rate limit + session lookup", "GET", "/", ctx["auth"], target="floor"),
        # Early: the notification's timestamp must stay within the 5-minute tolerance.
        Scenario("payment callback (WeChat, redelivered)", "POST", "/api/v1/payments/callbacks/wechat",
                 notification["headers"], raw_body=notification["body"]),
        Scenario("GET /api/v1/me", "GET", "/api/v1/me", ctx["auth"], authenticated_read=True),
        Scenario("licence list", "GET", "/api/v1/licences", ctx["auth"], authenticated_read=True),
        Scenario("licence verification", "POST", "/api/v1/licence-verifications",
                 {**ctx["auth"], "Content-Type": "application/json"}, {"token": ctx["presentation_token"]}),
    ]
    found.append(Scenario("payment order create", "POST", "/api/v1/payment-orders",
                          {**ctx["auth"], "Content-Type": "application/json"},
                          {"kind": "bus_card_topup", "account_id": ctx["card_id"], "amount_fen": 1000,
                           "channel": "wechat"}, unique_header="Idempotency-Key"))
    if "/api/v1/gov-services" in available_paths:
        found.append(Scenario("gov-service catalogue", "GET", "/api/v1/gov-services?limit=20", ctx["auth"],
                              authenticated_read=True))
    found += _list_reads(ctx, available_paths)
    # Last: Argon2id makes each password check cost tens of milliseconds of CPU on
    # purpose, and requests still queued when its run ends would slow the next scenario.
    found.append(Scenario("token issue (password)", "POST", "/api/v1/auth/tokens",
                          {"Content-Type": "application/json"},
                          {"grant_type": "password", "phone": ctx["phone"], "password": PASSWORD, "client": "app"}))
    found += sms_sign_in_scenarios(ctx)
    return found


# -- SMS-code sign-in: how most people sign in (issue 26) ----------------------------------

RESEND_SECONDS = 60  # the API's NHT_SMS_RESEND_SECONDS: one code per phone and purpose per minute
DAILY_PER_PHONE = 10  # its NHT_SMS_DAILY_PER_PHONE
SIGN_IN_PHONES = "1990%07d"  # demo citizens who sign in by code (made on first need)
SEND_PHONES = "1980%07d"  # phones that are only sent codes (the answer is the same for any phone)


class SmsSignIns:
    """Bodies for the two halves of an SMS sign-in, within the API's limits, as a client
    would meet them: every phone gets at most one code a minute and ten a day (the
    benchmark's only raised limit is the per-IP daily cap, as for every scenario: its
    connections all come from one address). So each request of a run is another phone:
    a run of the sign-in asks for as many demo citizens as it makes requests, signs up
    the ones that do not exist yet, waits until each may be sent a code again, sends
    them their login codes through the API and reads the codes at the sandbox gateway."""

    def __init__(self, api: str, sandbox: str, workers: int = 6) -> None:
        self.api, self.sandbox, self.workers = api, sandbox, workers
        self.sent_to = 0  # phones of the send scenario used so far
        self.citizens: list[dict] = []  # {"phone", "messages", "last_code_at", "codes"}

    def send_bodies(self, count: int) -> list[dict]:
        # Twice as many as asked: they cost nothing to make, and wrk's threads take turns
        # through the list, so the faster one came round to phones already sent a code
        # (887 of one run's requests were those 429s at 295 requests/s of 300 bodies/s).
        count *= 2
        first, self.sent_to = self.sent_to, self.sent_to + count
        return [{"phone": SEND_PHONES % n, "purpose": "login"} for n in range(first, first + count)]

    def sign_in_bodies(self, count: int) -> list[dict]:
        ready = sorted((c for c in self.citizens if c["codes"] < DAILY_PER_PHONE), key=lambda c: c["last_code_at"])
        chosen = ready[:count]
        new = [{"phone": SIGN_IN_PHONES % n, "messages": 0, "last_code_at": 0.0, "codes": 0}
               for n in range(len(self.citizens), len(self.citizens) + count - len(chosen))]
        self._parallel(self._sign_up, new)
        self.citizens += new
        chosen += new
        wait = max((c["last_code_at"] for c in chosen), default=0.0) + RESEND_SECONDS + 1 - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        return self._parallel(self._login_body, chosen)

    def _parallel(self, work, citizens: list[dict]) -> list:
        with ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(work, citizens))

    def _send_code(self, citizen: dict) -> str:
        while True:
            answer = requests.post(f"{self.api}/api/v1/auth/sms-codes", timeout=30,
                                   json={"phone": citizen["phone"], "purpose": "login"})
            if answer.status_code != 429:
                break
            time.sleep(float(answer.headers.get("Retry-After", RESEND_SECONDS)))  # honoured, never dodged
        answer.raise_for_status()
        citizen["last_code_at"], citizen["codes"] = time.monotonic(), citizen["codes"] + 1
        code = _code(self.sandbox, citizen["phone"], citizen["messages"])
        citizen["messages"] += 1
        return code

    def _sign_up(self, citizen: dict) -> None:
        answer = requests.post(f"{self.api}/api/v1/auth/tokens", timeout=30, json={
            "grant_type": "sms_code", "phone": citizen["phone"], "code": self._send_code(citizen), "client": "app"})
        answer.raise_for_status()

    def _login_body(self, citizen: dict) -> dict:
        return {"grant_type": "sms_code", "phone": citizen["phone"], "code": self._send_code(citizen), "client": "app"}


def sms_sign_in_scenarios(ctx: dict) -> list[Scenario]:
    """Sending a login code (each request another phone), then signing in with one (each
    request another demo citizen's fresh code)."""
    sms = ctx.get("sms") or SmsSignIns(ctx["api"], ctx["sandbox"])
    ctx["sms"] = sms
    json_only = {"Content-Type": "application/json"}
    return [Scenario("SMS code send", "POST", "/api/v1/auth/sms-codes", json_only, bodies=sms.send_bodies),
            Scenario("token issue (SMS code)", "POST", "/api/v1/auth/tokens", json_only, bodies=sms.sign_in_bodies)]
