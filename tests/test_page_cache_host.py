"""How long a kept index page stays fresh (micropip.index.page_cache.freshness_lifetime), on the host."""

from __future__ import annotations

from micropip.index.page_cache import freshness_lifetime, is_fresh


def test_max_age_wins_and_no_cache_means_stale_at_once():
    assert freshness_lifetime({"cache-control": "max-age=600, public", "expires": "Thu, 01 Jan 1970 00:00:00 GMT"}) == 600
    assert freshness_lifetime({"cache-control": "no-cache, max-age=600"}) == 0
    assert freshness_lifetime({"cache-control": "max-age=soon"}) == 0


def test_expires_counts_from_the_servers_date():
    headers = {"date": "Mon, 07 Dec 2026 10:00:00 GMT", "expires": "Mon, 07 Dec 2026 10:05:00 GMT"}
    assert freshness_lifetime(headers) == 300
    assert is_fresh({**headers, "age": "100"}, stored=0.0, now=199.0)
    assert not is_fresh({**headers, "age": "100"}, stored=0.0, now=200.0)
    assert freshness_lifetime({**headers, "expires": "0"}) == 0  # an invalid date means already expired


def test_a_date_alone_or_nothing_says_nothing():
    assert freshness_lifetime({"date": "Mon, 07 Dec 2026 10:00:00 GMT"}) == 0
    assert freshness_lifetime({"expires": "Mon, 07 Dec 2026 10:05:00 GMT"}) == 0  # no Date to count from
    assert freshness_lifetime({}) == 0
