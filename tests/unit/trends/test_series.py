"""The spike rule on its own: robust baseline, minimum count, bursts across both series."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.trends.series import DAY, HOUR, Point, bursts, judge, series

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def test_two_stories_from_nothing_are_not_a_spike_however_unusual():
    quiet = [0.0] * 25 + [0.025] * 3   # a story on three of 28 days
    assert not judge(2, 40, quiet, min_count=5)[1]
    assert judge(5, 40, quiet, min_count=5)[1]      # the minimum reached: a spike
    assert not judge(5, 40, quiet[:2], min_count=5)[1]   # no history yet: nothing is unusual
    assert not judge(8, 40, quiet, min_count=10)[1]      # [trends] min_count is the floor
    assert judge(10, 40, quiet, min_count=10)[1]


def test_a_newly_watched_entity_does_not_spike_against_a_usual_of_zero():
    assert judge(6, 100, [0.0] * 28, 5) == (0.0, False)    # no hit in its baseline at all
    assert not judge(6, 100, [0.0] * 26 + [0.01] * 2, 5)[1]   # hits on two days: too few
    assert judge(6, 100, [0.0] * 25 + [0.01] * 3, 5)[1]       # on three: a baseline
    entity = {T0 + 28 * DAY: 6}    # added today: the stories before it have no hit for it
    totals = {T0 + n * DAY: 100 for n in range(29)}
    points = series(entity, totals, T0 + 28 * DAY, T0 + 28 * DAY, DAY, 28 * DAY, 5)
    assert [(p.count, p.spike) for p in points] == [(6, False)]


def test_a_steady_entity_stays_inside_its_spread_and_a_burst_leaves_it():
    steady = [0.2, 0.25, 0.22, 0.18, 0.3, 0.2, 0.24] * 4   # ~6 of 26 stories a day
    usual, spike = judge(9, 30, steady, min_count=5)
    assert 6 < usual < 7 and not spike
    assert judge(25, 50, steady, min_count=5)[1]


def test_shares_not_counts_busy_days_for_everyone_are_not_spikes():
    entity = {T0 + n * DAY: 5 for n in range(28)}
    totals = {T0 + n * DAY: 50 for n in range(28)}
    entity[T0 + 28 * DAY], totals[T0 + 28 * DAY] = 15, 150   # three times the news, same share
    points = series(entity, totals, T0 + 28 * DAY, T0 + 28 * DAY, DAY, 28 * DAY, 5)
    assert [(p.count, round(p.usual), p.spike) for p in points] == [(15, 15, False)]
    entity[T0 + 28 * DAY] = 60
    points = series(entity, totals, T0 + 28 * DAY, T0 + 28 * DAY, DAY, 28 * DAY, 5)
    assert points[0].spike


def _point(bucket: datetime, count: int) -> Point:
    return Point(bucket, count, 100, count / 100, 1.0, True)


def test_hourly_and_daily_spikes_that_touch_are_one_burst():
    day = T0 + 3 * DAY
    found = bursts([("day", _point(day, 20)), ("hour", _point(day + 10 * HOUR, 8)),
                    ("hour", _point(day + 11 * HOUR, 9)),
                    ("hour", _point(day + 4 * DAY + 2 * HOUR, 7))])
    assert [(b.start, b.count, b.series_name) for b in found] == [
        (day, 20, "day+hour"), (day + 4 * DAY + 2 * HOUR, 7, "hour")]
    assert found[0].last_bucket == day + DAY - HOUR
    assert bursts([]) == []
