"""``monitor run``: APScheduler drives polling, delivery and live reload until SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.config.problems import Problem
from monitor.config.schedule import cron_trigger
from monitor.pipeline.aio import calls_left_behind
from monitor.pipeline.cycle import poll_cycle
from monitor.pipeline.deliver import deliver_due
from monitor.pipeline.pool import PARSE_POOLS
from monitor.service import metrics
from monitor.service.gctune import release_memory
from monitor.service.health import stale_after
from monitor.service.reload import FileWatcher, describe_changes, rebuild
from monitor.service.runtime import Runtime
from storage.db import ping
from storage.models import utcnow
from storage.sources import next_poll_times
from storage.stories import prune

if TYPE_CHECKING:
    from monitor.web import HttpServer

log = logging.getLogger(__name__)

POLL_TICK_S = 1.0
DELIVERY_TICK_S = 5.0
RELOAD_TICK_S = 1.0
IDLE_RECHECK_S = 60.0
EVIDENCE_TICK_S = 60.0  # new stories' pages kept, due rechecks and Wayback captures
SHUTDOWN_DEADLINE_S = 8.0


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None
PRUNE_DELAY = timedelta(minutes=1)  # first retention pass, then every PRUNE_EVERY_H hours
PRUNE_EVERY_H = 1


class Daemon:
    """Polls each feed when it is due, sends due alerts, reloads edited files, stops cleanly."""

    def __init__(self, rt: Runtime):
        self._rt = rt
        self.stopping = threading.Event()
        self.reload_requested = threading.Event()
        self.scheduler = BackgroundScheduler(timezone="UTC")
        self.watcher = FileWatcher(rt.config.path, rt.config.watchlists_dir)
        self.started_at = self.loaded_at = utcnow()
        self.last_cycle_at: datetime | None = None
        self.last_refused: list[str] = []
        self.failing: dict[str, str] = {}  # job ("polling cycle", "delivery pass") -> error type
        self.http: HttpServer | None = None
        self._next_due: datetime | None = None
        self._resync = True
        self._cycle_lock = threading.Lock()
        self._outbox_lock = threading.Lock()
        self._reload_lock = threading.Lock()

    @property
    def rt(self) -> Runtime:
        """The runtime in force; a reload swaps it whole, so a cycle sees one consistent version."""
        return self._rt

    runtime = rt

    def _soonest_due(self, rt: Runtime) -> datetime:
        """When the next configured feed is due (a minute from now if none is)."""
        urls = {f.url for f in rt.config.feeds}
        with rt.db.read() as s:
            times = next_poll_times(s, urls)
        return min(times, default=utcnow() + timedelta(seconds=IDLE_RECHECK_S))

    def _poll(self) -> None:
        """Every tick: run a cycle when a feed is due (or after a reload), else return at once.

        The first cycle polls every due feed (all of them on a fresh database; a restart does
        not re-poll feeds polled within their interval, so a crash loop never hammers hosts,
        and several workers never poll one feed twice); new alerts go out right after."""
        if self.stopping.is_set() or not self._cycle_lock.acquire(blocking=False):
            return
        try:
            if not self._resync and self._next_due is not None and utcnow() < self._next_due:
                PARSE_POOLS.release_unused()  # a quiet daemon holds no fork server
                return
            self._resync = False
            rt = self.rt
            try:
                stats = poll_cycle(rt, stop=self.stopping)
                if stats.entries:  # between cycles: no idle workers, the heap given back
                    PARSE_POOLS.idle()
                    release_memory()
                self.last_cycle_at = utcnow()
                self._next_due = self._soonest_due(rt)
            except Exception as exc:  # noqa: BLE001 - the daemon outlives any one bad cycle
                log.exception("poll cycle failed")
                self._failed("polling cycle", exc)
                self._next_due = utcnow() + timedelta(seconds=5)
                return
            self.failing.pop("polling cycle", None)
        finally:
            self._cycle_lock.release()
        if stats.deliveries_queued or stats.spikes:
            self._deliver(wait=True)

    def _deliver(self, wait: bool = False) -> None:
        """Send due deliveries; one outbox pass at a time, so two passes never race."""
        if self.stopping.is_set() or not self._outbox_lock.acquire(blocking=wait):
            return
        try:
            deliver_due(self.rt, should_stop=self.stopping.is_set)
            self.failing.pop("delivery pass", None)
        except Exception as exc:  # noqa: BLE001 - retried on the next tick
            log.exception("delivery pass failed")
            self._failed("delivery pass", exc)
        finally:
            self._outbox_lock.release()

    def _failed(self, job: str, exc: Exception) -> None:
        """Remember that ``job`` failed: /healthz is unhealthy until it next succeeds. Only the
        error's type: /healthz is public and the text may name hosts or users (the log has it)."""
        self.failing[job] = type(exc).__name__

    def _check_reload(self) -> None:
        if self.stopping.is_set():
            return
        if self.reload_requested.is_set():
            self.reload_requested.clear()
            self.reload("SIGHUP")
        elif self.watcher.changed():
            self.reload("file change")

    def reload(self, reason: str) -> tuple[bool, list[str]]:
        """Re-read config and watchlists; if invalid, log file:line and keep the last good ones."""
        with self._reload_lock:
            self.watcher.changed()
            try:
                new, problems = rebuild(self.rt)
            except Exception as exc:  # noqa: BLE001 - a reload must never take the daemon down
                log.exception("reload (%s) failed", reason)
                new, problems = None, [Problem(str(self.rt.config.path), 0,
                                                 f"{type(exc).__name__}: {exc}")]
            if new is None:
                metrics.RELOADS.labels("refused").inc()
                self.last_refused = [str(p) for p in problems]
                for problem in self.last_refused:
                    log.error("reload refused: %s", problem)
                log.error("reload (%s) refused: %d problem(s); the config loaded at %s stays "
                          "in force", reason, len(problems), self.loaded_at.isoformat())
                return False, self.last_refused
            if new.config.watchlists_dir != self.watcher.watchlists_dir:
                self.watcher.follow(new.config.watchlists_dir)
            changes = describe_changes(self._rt, new)
            self._rt, self._resync = new, True
            self._schedule_digests()
            self.loaded_at, self.last_refused = utcnow(), []
            metrics.RELOADS.labels("ok").inc()
            log.info("reloaded (%s): %s; now %d feeds, %d watchlists, %d subscribers", reason,
                     changes, len(new.config.feeds), len(new.watchlists),
                     len(new.config.subscribers))
            return True, []

    def health(self) -> tuple[bool, dict[str, Any]]:
        """(healthy, details): the scheduler runs, storage answers, cycles are not stuck."""
        rt = self.rt
        reason = None
        if self.stopping.is_set():
            reason = "shutting down"
        elif not self.scheduler.running:
            reason = "scheduler is not running"
        else:
            try:
                with rt.db.read() as s:
                    ping(s)
            except Exception as exc:  # noqa: BLE001 - any storage failure is unhealthy
                reason = f"storage does not answer: {type(exc).__name__}"
        failing = dict(self.failing)
        if reason is None and failing:
            job, error = next(iter(failing.items()))
            reason = f"the last {job} failed: {error}"
        limit = stale_after(rt.config)
        if reason is None and limit is not None:
            since = utcnow() - (self.last_cycle_at or self.started_at)
            if since > limit:
                reason = f"no polling cycle has finished for {int(since.total_seconds())}s"
        info = {
            "status": "ok" if reason is None else "unavailable", "reason": reason or "ok",
            "scheduler": self.scheduler.running and not self.stopping.is_set(),
            "started_at": _iso(self.started_at), "last_cycle_at": _iso(self.last_cycle_at),
            "config": str(rt.config.path), "config_loaded_at": _iso(self.loaded_at),
            "last_reload_refused": self.last_refused, "feeds": len(rt.config.feeds),
            "watchlists": [w.name for w in rt.watchlists],
            "subscribers": len(rt.config.subscribers),
        }
        return reason is None, info

    def _schedule_digests(self) -> None:
        """One cron job per digest subscriber of the config in force (again after a reload)."""
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:"):
                job.remove()
        for r in self.rt.config.subscribers:
            if r.digest and r.schedule:
                self.scheduler.add_job(self._digest, cron_trigger(r.schedule, r.timezone),
                                       args=[r.name], id=f"digest:{r.name}", coalesce=True,
                                       misfire_grace_time=None, replace_existing=True)

    def _digest(self, name: str) -> None:
        try:
            report = self.rt.outbox.send_digest(name)
            log.info("digest for %s: %d message(s), %d deliveries", name, report.messages,
                     report.sent)
        except Exception:  # noqa: BLE001 - the next fire time tries again
            log.exception("digest for %s failed", name)

    def _evidence(self) -> None:
        """Keep, recheck and archive the pages of stories with hits (``[evidence] keep``)."""
        if self.stopping.is_set() or not self.rt.config.evidence.keep:
            return
        from monitor.evidence.run import evidence_pass

        try:
            evidence_pass(self.rt, stop=self.stopping.is_set)
            self.failing.pop("evidence pass", None)
        except Exception as exc:  # noqa: BLE001 - the next tick tries again
            log.exception("evidence pass failed")
            self._failed("evidence pass", exc)

    def _prune(self) -> None:
        """Retention of the config in force (a reload may turn it on or off)."""
        days = self.rt.config.retention_days
        if not days:
            return
        try:
            removed = prune(self.rt.db, utcnow() - timedelta(days=days))
            log.info("retention: pruned %d stories older than %d days", removed, days)
        except Exception:  # noqa: BLE001 - tried again tomorrow
            log.exception("retention pass failed")

    def start(self) -> None:
        """Bind HTTP (if configured), schedule the jobs; the first poll runs at once."""
        if self.rt.config.http.listen:
            from monitor.web import HttpServer, create_app

            http = self.rt.config.http
            self.http = HttpServer(create_app(self), *http.host_port,
                                   max_connections=http.max_connections,
                                   header_timeout=http.header_timeout)
        opts = {"coalesce": True, "misfire_grace_time": None}
        self.scheduler.add_job(self._poll, "interval", seconds=POLL_TICK_S, id="poll",
                               next_run_time=utcnow(), max_instances=2, **opts)
        self.scheduler.add_job(self._deliver, "interval", seconds=DELIVERY_TICK_S,
                               id="deliver", max_instances=1, **opts)
        self.scheduler.add_job(self._check_reload, "interval", seconds=RELOAD_TICK_S,
                               id="reload", max_instances=1, **opts)
        self._schedule_digests()
        self.scheduler.add_job(self._evidence, "interval", seconds=EVIDENCE_TICK_S,
                               id="evidence", max_instances=1, **opts)
        self.scheduler.add_job(self._prune, "interval", hours=PRUNE_EVERY_H, id="prune",
                               next_run_time=utcnow() + PRUNE_DELAY, **opts)
        self.scheduler.start()
        if self.http is not None:
            self.http.start()
        log.info("monitor running (pid %d): %d feeds, %d watchlists, %d subscribers", os.getpid(),
                 len(self.rt.config.feeds), len(self.rt.watchlists),
                 len(self.rt.config.subscribers))

    def stop(self) -> bool:
        """Claim no new work, let work in progress finish (bounded); True if it all finished."""
        log.info("shutting down: no new work; waiting at most %.0fs for work in progress",
                 SHUTDOWN_DEADLINE_S)
        self.stopping.set()
        self.rt.outbox.stop()
        finished = threading.Event()

        def drain() -> None:
            self.scheduler.shutdown(wait=True)
            finished.set()

        threading.Thread(target=drain, name="drain", daemon=True).start()
        clean = finished.wait(SHUTDOWN_DEADLINE_S)
        if self.http is not None:
            self.http.stop(timeout=1.0)
        if clean:
            PARSE_POOLS.close()
            self.rt.close()
            log.info("stopped")
        else:
            log.error("work in progress did not finish within %.0fs: abandoning it (its open "
                      "transaction is rolled back; the work is redone at the next start)",
                      SHUTDOWN_DEADLINE_S)
        return clean

    def run_forever(self) -> int:
        """Run until SIGTERM/SIGINT (SIGHUP reloads); exit code 0 on a clean stop."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_requested.set())
        try:
            self.start()
        except OSError as exc:
            log.error("cannot listen on %s: %s", self.rt.config.http.listen, exc.strerror or exc)
            if self.scheduler.running:
                self.scheduler.shutdown(wait=False)
            self.rt.close()
            return 1
        self.stopping.wait()
        # abandoned work, or a name lookup left running (everything else is closed by now):
        # the interpreter's exit would wait for their threads
        if not self.stop() or calls_left_behind():
            logging.shutdown()
            os._exit(0)
        return 0
