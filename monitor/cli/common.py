"""What every command shares: options, registration, config and runtime, output, exit codes."""

from __future__ import annotations

import argparse
import csv
import json
import os
import select
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import parse_qsl, unquote, urlsplit

from monitor.config import resolve_config_path
from monitor.config.problems import InvalidFiles
from storage.errors import SchemaOutdated

if TYPE_CHECKING:
    from monitor.service.runtime import Runtime
    from notifiers.channels import Recipient

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell shows for `cmd | head`

Handler = Callable[[argparse.Namespace], int]


def common_options(p: argparse.ArgumentParser, defaults: bool) -> None:
    """Options accepted before or after the sub-command (``monitor check --config X``)."""
    d = (lambda v: v) if defaults else (lambda _v: argparse.SUPPRESS)
    p.add_argument("--config", default=d(None),
                   help="config file (default: $MONITOR_CONFIG or ./config.toml)")
    p.add_argument("--log-level", default=d("INFO"), help="DEBUG, INFO, WARNING or ERROR")
    p.add_argument("--log-format", choices=["text", "json"], default=d("text"))


class Commands:
    """Where a command module adds its sub-commands: each gets the shared options and the
    handler ``main`` calls (``args.handler``)."""

    def __init__(self, add_parser: Callable[..., argparse.ArgumentParser],
                 common: argparse.ArgumentParser) -> None:
        self._add_parser = add_parser
        self._common = common

    def add(self, name: str, help: str,
            handler: Handler | None = None) -> argparse.ArgumentParser:
        """A sub-command ``name`` run by ``handler`` (None: only its required actions run);
        add its own options to what it returns."""
        parser = self._add_parser(name, help=help, parents=[self._common])
        if handler is not None:
            parser.set_defaults(handler=handler)
        return parser

    def nested(self, parser: argparse.ArgumentParser, dest: str, required: bool) -> Commands:
        """Sub-commands of ``parser`` (``db upgrade``, ``deliveries retry``); a nested
        command's handler replaces the parent's."""
        actions = parser.add_subparsers(dest=dest, required=required, metavar="ACTION")
        return Commands(actions.add_parser, self._common)


def print_problems(problems: Iterable[object]) -> None:
    """One problem a line on stderr, as ``monitor check`` prints them."""
    for problem in problems:
        print(problem, file=sys.stderr)


def config_path(args: argparse.Namespace) -> Path:
    """``--config``, else $MONITOR_CONFIG, else ./config.toml."""
    return resolve_config_path(args.config)


def load_runtime(args: argparse.Namespace, warn: bool = True) -> Runtime:
    """The runtime (the caller closes it); read-only commands pass ``warn=False`` (config
    warnings are for the commands that send)."""
    from monitor.service.runtime import load_runtime as load

    return load(config_path(args), warn=warn)


@contextmanager
def runtime(args: argparse.Namespace, warn: bool = True) -> Iterator[Runtime]:
    """``load_runtime`` closed when the command is done."""
    rt = load_runtime(args, warn=warn)
    try:
        yield rt
    finally:
        rt.close()


def find_subscriber(rt: Runtime, name: str) -> Recipient | None:
    """The subscriber called ``name``, or None after naming the known ones on stderr."""
    recipient = rt.outbox.recipients.get(name)
    if recipient is None:
        known = ", ".join(sorted(rt.outbox.recipients)) or "none configured"
        print(f"unknown subscriber {name!r} (known: {known})", file=sys.stderr)
    return recipient


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed command; invalid files and an outdated schema exit 2 with messages."""
    try:
        code = args.handler(args)
        sys.stdout.flush()
        return code
    except BrokenPipeError:
        if not _stdout_reader_gone():
            raise
        return _end_quietly()
    except InvalidFiles as exc:
        print_problems(exc.problems)
        print("refusing to start: fix the problems above (see `monitor check`)", file=sys.stderr)
        return EXIT_INVALID
    except SchemaOutdated as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _stdout_reader_gone() -> bool:
    """Is stdout a pipe whose reader has closed it? (Not some socket's EPIPE inside a command.)"""
    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError):
        return False


