"""``monitor run``: APScheduler drives polling and delivery until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading
from datetime import timedelta

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.cycle import poll_cycle
from monitor.runtime import Runtime
from storage.models import utcnow
from storage.retention import prune

log = logging.getLogger(__name__)

POLL_TICK_S = 5.0
DELIVERY_TICK_S = 5.0
PRUNE_DELAY = timedelta(minutes=1)  # first retention pass, then daily


class Daemon:
    """Polls due feeds every tick (each feed on its own interval) and sends due alerts."""

    def __init__(self, rt: Runtime):
        self.rt = rt
        self.stopping = threading.Event()
        self.scheduler = BackgroundScheduler(timezone="UTC")

    def _poll(self) -> None:
        try:
            poll_cycle(self.rt, deliver=True)
        except Exception:  # noqa: BLE001 - the daemon outlives any one bad cycle
            log.exception("poll cycle failed")

    def _deliver(self) -> None:
        try:
            self.rt.outbox.deliver_due()
        except Exception:  # noqa: BLE001 - retried on the next tick
            log.exception("delivery pass failed")

    def _prune(self) -> None:
        days = self.rt.config.retention_days
        try:
            removed = prune(self.rt.db, utcnow() - timedelta(days=days))
            log.info("retention: pruned %d stories older than %d days", removed, days)
        except Exception:  # noqa: BLE001 - tried again tomorrow
            log.exception("retention pass failed")

    def start(self) -> None:
        """Schedule the jobs; the first poll runs at once."""
        opts = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        self.scheduler.add_job(self._poll, "interval", seconds=POLL_TICK_S, id="poll",
                               next_run_time=utcnow(), **opts)
        self.scheduler.add_job(self._deliver, "interval", seconds=DELIVERY_TICK_S,
                               id="deliver", **opts)
        if self.rt.config.retention_days:
            self.scheduler.add_job(self._prune, "interval", hours=24, id="prune",
                                   next_run_time=utcnow() + PRUNE_DELAY, **opts)
        self.scheduler.start()
        log.info("monitor running: %d feeds, %d watchlists, %d subscribers",
                 len(self.rt.config.feeds), len(self.rt.watchlists),
                 len(self.rt.config.subscribers))

    def stop(self) -> None:
        """Stop scheduling new work and wait for running jobs to finish."""
        log.info("shutting down")
        self.scheduler.shutdown(wait=True)
        self.rt.close()

    def run_forever(self) -> int:
        """Run until a termination signal; exit code 0 on a clean stop."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        self.start()
        self.stopping.wait()
        self.stop()
        return 0
