"""The deliver stage's one trigger: ``poll-once`` after its cycle and the daemon (after a cycle
that queued alerts, and on its delivery tick) both send due alerts through ``deliver_due``;
a polling cycle itself only queues them."""

from __future__ import annotations

import time
from collections.abc import Callable

from monitor.pipeline.stats import CycleStats
from monitor.service import metrics
from monitor.service.runtime import Runtime
from monitor.trends.run import send_due
from notifiers.outbox import DeliveryReport


def deliver_due(rt: Runtime, should_stop: Callable[[], bool] | None = None,
                stats: CycleStats | None = None) -> DeliveryReport:
    """Send every due alert and count the attempts in the metrics; with ``stats``, also add
    what was sent (and the time it took) to that cycle's figures."""
    started = time.monotonic()
    report = rt.outbox.deliver_due(should_stop=should_stop)
    spikes = send_due(rt, should_stop)
    report.sent += spikes.sent
    report.retrying += spikes.retrying
    report.failed += spikes.failed
    metrics.observe_deliveries(report)
    if stats is not None:
        stats.notifications_sent = report.sent
        stats.notifications_failed = report.failed + report.retrying
        stats.duration_s = round(stats.duration_s + time.monotonic() - started, 3)
    return report
