"""The Lua script wrk runs for one scenario: the request, an optional pace, a JSON summary."""

from __future__ import annotations

import json

_TEMPLATE = r"""
local method, path, body, headers = %(method)s, %(path)s, %(body)s, %(headers)s
local unique_header = %(unique_header)s
local bodies, nthreads = %(bodies)s, %(threads)s  -- bodies: one per request, threads take turns
local pace_ms = %(pace_ms)s
local counter, id = 0, 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  id = wrk.thread:get("id") or 0
  math.randomseed(os.time() * 100 + id)  -- each thread its own sequence
end

function request()
  counter = counter + 1
  local h = {}
  for k, v in pairs(headers) do h[k] = v end
  if unique_header then h[unique_header] = string.format("bench-%%d-%%d-%%d", os.time(), id, counter) end
  if bodies then  -- past the last, they come round again (and fail: each is good once)
    return wrk.format(method, path, h, bodies[((counter - 1) * nthreads + id - 1) %% #bodies + 1])
  end
  return wrk.format(method, path, h, body)
end

-- Paced: exponential waits with that mean, so requests arrive as independent clients'
-- do (Poisson). A fixed wait kept the connections in step: every request of a round
-- arrived at once, and a slow endpoint's p99 was the time to clear that burst.
if pace_ms > 0 then
  function delay() return -pace_ms * math.log(1 - math.random()) end
end

-- Bodies good once: say which statuses the refused ones got (costs wrk a callback per
-- response, so only there). A global: done() reads each thread's through thread:get.
refused = {}
if bodies then
  function response(status, headers, body)
    if status >= 300 then refused[status] = (refused[status] or 0) + 1 end
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  local statuses = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("refused") or {}) do statuses[status] = (statuses[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(statuses) do table.insert(parts, string.format('"%%d": %%d', status, n)) end
  io.write("WRK_JSON ", string.format(
    '{"requests": %%d, "duration_us": %%d, "non_2xx": %%d, "socket_errors": %%d, "p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "max_us": %%d, "refused": {%%s}}',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    table.concat(parts, ", ")), "\n")
end
"""


def _lua(value) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "[==[" + value + "]==]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"[ {_lua(k)} ] = {_lua(v)}" for k, v in value.items()) + "}"  # "[ [==[": not "[["
    raise TypeError(type(value))


def render(*, method: str, path: str, headers: dict, body: dict | None = None, raw_body: str | None = None,
           unique_header: str | None = None, pace_ms: float = 0, bodies: list[dict] | None = None,
           threads: int = 1) -> str:
    text = raw_body if raw_body is not None else json.dumps(body, ensure_ascii=False) if body is not None else None
    return _TEMPLATE % {
        "method": _lua(method), "path": _lua(path), "headers": _lua(headers),
        "body": _lua(text),
        "unique_header": _lua(unique_header), "pace_ms": _lua(round(pace_ms, 3)),
        "bodies": "{" + ", ".join(_lua(json.dumps(b, ensure_ascii=False)) for b in bodies) + "}" if bodies else "nil",
        "threads": _lua(threads),
    }
