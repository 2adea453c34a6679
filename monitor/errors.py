"""Errors rooted in one ``MonitorError``, and the boundaries where an error must stop.

A boundary catches every exception of the unit of work it guards, records it with that unit
and lets the rest go on: one feed, one entry, one delivery, one request never stop the others.
``BOUNDARIES`` is the one list of them; tests/unit/test_boundaries.py checks that each named
function exists and holds its handler, that its proof test exists, and that no other function
swallows every exception.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.errors import MonitorError, SchemaOutdated, StorageError

__all__ = ["BOUNDARIES", "Boundary", "MonitorError", "SchemaOutdated", "StorageError"]


@dataclass(frozen=True)
class Boundary:
    """One unit of work that fails alone: where its handler is and what a failure becomes."""

    unit: str
    where: str
    """``module:qualname`` of the function holding the handler (nested names joined by dots)."""
    outcome: str
    proof: str | None
    """``path::test`` of a test that feeds the unit a hostile input and sees it fail alone
    (None: no such test yet)."""


_HOSTILE = "tests/integration/test_hostile_entries.py"
_POOL = "tests/unit/pipeline/test_parse_pool.py"
_DAEMON = "tests/integration/test_daemon.py"
_FAULTS = "tests/integration/test_faults.py"
_HERE = "tests/unit/test_boundaries.py"

_PAGES = "tests/unit/pages/test_page_step.py"

BOUNDARIES: tuple[Boundary, ...] = (
    Boundary("reading one article page", "monitor.pages.stage:_read_one",
             "the page recorded as unreadable, the others read",
             f"{_PAGES}::test_a_page_that_cannot_be_read_fails_alone"),
    Boundary("the page step of a cycle", "monitor.pages.stage:run_page_step",
             "logged; the claimed pages fall due again",
             f"{_PAGES}::test_a_failing_page_step_leaves_the_stories_stored"),
    Boundary("the markup of one field", "monitor.text:html_to_text",
             "tags cut by a regex instead", f"{_HERE}::test_markup_the_parser_refuses_is_text"),
    Boundary("one HTTP request", "monitor.pipeline.fetch:fetch_one",
             "FetchResult.error", f"{_HERE}::test_a_refused_request_is_a_result_not_an_error"),
    Boundary("one source's paging", "monitor.pipeline.fetch:_next_request",
             "FetchResult.error: the poll fails, the cycle goes on",
             "tests/unit/pipeline/test_paging_faults.py::test_a_source_whose_paging_fails_fails_alone"),
    Boundary("parsing one feed", "monitor.sources.feed.parser:parse_feed",
             "Parsed.error", f"{_HERE}::test_a_hostile_document_is_a_parse_error"),
    Boundary("one entry of a feed", "monitor.sources.feed.parser:_read_entries",
             "the entry skipped and counted (Parsed.skipped)", None),
    Boundary("parsing one feed in the cycle", "monitor.pipeline.cycle:_poll_all.parse",
             "the feed's error, the cycle goes on",
             f"{_POOL}::test_a_worker_killed_between_cycles_costs_no_feed"),
    Boundary("storing a batch of feeds", "monitor.pipeline.storequeue:store_many",
             "one transaction per feed instead",
             "tests/unit/pipeline/test_store_batches.py::test_a_feed_that_cannot_be_stored_fails_alone"),
    Boundary("storing one feed", "monitor.pipeline.storequeue:store_one",
             "the feed's error, recorded on its row",
             "tests/unit/pipeline/test_store_batches.py::test_a_feed_that_cannot_be_stored_fails_alone"),
    Boundary("storing one entry", "monitor.pipeline.store:store_feeds",
             "the entry skipped and counted",
             f"{_HOSTILE}::test_an_entry_that_cannot_be_stored_is_skipped_and_counted"),
    Boundary("the fork server's matcher", "monitor.pipeline.matcherhost:_build",
             "no shared matcher: the workers report a broken pool",
             f"{_POOL}::test_one_matcher_build_per_version_whatever_the_worker_count"),
    Boundary("starting the parse pool", "monitor.pipeline.pool:SharedPool.get",
             "no pool: the daemon parses and matches itself",
             f"{_POOL}::test_pool_that_cannot_start_leaves_parsing_and_matching_to_the_daemon"),
    Boundary("re-forking idle parse workers", "monitor.pipeline.pool:_refork",
             "a new fork server and matcher build for the version",
             f"{_POOL}::test_idle_workers_end_and_come_back_from_the_same_fork_server"),
    Boundary("one story of `monitor match`", "monitor.cli.match:_process",
             "an output line with an error", f"{_HERE}::test_one_bad_story_keeps_the_stream"),
    Boundary("one input line of `monitor match`", "monitor.cli.match:match_stream",
             "an output line with an error", f"{_HERE}::test_one_bad_story_keeps_the_stream"),
    Boundary("one poll cycle of the daemon", "monitor.service.daemon:Daemon._poll",
             "logged; the next tick polls again",
             f"{_FAULTS}::test_healthz_fails_within_a_cycle_and_recovers_when_sqlite_is_unwritable"),
    Boundary("one delivery tick", "monitor.service.daemon:Daemon._deliver",
             "logged; retried on the next tick",
             f"{_DAEMON}::test_secrets_never_reach_the_log_even_when_delivery_fails"),
    Boundary("a reload", "monitor.service.daemon:Daemon.reload",
             "the old config kept, the error logged and answered",
             f"{_DAEMON}::test_live_reload_by_signal_file_change_and_http"),
    Boundary("the daemon's health check", "monitor.service.daemon:Daemon.health",
             "unhealthy, naming the job and error type",
             f"{_FAULTS}::test_healthz_names_the_failing_job_and_error_type_but_not_its_text"),
    Boundary("one digest run", "monitor.service.daemon:Daemon._digest",
             "logged; the next fire time tries again", None),
    Boundary("one evidence pass", "monitor.service.daemon:Daemon._evidence",
             "logged, /healthz names it; the next tick tries again",
             "tests/unit/evidence/test_daemon_tick.py::test_a_failing_evidence_pass_is_logged_and_the_next_tick_recovers"),
    Boundary("one retention prune", "monitor.service.daemon:Daemon._prune",
             "logged; tried again tomorrow", None),
    Boundary("`monitor health`", "monitor.service.health:check_health",
             "unhealthy: storage does not answer",
             f"{_HERE}::test_health_of_an_unreachable_database_is_an_answer"),
    Boundary("one metrics scrape", "monitor.service.metrics:StorageCollector.collect",
             "the scrape answers without storage gauges",
             f"{_HERE}::test_a_scrape_answers_when_storage_does_not"),
    Boundary("composing one delivery", "notifiers.outbox:Outbox.send_batch",
             "the batch retried later, the error logged",
             "tests/unit/notifiers/test_delivery.py::test_http_error_is_retried_then_failed_and_kept"),
    Boundary("spike detection after a cycle", "monitor.trends.run:after_cycle",
             "logged; the next cycle judges the same stories again",
             "tests/unit/trends/test_spikes.py::test_spike_detection_that_fails_costs_the_cycle_nothing"),
    Boundary("one channel send", "notifiers.sender:send",
             "a log-safe reason string", f"{_HERE}::test_a_send_to_a_closed_port_is_a_reason"),
    Boundary("describing one channel", "notifiers.sender:_masked",
             "the whole URL treated as secret", None),
)
