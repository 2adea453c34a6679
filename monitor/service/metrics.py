"""Prometheus metrics: counters the cycle and outbox update, gauges read from storage on scrape."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector

from storage import Database, deliveries, sources
from storage.models import utcnow

log = logging.getLogger(__name__)

disable_created_metrics()
REGISTRY = CollectorRegistry()
ProcessCollector(namespace="monitor", registry=REGISTRY)

POLLS = Counter("monitor_polls", "Feeds polled", registry=REGISTRY)
POLL_FAILURES = Counter("monitor_poll_failures", "Feed polls that failed (network, HTTP, parse)",
                        registry=REGISTRY)
FETCH_SECONDS = Histogram("monitor_fetch_duration_seconds", "Time to fetch one feed",
                          buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
                          registry=REGISTRY)
NEW_STORIES = Counter("monitor_new_stories", "Stories stored for the first time",
                      registry=REGISTRY)
HITS = Counter("monitor_hits", "Hits stored, by watchlist", ["watchlist"], registry=REGISTRY)
DELIVERY_ATTEMPTS = Counter("monitor_delivery_attempts", "Delivery attempts by outcome",
                            ["outcome"], registry=REGISTRY)
CYCLES = Counter("monitor_cycles", "Polling cycles completed", registry=REGISTRY)
LAST_CYCLE_TIME = Gauge("monitor_last_cycle_timestamp_seconds",
                        "Unix time the last polling cycle ended", registry=REGISTRY)
LAST_CYCLE_DURATION = Gauge("monitor_last_cycle_duration_seconds",
                            "How long the last polling cycle took", registry=REGISTRY)
RELOADS = Counter("monitor_config_reloads", "Config and watchlist reloads by result",
                  ["result"], registry=REGISTRY)
for _outcome in ("sent", "retrying", "failed"):
    DELIVERY_ATTEMPTS.labels(_outcome)
for _result in ("ok", "refused"):
    RELOADS.labels(_result)


def observe_fetches(results: Iterable) -> None:
    """Record each fetch's latency (``FetchResult.elapsed``)."""
    for result in results:
        FETCH_SECONDS.observe(result.elapsed)


def observe_cycle(stats) -> None:
    """Fold one ``CycleStats`` into the counters."""
    POLLS.inc(stats.feeds_polled)
    POLL_FAILURES.inc(stats.feeds_failed)
    NEW_STORIES.inc(stats.new_stories)
    CYCLES.inc()
    LAST_CYCLE_TIME.set(time.time())
    LAST_CYCLE_DURATION.set(stats.duration_s)


def observe_hits(hits: Sequence) -> None:
    """Count new hits per watchlist (anything with a ``watchlist`` attribute)."""
    for hit in hits:
        HITS.labels(hit.watchlist).inc()


def observe_deliveries(report) -> None:
    """Fold one ``DeliveryReport`` into the attempt counters."""
    for outcome in ("sent", "retrying", "failed"):
        DELIVERY_ATTEMPTS.labels(outcome).inc(getattr(report, outcome))


class StorageCollector:
    """Gauges that only storage knows: deliveries and feeds by state, the due queue's depth."""

    def __init__(self, database: Callable[[], Database]):
        self.database = database

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("monitor_storage_up", "1 when storage answered this scrape")
        try:
            with self.database().read() as s:
                by_state = deliveries.count_by_state(s)
                due = deliveries.queue_depth(s, utcnow())
                feeds = sources.count_by_state(s)
        except Exception as exc:  # noqa: BLE001 - a scrape must answer even when storage doesn't
            log.warning("metrics: storage does not answer: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        outbox = GaugeMetricFamily("monitor_deliveries", "Deliveries in the outbox by state",
                                   labels=["state"])
        for state in sorted({"pending", "sent", "failed"} | set(by_state)):
            outbox.add_metric([state], by_state.get(state, 0))
        yield outbox
        yield GaugeMetricFamily("monitor_delivery_queue_depth",
                                "Pending deliveries whose time has come", value=due)
        feed_states = GaugeMetricFamily("monitor_feeds", "Known feeds by state", labels=["state"])
        for state in sorted({"ok", "failing", "disabled"} | set(feeds)):
            feed_states.add_metric([state], feeds.get(state, 0))
        yield feed_states


class _Union:
    """Several collectors exposed as one, for ``generate_latest``."""

    def __init__(self, *collectors) -> None:
        self.collectors = collectors

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def render(database: Callable[[], Database]) -> bytes:
    """The Prometheus text exposition of every ``monitor_*`` series."""
    return generate_latest(_Union(REGISTRY, StorageCollector(database)))
