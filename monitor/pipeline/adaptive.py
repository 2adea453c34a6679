"""Adaptive polling, as Media Cloud's rss-fetcher does it: a source whose polls bring mostly
new entries is polled sooner (a capped search result misses stories when a query is busy);
one whose entries are nearly all known, later; always within ``[polling]`` bounds."""

from __future__ import annotations

from dataclasses import dataclass

MOSTLY_NEW = 0.5  # more than this share of a poll's entries new: poll sooner
NEARLY_KNOWN = 0.1  # at most this share new: poll later
SOONER = 0.5  # the interval is halved when most entries are new…
LATER = 1.5  # …and grows by half when nearly all are known


@dataclass(frozen=True)
class Bounds:
    """``[polling] min_interval`` / ``max_interval``; None: the source's interval /4 and ×4.
    Neither bound crosses a source's own interval (a 6 h records source is never polled
    every 90 min because ``max_interval`` is 90 min), and ``floor`` is its kind's shortest."""

    min_interval: float | None = None
    max_interval: float | None = None

    def of(self, interval: float, floor: float = 0.0) -> tuple[float, float]:
        """The (lowest, highest) interval in force for a source configured at ``interval``."""
        low = self.min_interval if self.min_interval is not None else interval / 4
        high = self.max_interval if self.max_interval is not None else interval * 4
        low, high = max(min(low, interval), floor), max(high, interval)
        return low, max(low, high)


def longest_quiet(intervals: list[float], bounds: Bounds) -> float:
    """How long the sources of ``intervals`` may all go unpolled once adaptive polling has
    slowed every one to its highest bound (health checks allow this, plus grace)."""
    return min(bounds.of(interval)[1] for interval in intervals)


def next_interval(current: float | None, interval: float, new: int, total: int,
                  bounds: Bounds, first_poll: bool = False, floor: float = 0.0) -> float:
    """The interval to wait before the next poll, from this poll's ``new`` of ``total``
    entries (``total`` 0: nothing changed, as with a 304). ``current``: the interval in force
    (None: the configured ``interval``). A first poll, where every entry is new, says nothing."""
    now = current if current is not None else interval
    if not first_poll:
        share = new / total if total else 0.0
        if share > MOSTLY_NEW:
            now *= SOONER
        elif share <= NEARLY_KNOWN:
            now *= LATER
    low, high = bounds.of(interval, floor)
    return min(max(now, low), high)
