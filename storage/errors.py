"""The service's error root, and storage's own errors (kept free of heavy imports).

``MonitorError`` lives here, the lowest package, because ``storage`` and ``notifiers`` may not
import ``monitor``; ``monitor.errors`` re-exports it and names the boundaries that never raise.
"""


class MonitorError(Exception):
    """Every error this service raises on purpose; the CLI reports it without a traceback."""


class StorageError(MonitorError):
    """The database cannot serve this code as it is."""


class SchemaOutdated(StorageError):
    """The database schema does not match this code; the message says what to run."""
