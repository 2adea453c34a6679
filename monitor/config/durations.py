"""Human durations in config files: ``90``, ``"90s"``, ``"10m"``, ``"1h"``, ``"1d"``."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")


def parse_duration(value: object) -> float:
    """Seconds in ``value``; raises ValueError with a readable reason otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration like 90, \"90s\", \"10m\" or \"1h\", got {value!r}")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _PATTERN.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    else:
        raise ValueError(f"expected a duration like 90, \"90s\", \"10m\" or \"1h\", got {value!r}")
    if seconds <= 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return seconds
