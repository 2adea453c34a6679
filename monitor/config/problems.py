"""Problems found in user files, reported as ``file:line: message`` like a compiler."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from storage.errors import MonitorError


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a user's file; ``line`` is 1-based, 0 when unknown."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


class InvalidFiles(MonitorError):
    """Raised when config or watchlists are invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def as_given(config_path: Path, path: Path) -> Path:
    """``path`` as the user wrote it: beside the config path they gave, when it lies there."""
    try:
        return config_path.parent / path.relative_to(config_path.resolve().parent)
    except ValueError:
        return path


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known key, so a typo points at its fix; else ""."""
    close = difflib.get_close_matches(word, sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def toml_syntax_problem(path: Path | str, exc: Exception) -> Problem:
    """Turn a ``tomllib.TOMLDecodeError`` into a Problem, keeping its line number."""
    text = str(exc)
    m = re.search(r"line (\d+)", text)
    line = int(m.group(1)) if m else 0
    message = re.sub(r"\s*\(at line \d+, column \d+\)", "", text) or "invalid TOML"
    return Problem(str(path), line, f"TOML syntax: {message}")


_HEADER = re.compile(r"^\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")


class LineFinder:
    """Find the line where a key or array-of-tables entry sits in a TOML source.

    tomllib drops positions, so semantic errors are located by scanning the text.
    """

    def __init__(self, text: str):
        self.lines = text.splitlines()
        self._headers: dict[str, list[int]] | None = None

    def table(self, header: str, index: int = 0) -> int:
        """Line of the ``index``-th ``[header]`` or ``[[header]]`` line, 0 if absent."""
        if self._headers is None:  # one scan, however many [[feeds]] a config has
            self._headers = {}
            for no, line in enumerate(self.lines, 1):
                if m := _HEADER.match(line):
                    self._headers.setdefault(m.group(1), []).append(no)
        found = self._headers.get(header, [])
        return found[index] if index < len(found) else 0

    def key(self, key: str, start: int = 0) -> int:
        """Line of ``key = ...`` at/after line ``start`` in the same table, else ``start``."""
        pat = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
        begin = max(start, 1)
        for no in range(begin, len(self.lines) + 1):
            line = self.lines[no - 1]
            if no > begin and re.match(r"^\s*\[", line):
                break
            if pat.match(line):
                return no
        return start


class Reader:
    """Collects the problems and warnings found in one TOML file, each at its line: the one
    checker that config and watchlists share."""

    def __init__(self, path: Path | str, text: str):
        self.file = str(path)
        self.lines = LineFinder(text)
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def error(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.file, line, message))

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(Problem(self.file, line, f"warning: {message}"))

    def unknown_keys(self, table: dict[str, Any], allowed: Iterable[str], line: int,
                     message: Callable[[str, str], str]) -> None:
        """Refuse each key of ``table`` not in ``allowed``, at its line; ``message(key, hint)``
        words it, ``hint`` naming the closest allowed key."""
        known = set(allowed)
        for key in sorted(set(table) - known):
            self.error(self.lines.key(key, line), message(key, did_you_mean(key, known)))


def read_toml(path: Path, what: str, missing: str | None = None) -> tuple[str, dict] | Problem:
    """The file's text and table, or the Problem that says why it cannot be read: ``missing``
    when it does not exist (if given), else "cannot read {what}", or its TOML syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        return Problem(str(path), 0, missing or f"cannot read {what}: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        return Problem(str(path), 0, f"cannot read {what}: {exc}")
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return toml_syntax_problem(path, exc)