def _end_quietly() -> int:
    """stdout's reader closed the pipe (``monitor hits | head``): end quietly, as cat would.

    stdout is pointed at /dev/null so that the interpreter's final flush cannot fail again
    (Python docs, "Note on SIGPIPE")."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def _cell(value: object, width: int) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def write_records(records: Sequence[dict[str, Any]], columns: Sequence[str], fmt: str,
                  out: TextIO = sys.stdout, widths: dict[str, int] | None = None) -> None:
    """Write ``records`` in ``fmt`` (table, json or csv); tables truncate long cells."""
    if fmt == "json":
        json.dump(list(records), out, ensure_ascii=False, indent=2, default=str)
        out.write("\n")
        return
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(records)
        return
    widths = widths or {}
    cells = [[_cell(r.get(c), widths.get(c, 40)) for c in columns] for r in records]
    sizes = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    out.write("  ".join(c.ljust(sizes[i]) for i, c in enumerate(columns)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(v.ljust(sizes[i]) for i, v in enumerate(row)).rstrip() + "\n")


def _span(seconds: float) -> str:
    """A duration as a person says it: "45 s", "4 min", "2 h", "3 d" (rounded)."""
    if seconds < 60:
        return f"{round(seconds)} s"
    if (minutes := round(seconds / 60)) < 60:
        return f"{minutes} min"
    if (hours := round(seconds / 3600)) < 48:
        return f"{hours} h"
    return f"{round(seconds / 86400)} d"


def duration_text(seconds: float) -> str:
    """An interval for a table a person reads, exact to the minute ("15 min", "1 h 30 min")."""
    minutes = round(seconds / 60)
    if minutes < 60:
        return _span(seconds)
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def relative_time(when: datetime | None, now: datetime) -> str:
    """"in 4 min" or "2 h ago" for a table a person reads; "" when there is no time."""
    if when is None:
        return ""
    seconds = (when - now).total_seconds()
    return f"in {_span(seconds)}" if seconds > 0 else f"{_span(-seconds)} ago"


def _cut_middle(text: str, width: int) -> str:
    """Keep both ends of a long text: "news.example/rss/sea…q=ICE"."""
    if len(text) <= width:
        return text
    head = (width - 1) // 2
    return text[:head] + "…" + text[len(text) - (width - 1 - head):]


def short_url(url: str | None, width: int = 60,
              shared: frozenset[tuple[str, str]] = frozenset()) -> str:
    """Host, path and query without the scheme, decoded; the query parameters in ``shared``
    become "…"; cut in the middle when still longer than ``width``."""
    if not url:
        return ""
    parts = urlsplit(url)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    kept = [f"{k}={v}" if v else k for k, v in pairs if (k, v) not in shared]
    query = "&".join(kept + (["…"] if len(kept) < len(pairs) else []))
    return _cut_middle(unquote(parts.netloc + parts.path) + (f"?{query}" if query else ""), width)


def distinct_urls(urls: Sequence[str], width: int = 60) -> list[str]:
    """``short_url`` of each feed, leaving out the query parameters that every feed on the
    same host and path shares, so search feeds show the query that tells them apart."""
    split = [urlsplit(u) for u in urls]
    groups: dict[tuple[str, str], list[set[tuple[str, str]]]] = {}
    for parts in split:
        params = set(parse_qsl(parts.query, keep_blank_values=True))
        groups.setdefault((parts.netloc, parts.path), []).append(params)
    shared = {key: frozenset(set.intersection(*sets)) if len(sets) > 1 else frozenset()
              for key, sets in groups.items()}
    return [short_url(u, width, shared[(p.netloc, p.path)]) for u, p in zip(urls, split,
                                                                            strict=True)]
