"""The config schema: every key is declared once, as a dataclass field whose metadata says how
its TOML value is read and checked and whether it holds a secret; loader and check read it."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from monitor.config.durations import parse_duration
from monitor.config.problems import Reader
from storage.errors import MonitorError

_SCHEMA = "monitor.config.key"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Refused(MonitorError, ValueError):
    """A key's value cannot be used: the message is reported at the key's line and the key
    takes its default."""


class Dropped(MonitorError, ValueError):
    """An entry of an array of tables cannot be used at all (a bad or repeated feed URL): the
    message is reported at the key's line and the entry is left out."""


class ConfigReader(Reader):
    """A Reader for the config file; also knows the file's folder, the watchlist and entity
    names subscribers may name (None: not checked), and gathers every secret value read."""

    def __init__(self, path: Path, text: str, known_watchlists: set[str] | None = None,
                 known_entities: set[str] | None = None):
        super().__init__(path, text)
        self.path = path
        self.base = path.resolve().parent
        self.known_watchlists = known_watchlists
        self.known_entities = known_entities
        self.secrets: list[str] = []


class Earlier:
    """The entries of an array of tables accepted so far, so that a key can refuse a value an
    earlier entry has (a repeated feed URL) without rescanning them all."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._index: dict[str, set[Any]] = {}

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        for name, values in self._index.items():
            values.add(row[name])

    def has(self, name: str, value: Any) -> bool:
        if name not in self._index:
            self._index[name] = {row[name] for row in self.rows}
        return value in self._index[name]


class Spot:
    """The key being read: its name, default and line, and the values already read from its
    table (a key may depend on an earlier one) and from earlier entries of an array."""

    def __init__(self, reader: ConfigReader, name: str, table_line: int, default: Any,
                 row: Mapping[str, Any], earlier: Earlier):
        self.reader = reader
        self.name = name
        self.table_line = table_line
        self.default = default
        self.row = row
        self.earlier = earlier

    @cached_property
    def line(self) -> int:
        """The key's line, or its table's when the key is absent."""
        return self.line_of(self.name)

    def line_of(self, name: str) -> int:
        return self.reader.lines.key(name, self.table_line)

    def error(self, message: str) -> None:
        self.reader.error(self.line, message)

    def warn(self, message: str) -> None:
        self.reader.warn(self.line, message)


Kind = Callable[[Any, Spot], Any]
"""Reads one key: gets its TOML value (the default when absent), returns the typed value or
raises Refused/Dropped; it may also report further problems through the Spot."""


@dataclass(frozen=True)
class Key:
    """How a key is read (``kind``), whether its table entry needs it, and which strings of its
    value the logs must redact (``secret``)."""

    kind: Kind
    required: bool = False
    secret: Callable[[Any], Iterable[str]] | None = None


def key(kind: Kind, default: Any = MISSING, *, required: bool = False,
        secret: Callable[[Any], Iterable[str]] | None = None) -> Any:
    """A dataclass field declaring one config key: its name is the field's, its default the
    field's default (what an absent key is read as)."""
    return field(default=default, metadata={_SCHEMA: Key(kind, required, secret)})


@cache
def schema_fields(schema: type) -> tuple[Field, ...]:
    """The fields of a section dataclass that are config keys, in reading order."""
    return tuple(f for f in fields(schema) if _SCHEMA in f.metadata)


def declared_keys(schema: type) -> dict[str, Key]:
    """A section's keys by name, as declared."""
    return {f.name: f.metadata[_SCHEMA] for f in schema_fields(schema)}


def key_names(schema: type) -> list[str]:
    """The keys a section accepts: anything else in its table is refused."""
    return list(declared_keys(schema))


