"""What a polling cycle did, counted by its stages; ``poll-once --json`` prints it."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class CycleStats:
    """What a cycle did; ``poll-once --json`` prints this."""

    feeds_polled: int = 0
    feeds_failed: int = 0
    feeds_not_modified: int = 0
    feeds_fast_parsed: int = 0  # parsed by the lxml fast path, not feedparser
    entries: int = 0
    entries_skipped: int = 0  # unreadable or unstorable entries (their feeds were kept)
    entries_sharing_guid: int = 0  # distinct entries that shared a GUID, kept apart
    new_stories: int = 0
    backlog_not_alerted: int = 0  # stories with hits older than [polling] backlog, first poll
    hits: int = 0
    deliveries_queued: int = 0
    notifications_sent: int = 0
    notifications_failed: int = 0
    spikes: int = 0  # new bursts of stories about an entity (monitor.trends)
    duration_s: float = 0.0
    pages_read: int = 0  # article pages fetched and extracted (monitor.pages)
    pages_failed: int = 0  # not fetched or read this time (retried later unless for good)
    pages_deferred: int = 0  # claimed but not reached before the step's deadline: due again

    def as_dict(self) -> dict:
        return asdict(self)
