"""The one way an integration client talks HTTP to its upstream.

:class:`HttpClient` adds to a ``requests.Session`` what every upstream call needs:
a mandatory timeout, a few retries on failures that are safe to retry, a circuit
breaker, and the mapping of every outcome onto :mod:`integrations.errors`.
"""

from __future__ import annotations

import json as jsonlib
import time
from contextvars import ContextVar
from typing import Any, Mapping
from urllib.parse import urlsplit

import pybreaker
import requests
from requests.adapters import HTTPAdapter
from requests.exceptions import InvalidJSONError
from requests.hooks import default_hooks
from requests.structures import CaseInsensitiveDict
from requests.utils import requote_uri
from urllib3.util.retry import Retry

from integrations.errors import (
    CircuitOpenError,
    IntegrationError,
    NonRetryableError,
    RetryableError,
    ThrottledError,
    UpstreamRejectedError,
    UpstreamTimeoutError,
)
from integrations.http_outcomes import TIMED_OUT, error_code, parse_retry_after, rejected, transport_failure

TimeoutSpec = float | tuple[float, float]

RETRYABLE_STATUSES = frozenset({502, 503, 504})

# A Retry-After longer than this is not waited out inside a request: the retry goes
# ahead after this long (and most likely fails), so no caller blocks for minutes.
MAX_RETRY_AFTER_WAIT = 2

# 401/403 mean our credentials or grants are wrong, whatever the body says: that is
# our configuration to fix, not a refusal to show the user.
_CREDENTIAL_STATUSES = frozenset({401, 403, 407})

# requests fixes the retry policy per mounted adapter, but whether a POST may be
# retried is decided per call (it may when it carries an idempotency key). The
# context variable carries that choice down to the Retry object of this thread's
# call without sharing mutable state between threads.
_retry_any_method: ContextVar[bool | None] = ContextVar("_retry_any_method", default=None)


class _UpstreamRetry(Retry):
    """urllib3 Retry limited to our retryable statuses, with the per-call method rule."""

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # urllib3 would also retry any 413/429 carrying Retry-After; a throttle goes
        # back to the caller as ThrottledError instead.
        return self._is_method_retryable(method) and status_code in (self.status_forcelist or ())

    def _is_method_retryable(self, method: str) -> bool:
        override = _retry_any_method.get()
        if override is None:
            return super()._is_method_retryable(method)
        return override


class _OpenedAtListener(pybreaker.CircuitBreakerListener):
    """Remembers when the breaker last opened, so calls can be refused before any I/O."""

    def __init__(self) -> None:
        self.opened_at: float | None = None

    def state_change(self, cb: pybreaker.CircuitBreaker, old_state: Any, new_state: Any) -> None:
        if new_state is not None and new_state.name == pybreaker.STATE_OPEN:
            self.opened_at = time.monotonic()


def _succeed() -> None:
    return None


def _fail(error: BaseException) -> None:
    raise error


