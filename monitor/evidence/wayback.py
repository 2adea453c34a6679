"""Save Page Now (SPN2) through a rate-limited queue with its own retries.

The queue lives in ``story_checks`` (state queued → pending → done/failed), so it survives a
restart. Each pass submits due captures one at a time, ``interval`` apart (``POST /save`` with
``url``, answered ``{"url", "job_id"}``), and asks about pending jobs (``GET
/save/status/<job_id>``: ``pending``, ``success`` with ``timestamp`` and ``original_url``, or
``error`` with ``status_ext``). A 429, a 5xx, a network error or an SPN error is retried with
backoff, at most ``attempts`` times; the archive URL is ``<base>/web/<timestamp>/<url>``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp

from monitor.sources.base import parse_retry_after
from storage import Database
from storage import evidence as store

log = logging.getLogger(__name__)

STATUS_WAIT = timedelta(seconds=20)  # a pending job is asked about again after this
BACKOFF = 60.0  # seconds after the first failure, doubling
BATCH = 20  # captures handled per pass
TIMEOUT = 60.0


@dataclass(frozen=True)
class SpnSettings:
    """Where and how politely to ask (``[evidence] wayback_*``)."""

    base_url: str = "https://web.archive.org"
    key: str | None = None  # "ACCESS:SECRET"
    interval: float = 10.0
    attempts: int = 5
    user_agent: str = "ice-monitor"


class SpnError(Exception):
    """SPN refused or failed; ``retry_after`` when it said how long to wait."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class SpnClient:
    """The two SPN2 calls, on one aiohttp session."""

    def __init__(self, settings: SpnSettings, session: aiohttp.ClientSession):
        self.settings = settings
        self.session = session

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": self.settings.user_agent}
        if self.settings.key:
            headers["Authorization"] = f"LOW {self.settings.key}"
        return headers

    async def _json(self, resp: aiohttp.ClientResponse) -> dict[str, Any]:
        if resp.status == 429 or resp.status >= 500:
            wait = parse_retry_after(resp.headers.get("Retry-After"))
            raise SpnError(f"HTTP {resp.status}", wait)
        if resp.status != 200:
            raise SpnError(f"HTTP {resp.status}")
        try:
            data = await resp.json(content_type=None)
        except ValueError as exc:
            raise SpnError(f"not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise SpnError("unexpected answer")
        if data.get("status") == "error" and "job_id" not in data:
            raise SpnError(str(data.get("status_ext") or data.get("message") or "error"))
        return data

    async def submit(self, url: str) -> str:
        """Ask for a capture of ``url``; the job id."""
        async with self.session.post(f"{self.settings.base_url}/save", data={"url": url},
                                     headers=self._headers()) as resp:
            data = await self._json(resp)
        job = data.get("job_id")
        if not isinstance(job, str) or not job:
            raise SpnError(str(data.get("message") or "no job_id in the answer"))
        return job

    async def status(self, job: str) -> tuple[str, str | None]:
        """("pending" | "success" | "error", archive URL or error reason)."""
        async with self.session.get(f"{self.settings.base_url}/save/status/{job}",
                                    headers=self._headers()) as resp:
            data = await self._json(resp)
        state = data.get("status")
        if state == "success":
            stamp, original = data.get("timestamp"), data.get("original_url")
            return "success", f"{self.settings.base_url}/web/{stamp}/{original}"
        if state == "error":
            return "error", str(data.get("status_ext") or data.get("message") or "error")
        return "pending", None


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """How long to wait after ``attempts`` failures (at least what the server asked)."""
    return timedelta(seconds=max(retry_after or 0.0, BACKOFF * 2 ** max(0, attempts - 1)))


async def run_queue(db: Database, settings: SpnSettings, now: datetime,
                    session: aiohttp.ClientSession | None = None,
                    stop: Callable[[], bool] | None = None) -> dict[str, int]:
    """One pass over the due captures; counts of what happened (submitted, archived, retried,
    failed). Submissions are ``interval`` apart; status questions are not rate-limited.
    ``stop()`` true: the rest waits for the next pass."""
    counts = {"submitted": 0, "archived": 0, "retrying": 0, "failed": 0}
    with db.read() as s:
        due = [(c.story_id, c.url, c.wayback_state, c.wayback_job, c.wayback_attempts)
               for c in store.wayback_due(s, now, BATCH)]
    if not due:
        return counts
    own = session is None
    http = session or aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=TIMEOUT))
    client = SpnClient(settings, http)
    submitted = 0
    try:
        for story_id, url, state, job, attempts in due:
            if stop is not None and stop():
                break
            if state == "queued" and submitted and settings.interval > 0:
                await asyncio.sleep(settings.interval)  # the rate limit, not a test's wait
            step = await _step(client, url, state, job)
            submitted += state == "queued"
            _record(db, story_id, step, attempts, settings, now, counts)
    finally:
        if own:
            await http.close()
    return counts


async def _step(client: SpnClient, url: str, state: str | None,
                job: str | None) -> tuple[str, str | None, float | None]:
    """Submit or ask: (outcome, job id / archive URL / reason, retry-after)."""
    try:
        if state == "queued" or not job:
            return "submitted", await client.submit(url), None
        outcome, detail = await client.status(job)
        return outcome, detail, None
    except SpnError as exc:
        return "error", str(exc), exc.retry_after
    except (TimeoutError, aiohttp.ClientError) as exc:
        return "error", f"{type(exc).__name__}: {exc}"[:300], None


def _record(db: Database, story_id: int, step: tuple[str, str | None, float | None],
            attempts: int, settings: SpnSettings, now: datetime, counts: dict[str, int]) -> None:
    outcome, detail, retry_after = step
    with db.session() as s:
        if outcome == "submitted":
            counts["submitted"] += 1
            store.set_wayback(s, story_id, state="pending", job=detail,
                              next_at=now + STATUS_WAIT, error=None)
        elif outcome == "pending":
            store.set_wayback(s, story_id, next_at=now + STATUS_WAIT)
        elif outcome == "success":
            counts["archived"] += 1
            store.set_wayback(s, story_id, state="done", next_at=None, archive_url=detail,
                              error=None)
            log.info("story %d archived at %s", story_id, detail)
        elif attempts + 1 >= settings.attempts:
            counts["failed"] += 1
            store.set_wayback(s, story_id, state="failed", next_at=None, error=detail,
                              attempts=attempts + 1)
            log.warning("Wayback capture of story %d failed for good: %s", story_id, detail)
        else:
            counts["retrying"] += 1
            store.set_wayback(s, story_id, state="queued", job=None, error=detail,
                              attempts=attempts + 1,
                              next_at=now + backoff(attempts + 1, retry_after))
            log.info("Wayback capture of story %d will be retried: %s", story_id, detail)
