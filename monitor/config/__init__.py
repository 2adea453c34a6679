"""The daemon's TOML config: declared once in a schema (schema.py, sections.py, subscribers.py),
read by load.py; check.py checks it together with the watchlists, each problem at file:line."""

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

__all__ = [
    "DEFAULT_BACKLOG", "DEFAULT_CONFIG", "DEFAULT_INTERVAL", "NO_CONFIG", "TABLES", "Config",
    "DeliveryConfig", "FeedConfig", "HttpConfig", "PollingConfig", "check_config",
    "expand_env", "load_config", "resolve_config_path", "resolve_storage_url",
]
