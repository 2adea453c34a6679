"""The pipeline's two calls into trends: judge spikes after a cycle, send spike alerts when
due alerts are sent."""

from __future__ import annotations

import logging
from collections.abc import Callable

from monitor.service.runtime import Runtime
from monitor.trends.alerts import SpikeReport, send_spike_alerts
from monitor.trends.detect import detect_spikes

log = logging.getLogger(__name__)


def after_cycle(rt: Runtime, stored_anything: bool) -> int:
    """New bursts stored (and their alerts queued) after a cycle that stored stories or hits,
    or the first cycle of a runtime (history stored before it counts): a cycle that brought
    nothing new leaves the counts as they were. A failure here is logged and costs the cycle
    nothing: the next cycle judges the same stories again."""
    if rt.trends_judged and not stored_anything:
        return 0
    try:
        found = detect_spikes(rt)
    except Exception:  # noqa: BLE001 - spike detection never fails the cycle it follows
        log.exception("spike detection failed; the next cycle tries again")
        rt.trends_judged = False
        return 0
    rt.trends_judged = True
    return found


def send_due(rt: Runtime, should_stop: Callable[[], bool] | None = None) -> SpikeReport:
    """Send the spike alerts that are due (none more once ``should_stop`` says so)."""
    return send_spike_alerts(rt, should_stop)
