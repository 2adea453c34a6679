"""Adaptive polling: sooner when most of a poll is new, later when nearly all is known, always
within [polling] min_interval / max_interval (default interval /4 and ×4)."""

from __future__ import annotations

import json

from monitor.pipeline.adaptive import Bounds, next_interval
from tests.support.helpers import run_cli, write_config

HOUR = 3600.0


def test_mostly_new_polls_sooner_nearly_known_later():
    assert next_interval(None, HOUR, new=8, total=10, bounds=Bounds()) == HOUR / 2
    assert next_interval(None, HOUR, new=0, total=10, bounds=Bounds()) == HOUR * 1.5
    assert next_interval(None, HOUR, new=0, total=0, bounds=Bounds()) == HOUR * 1.5  # a 304
    assert next_interval(HOUR / 2, HOUR, new=3, total=10, bounds=Bounds()) == HOUR / 2


def test_a_first_poll_says_nothing():
    assert next_interval(None, HOUR, new=10, total=10, bounds=Bounds(), first_poll=True) == HOUR


def test_the_interval_stays_within_its_bounds():
    current = None
    for _ in range(20):
        current = next_interval(current, HOUR, new=10, total=10, bounds=Bounds())
    assert current == HOUR / 4
    for _ in range(20):
        current = next_interval(current, HOUR, new=0, total=10, bounds=Bounds())
    assert current == HOUR * 4
    bounds = Bounds(min_interval=1200.0, max_interval=5400.0)
    assert next_interval(1500.0, HOUR, new=9, total=10, bounds=bounds) == 1200.0
    assert next_interval(5000.0, HOUR, new=0, total=10, bounds=bounds) == 5400.0


def test_absolute_bounds_never_cross_a_sources_own_interval():
    """``max_interval = "90m"`` slows no source below its own 6 h; ``min_interval`` speeds
    no source beyond its own interval the other way; a kind's floor (a search) holds."""
    bounds = Bounds(min_interval=1200.0, max_interval=5400.0)
    six_hours = 6 * HOUR
    assert next_interval(None, six_hours, new=0, total=10, bounds=bounds) == six_hours
    assert next_interval(None, six_hours, new=9, total=10, bounds=bounds) == six_hours / 2
    assert bounds.of(600.0) == (600.0, 5400.0)
    current = None
    for _ in range(10):
        current = next_interval(current, 1800.0, new=9, total=10, bounds=Bounds(), floor=300.0)
    assert current == 450.0  # the default /4 is above the floor
    assert Bounds(min_interval=60.0).of(1800.0, floor=300.0) == (300.0, 7200.0)


def _rss(items: range) -> bytes:
    body = "".join(f"<item><title>Story number {n}</title><link>https://o.example/{n}</link>"
                   f"<guid>g{n}</guid><description>Text {n}.</description></item>"
                   for n in items)
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>O</title>{body}'
            "</channel></rss>").encode()


def _in_force(config) -> float:
    shown = run_cli("feeds", "--format", "json", "--config", str(config))
    assert shown.returncode == 0, shown.stderr
    (feed,) = json.loads(shown.stdout)
    return feed["interval_in_force_s"]


def _poll(config) -> None:
    done = run_cli("poll-once", "--json", "--config", str(config))
    assert done.returncode == 0, done.stderr


def test_a_busy_feed_is_polled_sooner_a_quiet_one_later_within_bounds(tmp_path, feed_server):
    url = feed_server.add("/busy.xml", _rss(range(0, 10)))
    config = write_config(tmp_path, [url], extra='min_interval = "20m"\nmax_interval = "90m"')
    _poll(config)
    assert _in_force(config) == HOUR  # first poll: everything is new, nothing learnt
    feed_server.add("/busy.xml", _rss(range(10, 20)))
    _poll(config)
    assert _in_force(config) == HOUR / 2
    feed_server.add("/busy.xml", _rss(range(20, 30)))
    _poll(config)
    assert _in_force(config) == 1200.0  # 15 min would be below min_interval
    for expected in (1800.0, 2700.0, 4050.0, 5400.0, 5400.0):
        _poll(config)  # the same ten entries: all known
        assert _in_force(config) == expected
    table = run_cli("feeds", "--config", str(config))
    assert "interval" in table.stdout and "1 h 30 min" in table.stdout


def test_health_allows_a_source_slowed_to_its_highest_bound(tmp_path):
    from datetime import timedelta

    from monitor.config import load_config
    from monitor.service.health import check_health
    from storage.db import connect
    from storage.models import Feed, utcnow

    db = connect(f"sqlite:///{tmp_path / 'h.db'}")
    try:
        with db.session() as s:
            s.add(Feed(url="https://o.example/rss", name="o", interval_s=HOUR,
                       poll_interval_s=4 * HOUR, last_polled_at=utcnow() - timedelta(hours=2)))
        default = load_config(write_config(tmp_path, ["https://o.example/rss"]))
        assert check_health(default, db)[0]  # interval × 4 may pass between polls
        capped = load_config(write_config(tmp_path, ["https://o.example/rss"],
                                          extra='max_interval = "1h"'))
        healthy, reason = check_health(capped, db)
        assert not healthy and "last poll was" in reason
    finally:
        db.dispose()


def test_check_refuses_bounds_the_wrong_way_round(tmp_path):
    config = write_config(tmp_path, [], extra='min_interval = "1h"\nmax_interval = "10m"')
    done = run_cli("check", "--config", str(config))
    assert done.returncode == 2
    line = config.read_text(encoding="utf-8").splitlines().index('max_interval = "10m"') + 1
    assert f"{config}:{line}: max_interval (10m) is below min_interval" in done.stdout + done.stderr
