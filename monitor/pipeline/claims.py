"""A cycle's leases on due sources, claimed a batch at a time, each turned into the request
its kind builds for it."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import Counter
from collections.abc import Collection

from monitor.config import PollingConfig
from monitor.pipeline.aio import stopped
from monitor.pipeline.fetch import FetchRequest
from monitor.service.runtime import Runtime
from monitor.sources import UnknownKind, source_kind
from monitor.sources.base import SourceRecord
from monitor.sources.records.sync import KINDS as RECORD_KINDS
from monitor.sources.search.kinds import SEARCH_KINDS
from monitor.text import error_line
from storage import Feed
from storage.models import utcnow
from storage.sources import FEED_KIND, claim_feeds, params_of, put_off, release, release_leases

log = logging.getLogger(__name__)

BATCH = 100  # sources per claim: small, so several workers share even a short list
CLAIM_BELOW = 150  # claim the next batch when fewer claimed sources than this are unstored
CYCLE_BUDGET_S = 60.0  # then the cycle ends: alerts go out and a stop request is honoured
PACED_BUDGET_S = 30.0  # a paced provider's (GDELT's) requests of one cycle span at most this


def lease_seconds(polling: PollingConfig) -> float:
    """``[polling] lease``, else long enough to fetch every claimed, unstored source (at most
    CLAIM_BELOW + BATCH) when all are slow, plus a minute."""
    if polling.lease:
        return polling.lease
    return polling.timeout * math.ceil((BATCH + CLAIM_BELOW) / polling.concurrency) + 60.0


def fetch_request(feed: Feed) -> FetchRequest:
    """The poll of a stored source, as its kind builds it; UnknownKind if it has none here."""
    kind = source_kind(feed.kind)
    return FetchRequest.of(SourceRecord(feed.id, feed.url, params_of(feed), feed.fetch_url,
                                        feed.etag, feed.last_modified, feed.last_polled_at,
                                        feed.state == "failing"), kind)


class Claims:
    """This cycle's leases on due sources, taken a batch at a time as the pipeline drains.

    Small batches let several workers share a short list; ``outstanding`` holds the sources
    claimed and not yet stored, whose leases a shutdown gives back. Feeds no longer in this
    config are put off by their interval instead of fetched, and not claimed again, and so are
    records sources no longer in ``[[records]]`` and search sources no longer in ``[[search]]``;
    sources of other kinds are polled while they are stored."""

    def __init__(self, rt: Runtime, force: bool, stop: threading.Event | None) -> None:
        self.rt, self.force, self.stop = rt, force, stop
        self.started = time.monotonic()
        self.cycle_start = utcnow()
        self.configured = {f.url for f in rt.config.feeds} | {s.key for s in rt.record_sources}
        self.searched = {spec.key for spec in rt.search_sources}
        self.skipped: set[int] = set()
        self.outstanding: set[int] = set()
        self.paced: Counter[str] = Counter()

    def next(self) -> list[FetchRequest] | None:
        """The next batch to fetch; None when nothing is due, the budget is spent or a stop
        was asked for (a worker with a backlog keeps claiming, up to CYCLE_BUDGET_S)."""
        while (self.force or time.monotonic() - self.started < CYCLE_BUDGET_S) \
                and not stopped(self.stop):
            claimed, requests = self._claim()
            if not claimed:
                return None
            if requests:
                self.outstanding.update(r.feed_id for r in requests)
                return requests
        return None

    def _claim(self) -> tuple[int, list[FetchRequest]]:
        rt, now = self.rt, utcnow()
        with rt.db.session() as s:
            feeds = claim_feeds(s, rt.worker, now, lease_seconds(rt.config.polling), BATCH,
                                due_by=now,
                                polled_before=self.cycle_start if self.force else None,
                                exclude=self.skipped)
            requests = []
            for f in feeds:
                request = self._request(f)
                if request is not None and self._over_pace(request):
                    release(f, rt.worker)  # still due: the next cycle takes it
                    self.skipped.add(f.id)
                elif request is not None:
                    requests.append(request)
                else:
                    put_off(f, rt.worker, now)
                    self.skipped.add(f.id)
            return len(feeds), requests

    def _over_pace(self, request: FetchRequest) -> bool:
        """Whether a paced provider already has PACED_BUDGET_S of requests in this cycle:
        waiting for GDELT's 5 s slots would hold every other source's alerts back, so the
        rest wait for the next cycle, which starts at once (``force``: poll-once takes all)."""
        politeness = request.kind.politeness
        if self.force or not politeness.group or politeness.min_interval <= 0:
            return False
        self.paced[politeness.group] += 1
        return self.paced[politeness.group] > max(
            1, int(PACED_BUDGET_S // politeness.min_interval))

    def _request(self, feed: Feed) -> FetchRequest | None:
        """The source's request, or None if it is not to be polled (not configured, or of a
        kind this version does not know)."""
        if feed.kind in (FEED_KIND, *RECORD_KINDS) and feed.url not in self.configured:
            return None
        if feed.kind in SEARCH_KINDS and feed.url not in self.searched:
            return None
        try:
            return fetch_request(feed)
        except UnknownKind as exc:
            log.warning("source %s is not polled: %s", feed.url, exc)
        except (ValueError, KeyError, TypeError) as exc:  # its stored parameters do not fit
            log.warning("source %s is not polled: its %s request cannot be built (%s)",
                        feed.url, feed.kind, error_line(exc))
        return None


def release_unpolled(rt: Runtime, feed_ids: Collection[int]) -> None:
    """Give back the leases of sources a shutdown interrupted, so another worker takes them."""
    if not feed_ids:
        return
    with rt.db.session() as s:
        release_leases(s, feed_ids, rt.worker)
