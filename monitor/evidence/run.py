"""One evidence pass, after a polling cycle (``poll-once``) or on the daemon's evidence tick:
capture new stories with hits, recheck the due ones, ask the Wayback Machine, send change
alerts."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from monitor.evidence.alerts import send_change_alerts
from monitor.evidence.recheck import EvidenceReport, Fetch, capture_new, recheck_due
from monitor.evidence.wayback import SpnSettings, run_queue
from monitor.service.runtime import Runtime
from notifiers.outbox import RetryPolicy
from storage.models import utcnow

LOOKBACK = timedelta(days=1)  # stories found this long before the last delay are still taken


def page_fetcher(rt: Runtime) -> Fetch:
    """The polite page fetcher (robots.txt, per-host limits, deadline, size cap)."""
    from monitor.pages import fetch_pages

    return lambda urls: fetch_pages(urls, rt.config.polling)


def spn_settings(rt: Runtime) -> SpnSettings:
    ev = rt.config.evidence
    agent = rt.config.polling.user_agent + (f" ({rt.config.polling.contact})"
                                            if rt.config.polling.contact else "")
    return SpnSettings(base_url=ev.wayback_url, key=ev.wayback_key,
                       interval=ev.wayback_interval, attempts=ev.wayback_attempts,
                       user_agent=agent)


def evidence_pass(rt: Runtime, now: datetime | None = None,
                  fetch: Fetch | None = None) -> EvidenceReport:
    """Everything evidence has to do now; a no-op unless ``[evidence] keep = true``."""
    report = EvidenceReport()
    ev = rt.config.evidence
    if not ev.keep:
        return report
    now = now or utcnow()
    fetch = fetch or page_fetcher(rt)
    since = now - timedelta(seconds=max(ev.recheck, default=0.0)) - LOOKBACK
    capture_new(rt.db, fetch, ev.recheck, now, since, ev.wayback, report)
    recheck_due(rt.db, fetch, ev.recheck, rt.config.subscribers, now, report)
    if ev.wayback:
        asyncio.run(run_queue(rt.db, spn_settings(rt), now))
    policy = RetryPolicy(initial=rt.config.delivery.retry_initial,
                         max_attempts=rt.config.delivery.max_attempts)
    send_change_alerts(rt.db, rt.config.subscribers, now, policy, rt.outbox.renderer,
                       rt.outbox.sender)
    return report
