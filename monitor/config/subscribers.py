"""Validate a subscriber's routing and pacing keys (mode, schedule, quiet hours …)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from monitor.config.problems import did_you_mean
from notifiers.channels import QuietHours

SUBSCRIBER_KEYS = {"mode", "schedule", "timezone", "entities", "min_score", "quiet_hours",
                   "max_per_hour"}
MODES = ("immediate", "digest")
DEFAULT_MAX_PER_HOUR = 20


_CRON_DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]


def _cron_day(token: str) -> int:
    token = token.lower()
    if token in _CRON_DAYS:
        return _CRON_DAYS.index(token)
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token) % 7
    raise ValueError(f"bad day of week {token!r} (0-7 or sun-sat)")


def cron_weekdays(field: str) -> str:
    """A crontab day-of-week field (0 or 7 = Sunday) as APScheduler day names.

    APScheduler 3's ``from_crontab`` counts 0 as Monday (agronholm/apscheduler#286), so
    "1-5" would run Tuesday to Saturday; spelling the days out avoids that.
    """
    if field in ("*", "?"):
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        span, _, step_text = part.partition("/")
        step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else None
        if step_text and step is None:
            raise ValueError(f"bad step in day of week {part!r}")
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            a, b = span.split("-", 1)
            first, last = _cron_day(a), _cron_day(b)
            last = 7 if b.strip() == "7" else last
            if last < first:
                raise ValueError(f"day-of-week range runs backwards: {span!r}")
        else:
            first = last = _cron_day(span)
        days.update(d % 7 for d in range(first, last + 1, step or 1))
    return ",".join(_CRON_DAYS[d] for d in sorted(days))


def cron_trigger(schedule: str, timezone: str) -> CronTrigger:
    """The trigger for a five-field crontab line in an IANA zone (0 = Sunday); ValueError if bad."""
    fields = schedule.split()
    if len(fields) != 5:
        raise ValueError(f"expected 5 fields, got {len(fields)}")
    minute, hour, day, month, weekday = fields
    return CronTrigger(minute=minute, hour=hour, day=day, month=month,
                       day_of_week=cron_weekdays(weekday), timezone=ZoneInfo(timezone))


def _zone(c, sub: dict[str, Any], line: int) -> str:
    tz = c.string(sub, "timezone", line, "UTC") or "UTC"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        c.error(c.lines.key("timezone", line), f"timezone {tz!r} is not an IANA time zone name "
                                                "(e.g. \"America/New_York\")")
        return "UTC"
    return tz


def _names(c, sub: dict[str, Any], line: int, known: set[str] | None, name: str):
    entities = sub.get("entities")
    if entities is None:
        return None
    where = c.lines.key("entities", line)
    if not isinstance(entities, list) or not all(isinstance(e, str) for e in entities):
        c.error(where, "entities must be a list of entity names")
        return None
    for entity in entities:
        if known is not None and entity not in known:
            c.error(where, f"subscriber {name!r} names unknown entity {entity!r}"
                           f"{did_you_mean(entity, known)}")
    return tuple(entities)


def parse_subscriber_options(c, sub: dict[str, Any], line: int, name: str,
                             known_entities: set[str] | None) -> dict[str, Any]:
    """Keyword arguments for ``Recipient`` beyond name, channels and watchlists."""
    options: dict[str, Any] = {"timezone": _zone(c, sub, line)}
    mode = c.string(sub, "mode", line, "immediate")
    if mode not in MODES:
        c.error(c.lines.key("mode", line),
                f"mode must be \"immediate\" or \"digest\", got {mode!r}")
        mode = "immediate"
    options["mode"] = mode
    schedule = c.string(sub, "schedule", line)
    if mode == "digest" and not schedule:
        c.error(c.lines.key("mode", line),
                f"subscriber {name!r} has mode = \"digest\" but no schedule (e.g. \"0 8 * * 1-5\")")
    elif schedule and mode != "digest":
        c.error(c.lines.key("schedule", line), "schedule is only used with mode = \"digest\"")
    elif schedule:
        try:
            cron_trigger(schedule, options["timezone"])
        except ValueError as exc:
            c.error(c.lines.key("schedule", line),
                    f"schedule {schedule!r} is not a valid cron line "
                    f"(minute hour day month weekday): {exc}")
            schedule = None
    options["schedule"] = schedule
    options["entities"] = _names(c, sub, line, known_entities, name)
    if "min_score" in sub:
        score = sub["min_score"]
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
            c.error(c.lines.key("min_score", line), "min_score must be a number from 0 to 1")
        else:
            options["min_score"] = float(score)
    quiet = c.string(sub, "quiet_hours", line)
    if quiet:
        try:
            options["quiet_hours"] = QuietHours.parse(quiet)
        except ValueError as exc:
            c.error(c.lines.key("quiet_hours", line), f"quiet_hours: {exc}")
    options["max_per_hour"] = c.integer(sub, "max_per_hour", line, DEFAULT_MAX_PER_HOUR)
    return options
