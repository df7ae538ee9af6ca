"""The counting behind every rate limit: a sliding-window counter that answers in one call.

A limit of N per period counts hits in windows of one period (multiples of wall-clock
time) and keeps, per key, this window's count and the last window's, each with the times of
its first and last hit. A hit is allowed while ``last window's hits still inside the
sliding period + this window's + cost ≤ N``, the first term estimated by taking the last
window's hits as spread evenly between its first and its last hit. So a burst (all hits
at once) counts exactly as the moving window counted it: it weighs in full until one
period after it, then not at all, and a refusal's Retry-After is never longer than the
period. Hits spread over a window are estimated, never stored one by one: the estimate
can let a period that straddles a boundary hold more than N when a window's hits bunched
at both its ends (issue 26 accepted a counter's estimate for one round trip instead of a
timestamp per hit).

A limit of one per period is a turn rather than a count: held for exactly the period from
the allowed hit (SET NX with an expiry), as the moving window held it.

In Redis each check is one script call (EVALSHA) whose answer also gives a refusal's
Retry-After. Without Redis the same arithmetic runs in process under a lock. Both take
``now``, so tests can put hits on either side of a window's boundary.
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from typing import NamedTuple

import hiredis
import redis
from limits import RateLimitItem
from limits.storage import MemoryStorage, RedisStorage, Storage

_PREFIX = "nht-swc"  # not the moving window's "nht-rl": its keys were lists, these are hashes

# ARGV: now (s), period (s), limit, cost, write (1 counts an allowed hit, 0 only looks).
# Returns 1 when allowed (the common answer, kept cheap to read), else the state the refusal
# was judged on: window, then count, first and last hit time of this window and of the
# last one (times as the strings the callers sent).
_SLIDING = """
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local window = math.floor(now / period)
local function time(t) if t and t ~= '' then return t end return false end
local s = redis.call('HMGET', KEYS[1], 'w', 'c', 'cs', 'ce', 'p', 'ps', 'pe')
local seen = tonumber(s[1])
local c, cs, ce = tonumber(s[2]) or 0, time(s[3]), time(s[4])
local p, ps, pe = tonumber(s[5]) or 0, time(s[6]), time(s[7])
if seen == nil or seen < window - 1 then
  c, cs, ce, p, ps, pe = 0, false, false, 0, false, false
elseif seen == window - 1 then
  p, ps, pe = c, cs, ce
  c, cs, ce = 0, false, false
elseif seen > window then
  window = seen
end
local weight = 0
if p > 0 then
  local cutoff = now - period
  local first, last = tonumber(ps), tonumber(pe)
  if first >= cutoff then
    weight = p
  elseif last > cutoff then
    weight = p * (last - cutoff) / (last - first)
  end
end
if weight + c + cost <= limit then
  if ARGV[5] == '1' then
    c = c + cost
    if not cs then cs = ARGV[1] end
    if not ce or tonumber(ce) < now then ce = ARGV[1] end
    redis.call('HSET', KEYS[1], 'w', window, 'c', c, 'cs', cs, 'ce', ce, 'p', p, 'ps', ps or '', 'pe', pe or '')
    redis.call('PEXPIRE', KEYS[1], math.ceil(period * 2000))
  end
  return 1
end
return {tostring(window), tostring(c), cs or '', ce or '', tostring(p), ps or '', pe or ''}
"""

# ARGV: period (ms), write. Returns -1 when the turn is (or would be) given, else its ms left.
_TURN = """
if ARGV[2] == '1' then
  if redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
    return -1
  end
end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then
  return -1
end
return left
"""


class WindowStats(NamedTuple):
    reset_time: float  # when a hit would be allowed again (now when it already would)
    remaining: int  # 1 when a hit would be allowed now, else 0 (the callers ask no more)


class _Window(NamedTuple):
    """One key's counters as a check found them (after moving on to the current window)."""
    window: int
    current: int
    current_first: float | None
    current_last: float | None
    previous: int
    previous_first: float | None
    previous_last: float | None


def _weight(previous: int, first: float | None, last: float | None, cutoff: float) -> float:
    """How many of the last window's hits are estimated to be later than ``cutoff``."""
    if not previous or first >= cutoff:
        return float(previous)
    if last <= cutoff:
        return 0.0
    return previous * (last - cutoff) / (last - first)


