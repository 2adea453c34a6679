"""``[[subscribers]]``: who is alerted, through which channels, routed and paced how; each key
declared once as a field of SubscriberConfig, which becomes the delivery layer's Recipient."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.config.problems import did_you_mean
from monitor.config.schedule import cron_trigger
from monitor.config.schema import Refused, Spot, expand_env, key, positive_int, string
from monitor.query import Query, QueryError
from notifiers.channels import Channel, QuietHours, Recipient, channel_id
from notifiers.urls import notify_url_problem

MODES = ("immediate", "digest")
DEFAULT_MAX_PER_HOUR = 20


def subscriber_name(value: Any, spot: Spot) -> str | None:
    """The subscriber's name; a repeated one is reported (the entry is still read)."""
    name = string(value, spot)
    if name and spot.earlier.has("name", name):
        spot.error(f"duplicate subscriber name {name!r}")
    return name


def notify_urls(value: Any, spot: Spot) -> tuple[Channel, ...]:
    """Apprise URLs, ``${VAR}`` expanded; one whose variable is unset is disabled with a warning."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(u, str) for u in value):
        raise Refused("notify must be a list of apprise URLs")
    name = spot.row["name"]
    channels: list[Channel] = []
    for n, template in enumerate(value, 1):
        url, missing = expand_env(template)
        if missing:
            spot.warn(f"subscriber {name!r} notify #{n} is disabled: environment "
                      f"variable(s) {', '.join(missing)} not set")
        elif reason := notify_url_problem(url):
            spot.error(f"subscriber {name!r} notify #{n}: {reason}")
        else:
            channels.append(Channel(id=channel_id(template), url=url))
    return tuple(channels)


def channel_urls(channels: tuple[Channel, ...]) -> list[str]:
    """For ``secret``: every notify URL holds tokens."""
    return [c.url for c in channels]


def _names(value: Any, spot: Spot, what: str, known: set[str] | None) -> tuple[str, ...] | None:
    """A list of watchlist or entity names, each one known (when ``known`` is given)."""
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Refused(f"{spot.name} must be a list of {what} names")
    if known is not None:
        for name in value:
            if name not in known:
                spot.error(f"subscriber {spot.row['name']!r} names unknown {what} {name!r}"
                           f"{did_you_mean(name, known)}")
    return tuple(value)


def watchlist_names(value: Any, spot: Spot) -> tuple[str, ...] | None:
    """Routing: the watchlists followed; None: all."""
    return _names(value, spot, "watchlist", spot.reader.known_watchlists)


def entity_names(value: Any, spot: Spot) -> tuple[str, ...] | None:
    """Routing: the entities followed within them; None: all."""
    return _names(value, spot, "entity", spot.reader.known_entities)


def zone(value: Any, spot: Spot) -> str:
    """An IANA time zone name."""
    tz = string(value, spot) or spot.default
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise Refused(f"timezone {tz!r} is not an IANA time zone name "
                      "(e.g. \"America/New_York\")") from None
    return tz


def delivery_mode(value: Any, spot: Spot) -> str:
    """One message per story, or digests on a schedule."""
    given = string(value, spot)
    if given not in MODES:
        raise Refused(f"mode must be \"immediate\" or \"digest\", got {given!r}")
    return given


def cron_line(value: Any, spot: Spot) -> str | None:
    """A crontab line in the subscriber's time zone, needed by (and only by) digests."""
    try:
        cron = string(value, spot)
    except Refused as exc:  # reported, and a digest without a usable schedule is reported too
        spot.error(str(exc))
        cron = None
    digest = spot.row["mode"] == "digest"
    if digest and not cron:
        spot.reader.error(spot.line_of("mode"),
                          f"subscriber {spot.row['name']!r} has mode = \"digest\" but no schedule "
                          "(e.g. \"0 8 * * 1-5\")")
    elif cron and not digest:
        raise Refused("schedule is only used with mode = \"digest\"")
    elif cron:
        try:
            cron_trigger(cron, spot.row["timezone"])
        except ValueError as exc:
            raise Refused(f"schedule {cron!r} is not a valid cron line "
                          f"(minute hour day month weekday): {exc}") from None
    return cron


def score_floor(value: Any, spot: Spot) -> float | None:
    """Routing: the lowest match score alerted, 0 to 1."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise Refused("min_score must be a number from 0 to 1")
    return float(value)


def quiet_window(value: Any, spot: Spot) -> QuietHours | None:
    """A daily window ("22:00-07:00") when immediate alerts are held."""
    window = string(value, spot)
    if not window:
        return None
    try:
        return QuietHours.parse(window)
    except ValueError as exc:
        raise Refused(f"quiet_hours: {exc}") from None


def flag(value: Any, spot: Spot) -> bool:
    """``true`` or ``false``."""
    if value is None:
        return bool(spot.default)
    if not isinstance(value, bool):
        raise Refused(f"{spot.name} must be true or false, got {value!r}")
    return value


def language_codes(value: Any, spot: Spot) -> tuple[str, ...] | None:
    """Routing: ISO 639-1 codes of the languages followed (``["en", "es"]``); None: all."""
    if value is None:
        return None
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise Refused('languages must be a non-empty list of ISO 639-1 codes, e.g. ["en", "es"]')
    from monitor.language import known_languages

    known = known_languages()
    for code in value:
        if code not in known:
            spot.error(f"subscriber {spot.row['name']!r} languages: {code!r} is not a language "
                       f"code the detector knows (ISO 639-1, lower case, e.g. \"en\", \"es\")"
                       f"{did_you_mean(code.lower(), known)}")
    return tuple(value)


def story_query(value: Any, spot: Spot) -> Query | None:
    """A boolean query the story must satisfy (monitor.query); errors name their column."""
    text = string(value, spot)
    if text is None:
        return None
    names = (spot.reader.known_watchlists or set()) | (spot.reader.known_entities or set())
    try:
        return Query(text, names)
    except QueryError as exc:
        raise Refused(f"subscriber {spot.row['name']!r} query {text!r}: {exc}") from None


@dataclass(frozen=True)
class SubscriberConfig:
    """One ``[[subscribers]]`` entry; keys are read in this order (a key may use earlier ones)."""

    name: str = key(subscriber_name, required=True)
    notify: tuple[Channel, ...] = key(notify_urls, (), secret=channel_urls)
    watchlists: tuple[str, ...] | None = key(watchlist_names, None)
    timezone: str = key(zone, "UTC")
    mode: str = key(delivery_mode, "immediate")
    schedule: str | None = key(cron_line, None)
    entities: tuple[str, ...] | None = key(entity_names, None)
    min_score: float | None = key(score_floor, None)
    quiet_hours: QuietHours | None = key(quiet_window, None)
    max_per_hour: int = key(positive_int, DEFAULT_MAX_PER_HOUR)
    spikes: bool = key(flag, False)  # also alerted once per burst of its entities' stories
    languages: tuple[str, ...] | None = key(language_codes, None)
    query: Query | None = key(story_query, None)
    changes: bool = key(flag, False)  # also alert when a story's page is edited or removed

    def recipient(self) -> Recipient:
        """The subscriber as the delivery layer sees it."""
        return Recipient(name=self.name, channels=self.notify, watchlists=self.watchlists,
                         entities=self.entities, min_score=self.min_score, mode=self.mode,
                         schedule=self.schedule, timezone=self.timezone,
                         quiet_hours=self.quiet_hours, max_per_hour=self.max_per_hour,
                         spikes=self.spikes, languages=self.languages, query=self.query,
                         changes=self.changes)
