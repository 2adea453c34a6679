"""``monitor run``: APScheduler drives polling and delivery until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import signal
import threading

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.cycle import poll_cycle
from monitor.runtime import Runtime
from monitor.subscriber_config import cron_trigger
from storage.models import utcnow

log = logging.getLogger(__name__)

POLL_TICK_S = 5.0
DELIVERY_TICK_S = 5.0


class Daemon:
    """Polls due feeds every tick (each feed on its own interval) and sends due alerts."""

    def __init__(self, rt: Runtime):
        self.rt = rt
        self.stopping = threading.Event()
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.started = False

    def _poll(self) -> None:
        """Poll due feeds (every feed on the first run); delivery is the deliver job's alone."""
        try:
            poll_cycle(self.rt, force=not self.started, deliver=False)
            self.started = True
        except Exception:  # noqa: BLE001 - the daemon outlives any one bad cycle
            log.exception("poll cycle failed")

    def _deliver(self) -> None:
        try:
            self.rt.outbox.deliver_due()
        except Exception:  # noqa: BLE001 - retried on the next tick
            log.exception("delivery pass failed")

    def _digest(self, name: str) -> None:
        try:
            report = self.rt.outbox.send_digest(name)
            log.info("digest for %s: %d message(s), %d deliveries", name, report.messages,
                     report.sent)
        except Exception:  # noqa: BLE001 - the next fire time tries again
            log.exception("digest for %s failed", name)

    def start(self) -> None:
        """Schedule the jobs; the first poll runs at once."""
        opts = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        self.scheduler.add_job(self._poll, "interval", seconds=POLL_TICK_S, id="poll",
                               next_run_time=utcnow(), **opts)
        self.scheduler.add_job(self._deliver, "interval", seconds=DELIVERY_TICK_S,
                               id="deliver", **opts)
        for r in self.rt.config.subscribers:
            if r.digest and r.schedule:
                self.scheduler.add_job(self._digest, cron_trigger(r.schedule, r.timezone),
                                       args=[r.name], id=f"digest:{r.name}", **opts)
        self.scheduler.start()
        log.info("monitor running: %d feeds, %d watchlists, %d subscribers",
                 len(self.rt.config.feeds), len(self.rt.watchlists),
                 len(self.rt.config.subscribers))

    def stop(self) -> None:
        """Stop scheduling new work and wait for running jobs to finish."""
        log.info("shutting down")
        self.rt.outbox.stop()
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
