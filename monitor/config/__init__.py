"""The daemon's TOML config: declared once in a schema (schema.py, sections.py, subscribers.py),
read by load.py; check.py checks it together with the watchlists, each problem at file:line.

Names are loaded on first use: the parse workers import ``monitor.config.watchlists`` alone,
and the rest of the config (APScheduler for digest schedules, apprise checks…) would cost
each of them memory they never use."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.config.load import (
        DEFAULT_CONFIG,
        NO_CONFIG,
        TABLES,
        check_config,
        load_config,
        resolve_config_path,
        resolve_storage_url,
    )
    from monitor.config.schema import expand_env
    from monitor.config.sections import (
        DEFAULT_BACKLOG,
        DEFAULT_INTERVAL,
        Config,
        DeliveryConfig,
        FeedConfig,
        HttpConfig,
        PollingConfig,
    )

_EXPORTS = {
    **dict.fromkeys(["DEFAULT_CONFIG", "NO_CONFIG", "TABLES", "check_config", "load_config",
                     "resolve_config_path", "resolve_storage_url"], "monitor.config.load"),
    "expand_env": "monitor.config.schema",
    **dict.fromkeys(["DEFAULT_BACKLOG", "DEFAULT_INTERVAL", "Config", "DeliveryConfig",
                     "FeedConfig", "HttpConfig", "PollingConfig"], "monitor.config.sections"),
}

__all__ = [
    "DEFAULT_BACKLOG", "DEFAULT_CONFIG", "DEFAULT_INTERVAL", "NO_CONFIG", "TABLES", "Config",
    "DeliveryConfig", "FeedConfig", "HttpConfig", "PollingConfig", "check_config",
    "expand_env", "load_config", "resolve_config_path", "resolve_storage_url",
]


def __getattr__(name: str) -> Any:
    """Import the module that defines ``name`` when it is first asked for."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'monitor.config' has no attribute {name!r}")
