"""One evidence pass, after a polling cycle (``poll-once``) or on the daemon's evidence tick:
capture new stories with hits, recheck the due ones, ask the Wayback Machine, send change
alerts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from monitor.evidence.alerts import send_change_alerts
from monitor.evidence.reading import Fetched
from monitor.evidence.recheck import (
    EvidenceReport,
    Fetch,
    capture_new,
    keep_first,
    recheck_due,
)
from monitor.evidence.wayback import SpnSettings, run_queue
from monitor.pipeline.aio import run_io
from monitor.pipeline.fetch import user_agent
from monitor.service.runtime import Runtime
from notifiers.outbox import RetryPolicy
from storage import evidence as store
from storage.models import utcnow

LOOKBACK = timedelta(days=1)  # stories found this long before the last delay are still taken


def page_fetcher(rt: Runtime, should_stop: Callable[[], bool] | None = None) -> Fetch:
    """The polite page fetcher (robots.txt, per-host limits, deadline, size cap); once
    ``should_stop()`` is true its pages not fetched yet come back "unreached"."""
    from monitor.pages import fetch_pages

    return lambda urls: fetch_pages(urls, rt.config.polling, should_stop, robots=rt.robots)


def spn_settings(rt: Runtime) -> SpnSettings:
    ev = rt.config.evidence
    return SpnSettings(base_url=ev.wayback_url, key=ev.wayback_key,
                       interval=ev.wayback_interval, attempts=ev.wayback_attempts,
                       user_agent=user_agent(rt.config.polling))


def evidence_pass(rt: Runtime, now: datetime | None = None, fetch: Fetch | None = None,
                  stop: Callable[[], bool] | None = None) -> EvidenceReport:
    """Everything evidence has to do now; a no-op unless ``[evidence] keep = true``.
    ``stop()`` true (the daemon stopping): the Wayback queue leaves the rest for later."""
    report = EvidenceReport()
    ev = rt.config.evidence
    if not ev.keep:
        return report
    now = now or utcnow()
    fetch = fetch or page_fetcher(rt, stop)
    since = now - timedelta(seconds=max(ev.recheck, default=0.0)) - LOOKBACK
    capture_new(rt.db, fetch, ev.recheck, now, since, ev.wayback, report)
    if stop is not None and stop():  # claim no rechecks a stop would only cut
        return report
    recheck_due(rt.db, fetch, ev.recheck, rt.config.subscribers, now, report)
    if ev.wayback:
        run_io(run_queue(rt.db, spn_settings(rt), now, stop=stop))
    policy = RetryPolicy(initial=rt.config.delivery.retry_initial,
                         max_attempts=rt.config.delivery.max_attempts)
    send_change_alerts(rt.db, rt.config.subscribers, now, policy, rt.outbox.renderer,
                       rt.outbox.sender)
    return report


def keep_fetched(rt: Runtime, fetched: Sequence[tuple[int, Fetched]]) -> int:
    """Pages the page step fetched anyway become version 1 of stories with hits that have
    none yet, so evidence does not ask the host twice; how many were kept."""
    ev = rt.config.evidence
    if not ev.keep or not fetched:
        return 0
    now = utcnow()
    with rt.db.read() as s:
        found = store.first_hits(s, [sid for sid, _ in fetched])
    kept = 0
    for story_id, page in fetched:
        if story_id in found and page.failure is None:
            link, found_at = found[story_id]
            kept += keep_first(rt.db, story_id, link, found_at, page, ev.recheck, now,
                               ev.wayback)
    return kept
