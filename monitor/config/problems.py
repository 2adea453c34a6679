"""Problems found in user files, reported as ``file:line: message`` like a compiler."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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
