"""The sliding-window counter behind every limit, at a window's boundary, on both storages:
Redis (shared by instances) and the in-process stand-in (no NHT_REDIS_URL). Each check
is given its own clock reading, so hits land on either side of the boundary exactly."""

import time
import uuid

import pytest
import redis
from limits import parse
from limits.storage import storage_from_string

from nanhaitong.ratelimit_counter import SlidingWindowCounter

FOUR_PER_10_S = parse("4 per 10 seconds")
BOUNDARY = 1_800_000_000.0  # a multiple of 10 s: a window starts here


@pytest.fixture(params=["memory", "redis"])
def counter(request):
    if request.param == "memory":
        return SlidingWindowCounter(storage_from_string("memory://"))
    redis_url = request.getfixturevalue("redis_url")
    if not redis_url:
        pytest.skip("needs the Redis backend (make test runs it when Redis answers)")
    return SlidingWindowCounter(storage_from_string(redis_url))


def hits(counter, key, at, times=1):
    return [counter.check(FOUR_PER_10_S, key, now=at) for _ in range(times)]


def test_a_burst_before_the_boundary_still_counts_after_it(counter):
    """The plain fixed window's flaw: 4 at 9.9 s and 4 more at 10.1 s. Not here."""
    assert all(allowed for allowed, _ in hits(counter, "late-burst", BOUNDARY - 0.1, times=4))
    allowed, wait = counter.check(FOUR_PER_10_S, "late-burst", now=BOUNDARY + 0.1)
    assert not allowed and wait == pytest.approx(9.8, abs=0.01)
    assert not counter.test(FOUR_PER_10_S, "late-burst", now=BOUNDARY - 0.1 + 9.99)
    assert counter.test(FOUR_PER_10_S, "late-burst", now=BOUNDARY - 0.1 + 10.01)


def test_a_burst_frees_one_period_after_it_never_later(counter):
    """What the moving window promised for a burst, and Retry-After within the period."""
    hits(counter, "early-burst", BOUNDARY + 0.1, times=4)
    allowed, wait = counter.check(FOUR_PER_10_S, "early-burst", now=BOUNDARY + 5.0)
    assert not allowed and wait == pytest.approx(5.1, abs=0.01)
    assert not counter.test(FOUR_PER_10_S, "early-burst", now=BOUNDARY + 10.05)
    assert counter.test(FOUR_PER_10_S, "early-burst", now=BOUNDARY + 10.15)


def test_hits_spread_over_a_window_fade_out_across_the_boundary(counter):
    """Four hits spread over the last window weigh as evenly spread between the first and
    the last: room comes back gradually, and Retry-After says when."""
    for second in (1.0, 3.5, 6.0, 8.5):
        assert hits(counter, "spread", BOUNDARY - 10 + second) == [(True, 0.0)]
    allowed, wait = counter.check(FOUR_PER_10_S, "spread", now=BOUNDARY + 0.5)
    # Just past the boundary all four are within the period (the first was 9.5 s ago).
    assert not allowed and wait == pytest.approx(2.375, abs=0.01)
    assert not counter.test(FOUR_PER_10_S, "spread", now=BOUNDARY + 0.5 + wait - 0.05)
    assert counter.check(FOUR_PER_10_S, "spread", now=BOUNDARY + 0.5 + wait + 0.01) == (True, 0.0)
    # That hit spent the room; the next frees when the estimate drops by one more.
    assert not counter.test(FOUR_PER_10_S, "spread", now=BOUNDARY + 0.5 + wait + 0.02)
    assert counter.test(FOUR_PER_10_S, "spread", now=BOUNDARY + 6.0)


def test_refused_hits_are_not_counted(counter):
    hits(counter, "refused", BOUNDARY + 1, times=4)
    assert not any(allowed for allowed, _ in hits(counter, "refused", BOUNDARY + 2, times=20))
    assert counter.test(FOUR_PER_10_S, "refused", now=BOUNDARY + 11.01)


def test_a_window_with_no_hits_between_forgets_everything(counter):
    hits(counter, "gap", BOUNDARY + 9.9, times=4)
    assert hits(counter, "gap", BOUNDARY + 30.0, times=4) == [(True, 0.0)] * 4


def test_keys_are_counted_apart(counter):
    hits(counter, "one", BOUNDARY + 1, times=4)
    assert counter.test(FOUR_PER_10_S, "two", now=BOUNDARY + 1)
    assert not counter.test(FOUR_PER_10_S, "one", now=BOUNDARY + 1)


def test_one_per_period_is_a_turn_held_exactly_that_long(counter):
    """A limit of one (SMS resend) frees exactly one period after the allowed hit; a turn
    given back (the guarded work failed) is free again at once."""
    once = parse("1 per 2 seconds")
    assert counter.check(once, "turn") == (True, 0.0)
    allowed, wait = counter.check(once, "turn")
    assert not allowed and 1.5 < wait <= 2.0
    time.sleep(wait + 0.05)
    assert counter.hit(once, "turn")
    counter.clear(once, "turn")
    assert counter.hit(once, "turn")


def test_a_restarted_redis_loses_no_count(redis_url):
    """Each thread keeps its own connection and calls the scripts by digest: a connection
    Redis dropped and scripts it forgot (a restart does both) cost a second try, never a
    refusal, an error or a hit counted twice."""
    if not redis_url:
        pytest.skip("needs the Redis backend (make test runs it when Redis answers)")
    name = f"nht-test-{uuid.uuid4().hex[:12]}"
    counter = SlidingWindowCounter(storage_from_string(redis_url, client_name=name))
    admin = redis.Redis.from_url(redis_url)
    assert hits(counter, "restart", BOUNDARY + 1, times=2) == [(True, 0.0)] * 2
    [mine] = [client["id"] for client in admin.client_list() if client["name"] == name]
    admin.client_kill_filter(_id=mine)
    admin.script_flush()
    assert hits(counter, "restart", BOUNDARY + 2, times=2) == [(True, 0.0)] * 2
    assert not counter.test(FOUR_PER_10_S, "restart", now=BOUNDARY + 3)