class HttpClient:
    """Base of the integration clients: JSON over HTTP with retries and a circuit breaker.

    ``timeout`` is required (seconds, or a ``(connect, read)`` pair): ``requests``
    otherwise waits forever. Retries happen only for connection errors, read
    timeouts and 502/503/504, and only for idempotent methods unless a call says
    ``idempotent=True`` (for example because it sends an idempotency key).

    Paths given to :meth:`request` appear in error messages, so they should not
    contain personal data; put that in the body or the query instead.
    """

    def __init__(
        self,
        base_url: str,
        *,
        upstream: str,
        timeout: TimeoutSpec,
        retries: int = 2,
        backoff: float = 0.2,
        breaker_fail_max: int = 5,
        breaker_reset_timeout: float = 30,
        session: requests.Session | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("base_url is required")
        if not upstream:
            raise ValueError("upstream is required")
        self.base_url = base_url.rstrip("/")
        self.upstream = upstream
        self.timeout = _checked_timeout(timeout)
        if retries < 0:
            raise ValueError("retries must be >= 0")

        self._owns_session = session is None
        self._session = session if session is not None else _settled_session(self.base_url)
        # Per-call headers instead of session.headers: a session passed in may be
        # shared with other clients, which must not receive our credentials.
        self._headers = {"Accept": "application/json", **(headers or {})}
        retry = _UpstreamRetry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            status_forcelist=RETRYABLE_STATUSES,
            backoff_factor=backoff,
            raise_on_status=False,
            respect_retry_after_header=True,
            retry_after_max=MAX_RETRY_AFTER_WAIT,
        )
        # Mounted on our base URL only, so a shared session keeps its other adapters.
        self._session.mount(self.base_url + "/", HTTPAdapter(max_retries=retry))

        self._opened = _OpenedAtListener()
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=breaker_fail_max,
            reset_timeout=breaker_reset_timeout,
            listeners=[self._opened],
            name=upstream,
            throw_new_error_on_trip=False,
        )

    @property
    def circuit_state(self) -> str:
        """``"closed"``, ``"open"`` or ``"half-open"``."""
        return self._breaker.current_state

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        data: bytes | None = None,
    ) -> dict[str, Any]:
        """Call the upstream and return its JSON object, or raise an :class:`IntegrationError`.

        ``data`` sends these exact bytes as the body instead of ``json`` (for a signed body).

        ``idempotent`` overrides whether the method may be retried: ``None`` keeps
        the HTTP rule (GET, PUT, DELETE... yes; POST, PATCH no).
        """
        method = method.upper()
        path = "/" + path.lstrip("/")
        where = f"{self.upstream}: {method} {urlsplit(path).path}"

        self._refuse_if_open(where)
        try:
            result = self._send(method, path, where, json=json, params=params,
                                headers=headers, idempotent=idempotent, data=data)
        except RetryableError as failure:
            self._record(failure)
            raise
        except IntegrationError:
            # The upstream answered, even if to say no: it is up.
            self._record(None)
            raise
        self._record(None)
        return result

    def rejection_code(self, payload: dict[str, Any]) -> str | None:
        """The upstream's refusal code hidden in a 2xx answer, if its protocol has one.

        Some upstreams answer 200 with ``{"code": "...", ...}`` when they refuse;
        their clients override this. The default trusts the HTTP status.
        """
        return None

    # -- internals -------------------------------------------------------------

    def _send(
        self,
        method: str,
        path: str,
        where: str,
        *,
        json: Any,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        idempotent: bool | None,
        data: bytes | None = None,
    ) -> dict[str, Any]:
        token = _retry_any_method.set(idempotent)
        try:
            if params is None:
                sent = {**self._headers, **(headers or {})}
                if json is not None and not data:
                    data = _json_body(json)
                    if not any(name.lower() == "content-type" for name in sent):
                        sent["Content-Type"] = "application/json"
                response = self.transmit(method, self.base_url + path, data=data or None, headers=sent)
            else:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    json=json,
                    data=data,
                    params=params,
                    headers={**self._headers, **(headers or {})},
                    timeout=self.timeout,
                    # A redirect from an API is unexpected, and following it would hand
                    # our API key header to whatever host it points at.
                    allow_redirects=False,
                )
        # `from None`: the requests exception's text holds the full URL, query included.
        except (requests.ConnectionError, requests.Timeout,
                requests.exceptions.ChunkedEncodingError) as exc:
            failure = transport_failure(exc)
            error = UpstreamTimeoutError if failure == TIMED_OUT else RetryableError
            raise error(self.upstream, f"{where} {failure}") from None
        except requests.RequestException as exc:
            raise NonRetryableError(
                self.upstream, f"{where} could not be sent: {type(exc).__name__}"
            ) from None
        finally:
            _retry_any_method.reset(token)
        return self._interpret(response, where)

    def _interpret(self, response: requests.Response, where: str) -> dict[str, Any]:
        status = response.status_code
        said = f"{where} answered {status}"

        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise ThrottledError(self.upstream, said, retry_after=retry_after, status=status)
        if status >= 500:
            raise RetryableError(self.upstream, said, status=status)
        if status >= 400:
            code = error_code(response)
            if code is not None and status not in _CREDENTIAL_STATUSES:
                raise UpstreamRejectedError(
                    self.upstream, rejected(said, code), upstream_code=code, status=status
                )
            raise NonRetryableError(self.upstream, said, status=status)
        if status >= 300 or status < 200:
            raise NonRetryableError(self.upstream, f"{said} (unexpected)", status=status)

        if not response.content:
            return {}
        try:
            payload = response.json()
        except ValueError:
            raise NonRetryableError(
                self.upstream, f"{said} with a body that is not JSON", status=status
            ) from None
        if not isinstance(payload, dict):
            raise NonRetryableError(
                self.upstream, f"{said} with JSON that is not an object", status=status
            )
        code = self.rejection_code(payload)
        if code is not None:
            raise UpstreamRejectedError(
                self.upstream, rejected(said, code), upstream_code=code, status=status
            )
        return payload

    def transmit(self, method: str, url: str, *, data: bytes | None, headers: Mapping[str, str]) -> requests.Response:
        """One request through the session's adapter for ``url`` (its retries, pool, proxy
        and TLS settings), with the session's default headers and credentials, never
        following a redirect: what ``Session.request`` does for our calls, without its
        per-call work that none of them needs. That work (merging settings, hooks and
        cookie jars, parsing the URL again, looking at redirects) cost more CPU than
        urllib3's whole exchange with the upstream: about a tenth of a payment order's.
        Raises what ``Session.request`` raises; the answer's body is read before return
        (so the connection is back in the pool)."""
        session = self._session
        prepared = requests.PreparedRequest()
        prepared.method = method
        prepared.url = requote_uri(url)
        prepared.headers = CaseInsensitiveDict(session.headers)
        prepared.headers.update(headers)
        prepared.body = data
        if data is not None:
            prepared.headers["Content-Length"] = str(len(data))
        elif method not in ("GET", "HEAD"):
            prepared.headers["Content-Length"] = "0"
        prepared.hooks = default_hooks()
        prepared._cookies = None
        if session.auth is not None:  # from ~/.netrc, read once (_settled_session)
            prepared.prepare_auth(session.auth, url)
        response = session.get_adapter(prepared.url).send(
            prepared, stream=False, timeout=self.timeout, verify=session.verify, cert=session.cert,
            proxies=session.proxies)
        response.content  # noqa: B018  (reads the body: the connection goes back to the pool)
        return response

    # pybreaker's CircuitBreaker.call holds the breaker's lock while the guarded
    # function runs, so one slow upstream call would block every other thread using
    # this client. The I/O therefore happens outside pybreaker; only its outcome is
    # fed in, through a function that returns or raises at once.

    def _refuse_if_open(self, where: str) -> None:
        if self._breaker.current_state != pybreaker.STATE_OPEN:
            return
        opened_at = self._opened.opened_at
        if opened_at is not None and time.monotonic() - opened_at < self._breaker.reset_timeout:
            raise CircuitOpenError(self.upstream, f"{where} not attempted: circuit open")
        # Reset timeout elapsed: let this call through as the trial; recording its
        # outcome moves the breaker to half-open and then closed or open again.

    def _record(self, failure: RetryableError | None) -> None:
        try:
            if failure is None:
                self._breaker.call(_succeed)
            else:
                self._breaker.call(_fail, failure)
        except pybreaker.CircuitBreakerError:
            pass  # opened meanwhile by another call; this outcome changes nothing
        except RetryableError:
            pass  # the failure we fed in, handed back; the caller raises it