@dataclass(frozen=True)
class Table:
    """A top-level config table and the dataclass declaring its keys; ``noun`` is set for an
    array of tables (``[[feeds]]``): its entries are read one by one."""

    name: str
    schema: type
    noun: str = ""
    array_hint: str = ""  # ends "'feeds' must be an array of tables"

    @property
    def where(self) -> str:
        return f"[[{self.name}]]" if self.noun else f"[{self.name}]"

    def read(self, reader: ConfigReader, raw: dict[str, Any]) -> Any:
        """The section, every key checked (defaults for absent or refused ones)."""
        line = reader.lines.table(self.name)
        table = raw.get(self.name, {})
        if not isinstance(table, dict):
            reader.error(reader.lines.key(self.name), f"{self.name!r} must be a table")
            table = {}
        return self.schema(**(read_keys(reader, self, table, line, Earlier()) or {}))

    def read_all(self, reader: ConfigReader, raw: dict[str, Any],
                 defaults: Mapping[str, Any] | None = None) -> list[Any]:
        """Each usable entry of an array of tables; ``defaults`` overrides declared ones."""
        entries = raw.get(self.name, [])
        if not isinstance(entries, list):
            reader.error(reader.lines.key(self.name),
                         f"{self.name!r} must be an array of tables{self.array_hint}")
            return []
        accepted = Earlier()
        for index, entry in enumerate(entries):
            line = reader.lines.table(self.name, index)
            if not isinstance(entry, dict):
                reader.error(line, f"each {self.noun} must be a table")
                continue
            row = read_keys(reader, self, entry, line, accepted, defaults)
            if row is not None:
                accepted.add(row)
        return [self.schema(**row) for row in accepted.rows]


def read_keys(reader: ConfigReader, table: Table, values: dict[str, Any], line: int,
              earlier: Earlier, defaults: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """Every declared key of ``table`` read from ``values`` in order, unknown keys refused;
    None when the entry is dropped (a required key missing, or a kind said so)."""
    reader.unknown_keys(values, key_names(table.schema), line,
                        lambda name, hint: f"unknown key {name!r} in {table.where}{hint}")
    row: dict[str, Any] = {}
    for f in schema_fields(table.schema):
        declared: Key = f.metadata[_SCHEMA]
        default = (defaults or {}).get(f.name, None if f.default is MISSING else f.default)
        spot = Spot(reader, f.name, line, default, row, earlier)
        try:
            value = declared.kind(values.get(f.name, default), spot)
        except Refused as exc:
            spot.error(str(exc))
            value = default
        except Dropped as exc:
            spot.error(str(exc))
            return None
        if declared.required and not value:
            reader.error(line, f"{table.noun} is missing {f.name!r}")
            return None
        if declared.secret and value:
            reader.secrets.extend(declared.secret(value))
        row[f.name] = value
    return row


def expand_env(value: str) -> tuple[str, list[str]]:
    """Expand ``${VAR}`` references; return the result and the names that are unset."""
    missing: list[str] = []

    def repl(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in os.environ:
            missing.append(name)
            return m.group(0)
        return os.environ[name]

    return _ENV_REF.sub(repl, value), missing


def string(value: Any, spot: Spot) -> Any:
    """A string, or None when absent without a default."""
    if value is not None and not isinstance(value, str):
        raise Refused(f"{spot.name} must be a string")
    return value


def positive_int(value: Any, spot: Spot) -> Any:
    """An integer of at least 1 (booleans are not numbers here)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise Refused(f"{spot.name} must be a positive integer")
    return value


def duration(value: Any, spot: Spot) -> float | None:
    """Seconds from ``90``, ``"90s"``, ``"10m"``, ``"1h"`` or ``"1d"``."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise Refused(f"{spot.name}: {exc}") from None


def duration_or_off(value: Any, spot: Spot) -> float | None:
    """A duration, or None for ``"off"`` in any case."""
    if isinstance(value, str) and value.lower() == "off":
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise Refused(f'{spot.name}: {exc}, or "off"') from None


def verbatim(value: str) -> list[str]:
    """For ``secret``: the whole value is the secret."""
    return [value]
