"""The daemon's digest schedule: a crontab line (0 = Sunday) as an APScheduler trigger."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger

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
