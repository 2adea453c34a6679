"""The monitor daemon: config, scheduling, fetching, parsing, matching, CLI."""

__version__ = "0.1.0"