def _settled_session(base_url: str) -> requests.Session:
    """A session that reads the environment once, now, instead of on every call.

    With ``trust_env`` requests scans every environment variable for proxy settings and
    looks for a ~/.netrc on each request: a measurable share of an upstream call's CPU.
    Every call of a client goes to its one base URL, so what the environment says for
    that URL (proxy, CA bundle, netrc credentials) is decided here once and kept; a
    change to the environment takes effect when the clients are built again (at start).
    """
    session = requests.Session()
    settings = session.merge_environment_settings(base_url, {}, None, None, None)
    session.proxies.update(settings["proxies"])
    session.verify = settings["verify"]
    session.auth = requests.utils.get_netrc_auth(base_url)
    session.trust_env = False
    return session


def _json_body(value: Any) -> bytes:
    """A JSON body as requests makes one (ASCII escapes, no NaN), and its error when it cannot."""
    try:
        return jsonlib.dumps(value, allow_nan=False).encode("utf-8")
    except (ValueError, TypeError) as exc:
        raise InvalidJSONError(exc) from None


def _checked_timeout(timeout: TimeoutSpec | None) -> TimeoutSpec:
    if timeout is None:
        raise ValueError("timeout is required: requests would otherwise wait forever")
    parts = timeout if isinstance(timeout, tuple) else (timeout,)
    if len(parts) not in (1, 2) or any(
        part is None or isinstance(part, bool) or not isinstance(part, (int, float)) or part <= 0
        for part in parts
    ):
        raise ValueError("timeout must be positive seconds or a (connect, read) pair of them")
    return timeout


class ApiKeyClient(HttpClient):
    """An upstream that authenticates us by an ``X-Api-Key`` header; subclasses name it."""

    upstream_name: str

    def __init__(self, base_url: str, *, api_key: str, timeout: TimeoutSpec, **kw: Any) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        headers = {**(kw.pop("headers", None) or {}), "X-Api-Key": api_key}
        super().__init__(base_url, upstream=self.upstream_name, timeout=timeout, headers=headers, **kw)
