"""Storage errors the CLI reports without a traceback (kept free of heavy imports)."""


class SchemaOutdated(Exception):
    """The database schema does not match this code; the message says what to run."""
