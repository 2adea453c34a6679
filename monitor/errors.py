"""Errors rooted in one ``MonitorError``, and the boundaries where an error must stop.

A boundary catches every exception of the unit of work it guards, records it with that unit
and lets the rest go on: one feed, one entry, one delivery, one request never stop the others.
"""

from storage.errors import MonitorError, SchemaOutdated, StorageError

__all__ = ["MonitorError", "SchemaOutdated", "StorageError"]
