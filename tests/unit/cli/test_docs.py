"""README's "Command line" table names every command and option the parser has, and no other
command (as sqlite-utils' tests/test_docs.py does for its docs)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from monitor.cli import build_parser

README = Path(__file__).resolve().parents[3] / "README.md"
CODE_RE = re.compile(r"`(monitor(?: [^`]*)?)`")
OPTION_RE = re.compile(r"--[a-z][a-z-]*")
WORD_RE = re.compile(r"[a-z][a-z-]*")

Command = tuple[str, ...]


def command_table(readme: str) -> list[str]:
    """The rows of the table under "## Command line" (up to the first line that is not one)."""
    section = readme.split("\n## Command line\n", 1)[1]
    rows: list[str] = []
    for line in section.lstrip("\n").splitlines():
        if not line.startswith("|"):
            break
        rows.append(line)
    return rows[2:]  # after the header and its --- line


def documented(rows: list[str]) -> dict[Command, set[str]]:
    """Each command a row's first cell shows (``monitor deliveries retry ID…``) with the
    options shown beside it; a cell may show several (``… / `monitor feeds export-opml```)."""
    found: dict[Command, set[str]] = {}
    for row in rows:
        first_cell = re.split(r"(?<!\\)\|", row)[1]
        for usage in CODE_RE.findall(first_cell):
            words = usage.split()[1:]
            path: list[str] = []
            for word in words:
                if not WORD_RE.fullmatch(word):
                    break
                path.append(word)
            found.setdefault(tuple(path), set()).update(OPTION_RE.findall(usage))
    return found


def _sub_commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser | None]:
    """A parser's sub-commands: its sub-parsers, and the choices of a positional that names an
    action (``feeds import-opml``), which have no parser of their own (None)."""
    found: dict[str, argparse.ArgumentParser | None] = {}
    for action in parser._actions:
        if isinstance(action.choices, dict):
            found.update(action.choices)
        elif not action.option_strings and action.choices:
            found.update(dict.fromkeys(action.choices))
    return found


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings
            if s.startswith("--") and s != "--help"}


def _walk(parser: argparse.ArgumentParser, path: Command) -> dict[Command, set[str]]:
    tree = {path: _options(parser)}
    for name, sub in _sub_commands(parser).items():
        tree.update(_walk(sub, (*path, name)) if sub else {(*path, name): set()})
    return tree


def command_tree(parser: argparse.ArgumentParser) -> dict[Command, set[str]]:
    """Every command path with its options; the root's options (``--config``…), which every
    sub-command also accepts, are counted once, on the root."""
    tree = _walk(parser, ())
    shared = tree[()]
    return {cmd: opts if not cmd else opts - shared for cmd, opts in tree.items()}


def missing(tree: dict[Command, set[str]], docs: dict[Command, set[str]]) -> list[str]:
    """What the table lacks: commands, and options not shown on the command's row or on a row of
    one of its sub-commands (``--output`` is on ``feeds export-opml``'s)."""
    problems = []
    for cmd, options in tree.items():
        rows = [opts for doc, opts in docs.items() if doc[:len(cmd)] == cmd]
        if not rows:
            problems.append(" ".join(("monitor", *cmd)))
        shown = set().union(*rows)
        problems += [" ".join(("monitor", *cmd, o)) for o in sorted(options - shown)]
    return problems


def unknown(tree: dict[Command, set[str]], docs: dict[Command, set[str]]) -> list[str]:
    """What the table shows that the parser lacks: commands, and options that neither the
    command nor a command above it takes."""
    problems = []
    for cmd, options in docs.items():
        if cmd not in tree:
            problems.append(" ".join(("monitor", *cmd)))
            continue
        accepted = set().union(*(tree[cmd[:n]] for n in range(len(cmd) + 1)))
        problems += [" ".join(("monitor", *cmd, o)) for o in sorted(options - accepted)]
    return problems


TREE = command_tree(build_parser())
DOCS = documented(command_table(README.read_text(encoding="utf-8")))


@pytest.mark.parametrize("command", sorted(TREE), ids=lambda c: " ".join(c) or "monitor")
def test_commands_and_options_are_documented(command: Command) -> None:
    assert missing({command: TREE[command]}, DOCS) == []


@pytest.mark.parametrize("command", sorted(DOCS), ids=lambda c: " ".join(c) or "monitor")
def test_documented_commands_exist(command: Command) -> None:
    assert unknown(TREE, {command: DOCS[command]}) == []


def test_the_check_sees_what_is_missing_and_what_does_not_exist() -> None:
    """The check itself: drop a row and an option from the real table, name a command and an
    option that do not exist, and all four are reported."""
    rows = command_table(README.read_text(encoding="utf-8"))
    kept = [r.replace("[--explain]", "[--explian]") for r in rows if "`monitor health`" not in r]
    kept.append("| `monitor feeds refresh` | not a command |")
    docs = documented(kept)
    assert missing(TREE, docs) == ["monitor match --explain", "monitor health"]
    assert unknown(TREE, docs) == ["monitor match --explian", "monitor feeds refresh"]