def _wait(state: _Window, limit: int, cost: int, now: float, period: float) -> float:
    """Seconds until a refused hit of ``cost`` would be allowed (no other hits meanwhile)."""
    if cost > limit:
        return math.inf
    if state.current + cost <= limit:
        # The last window's hits refuse: wait until enough of them are a period old.
        room = (limit - state.current - cost) / state.previous
        first, last = state.previous_first, state.previous_last
        return max(0.0, last + period - room * (last - first) - now)
    # This window's hits refuse: in the next one they are the last window's, weighed so.
    room = (limit - cost) / state.current
    first, last = state.current_first, state.current_last
    return max(0.0, max((state.window + 1) * period, last + period - room * (last - first)) - now)


class _InProcess:
    """The Redis scripts' arithmetic for one process (no NHT_REDIS_URL: SQLite, demos)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._counters: dict[str, tuple[_Window, float]] = {}  # key → counters, expiry
        self._turns: dict[str, float] = {}  # key → turn ends at
        self._writes = 0

    def sliding(self, key: str, now: float, period: float, limit: int, cost: int, write: bool):
        window = math.floor(now / period)
        with self._lock:
            found, expires = self._counters.get(key, (None, 0.0))
            if found is None or expires <= now or found.window < window - 1:
                state = _Window(window, 0, None, None, 0, None, None)
            elif found.window == window - 1:
                state = _Window(window, 0, None, None, found.current, found.current_first, found.current_last)
            else:  # this window, or a later one another clock already counted in
                state = found
            weight = _weight(state.previous, state.previous_first, state.previous_last, now - period)
            if weight + state.current + cost > limit:
                return False, state
            if write:
                last = now if state.current_last is None else max(state.current_last, now)
                first = now if state.current_first is None else state.current_first
                self._counters[key] = (state._replace(current=state.current + cost, current_first=first,
                                                      current_last=last), now + 2 * period)
                self._sweep(now)
            return True, state

    def turn(self, key: str, now: float, period: float, write: bool) -> float | None:
        """None when the turn is (or would be) given, else the seconds it is still held."""
        with self._lock:
            ends = self._turns.get(key, 0.0)
            if ends > now:
                return ends - now
            if write:
                self._turns[key] = now + period
                self._sweep(now)
            return None

    def clear(self, key: str) -> None:
        with self._lock:
            self._counters.pop(key, None)
            self._turns.pop(key, None)

    def _sweep(self, now: float) -> None:
        # Keys are per client address: drop the expired ones now and then, not on every hit.
        self._writes += 1
        if self._writes % 4096:
            return
        self._counters = {k: v for k, v in self._counters.items() if v[1] > now}
        self._turns = {k: v for k, v in self._turns.items() if v > now}


def _time(raw: bytes) -> float | None:
    return float(raw) if raw else None


class _Script(NamedTuple):
    source: str
    sha: str


def _script(source: str) -> _Script:
    return _Script(source, hashlib.sha1(source.encode()).hexdigest())


_SLIDING_SCRIPT, _TURN_SCRIPT = _script(_SLIDING), _script(_TURN)


class _Scripts:
    """EVALSHA on a connection of the calling thread's own, one write and one read.

    redis-py's way (``Script`` → client → pool checkout with a readiness poll, retry
    wrapper, events) cost about 57 µs of CPU per check in process, four times the round
    trip itself (14 µs on a bare socket); this way costs about 22 µs. The connection is
    still redis-py's own (same URL, TLS, AUTH, database, 2 s timeouts, and it drops itself
    on any error, so no late answer is ever read as the next one's); only the layers above
    it are skipped.
    """

    def __init__(self, client: redis.Redis):
        self._pool = client.connection_pool
        self._mine = threading.local()

    def _connection(self):
        mine = self._mine
        conn = getattr(mine, "conn", None)
        if conn is None or mine.pid != os.getpid():  # a forked child never shares its parent's socket
            conn = self._pool.connection_class(**self._pool.connection_kwargs)
            mine.conn, mine.pid, mine.used = conn, os.getpid(), False
        return conn

    def call(self, script: _Script, key: str, *args):
        conn = self._connection()
        try:
            return self._send(conn, script, key, args)
        except redis.ConnectionError:
            if not self._mine.used:
                raise
            # A connection that served before and fails now went stale (Redis restarted,
            # an idle timeout closed it): one fresh try, as the pool's readiness poll gave.
            # Not after a timeout: a hung Redis fails the request in one timeout.
            self._mine.used = False
            return self._send(conn, script, key, args)

    def _send(self, conn, script: _Script, key: str, args: tuple):
        conn.send_packed_command((hiredis.pack_command(("EVALSHA", script.sha, 1, key, *args)),),
                                 check_health=False)
        try:
            answer = conn.read_response()
        except redis.exceptions.NoScriptError:
            # Not cached on this server (restarted, or flushed): EVAL caches it again.
            conn.send_packed_command((hiredis.pack_command(("EVAL", script.source, 1, key, *args)),),
                                     check_health=False)
            answer = conn.read_response()
        self._mine.used = True
        return answer


class _InRedis:
    """The same two checks as one script call each, shared by every instance."""

    def __init__(self, connection: redis.Redis):
        self._connection = connection
        self._scripts = _Scripts(connection)

    def sliding(self, key: str, now: float, period: float, limit: int, cost: int, write: bool):
        answer = self._scripts.call(_SLIDING_SCRIPT, key, repr(now), period, limit, cost, int(write))
        if answer == 1:
            return True, None
        window, current, cs, ce, previous, ps, pe = answer
        return False, _Window(int(float(window)), int(current), _time(cs), _time(ce),
                                      int(previous), _time(ps), _time(pe))

    def turn(self, key: str, now: float, period: float, write: bool) -> float | None:
        left = int(self._scripts.call(_TURN_SCRIPT, key, math.ceil(period * 1000), int(write)))
        return None if left < 0 else left / 1000

    def clear(self, key: str) -> None:
        self._connection.delete(key)


class SlidingWindowCounter:
    """What ``limits``' strategies offer the callers (hit, test, get_window_stats, clear),
    plus ``check``, which says in the same call how long a refused hit must wait.

    ``storage`` stays the ``limits`` storage, for the plain counters some callers keep
    beside their limits (the staff sign-in waits).
    """

    def __init__(self, storage: Storage):
        self.storage = storage
        if isinstance(storage, RedisStorage):
            self._backend = _InRedis(storage.get_connection())
        elif isinstance(storage, MemoryStorage):
            self._backend = _InProcess()
        else:
            raise ValueError(f"no rate-limit counter for storage {type(storage).__name__}")

    def check(self, item: RateLimitItem, *identifiers: str, count: bool = True, cost: int = 1,
              now: float | None = None) -> tuple[bool, float]:
        """(allowed, seconds to wait when not); counts the hit when allowed and ``count``."""
        now = time.time() if now is None else now
        key = f"{_PREFIX}:{item.key_for(*identifiers)}"
        period = item.get_expiry()
        if item.amount == 1 and cost == 1:
            left = self._backend.turn(key, now, period, count)
            return left is None, left or 0.0
        allowed, state = self._backend.sliding(key, now, period, item.amount, cost, count)
        return (True, 0.0) if allowed else (False, _wait(state, item.amount, cost, now, period))

    def hit(self, item: RateLimitItem, *identifiers: str, cost: int = 1, now: float | None = None) -> bool:
        return self.check(item, *identifiers, cost=cost, now=now)[0]

    def test(self, item: RateLimitItem, *identifiers: str, cost: int = 1, now: float | None = None) -> bool:
        return self.check(item, *identifiers, count=False, cost=cost, now=now)[0]

    def get_window_stats(self, item: RateLimitItem, *identifiers: str, now: float | None = None) -> WindowStats:
        now = time.time() if now is None else now
        allowed, wait = self.check(item, *identifiers, count=False, now=now)
        return WindowStats(now + wait, 1 if allowed else 0)

    def clear(self, item: RateLimitItem, *identifiers: str) -> None:
        self._backend.clear(f"{_PREFIX}:{item.key_for(*identifiers)}")
