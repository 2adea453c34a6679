"""``monitor match``: JSON Lines in, exactly one JSON line out per input line, in order."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from monitor.cli.common import EXIT_INVALID, Commands, config_path, print_problems
from monitor.config.problems import InvalidFiles, as_given

if TYPE_CHECKING:
    from monitor.matching.engine import Matcher

TEXT_FIELDS = ("title", "summary", "content")


def register(commands: Commands) -> None:
    """Add ``match [--watchlists DIR] [--explain]``."""
    match = commands.add("match", "match JSON Lines stories on stdin against watchlists",
                         cmd_match)
    match.add_argument("--watchlists", help="directory of watchlist TOML files "
                                              "(default: the config's [watchlists] dir)")
    match.add_argument("--explain", action="store_true", help="also show vetoed near-misses")


def cmd_match(args: argparse.Namespace) -> int:
    """Match stdin against ``--watchlists``, else the config's watchlists folder."""
    from monitor.config import load_config

    if args.watchlists:
        directory = Path(args.watchlists)
    else:
        path = config_path(args)
        if not path.is_file():
            print(f"{path}: config file not found: pass --watchlists DIR, or the config "
                  "with --config PATH or MONITOR_CONFIG", file=sys.stderr)
            return EXIT_INVALID
        config = load_config(path)
        directory = as_given(config.path, config.watchlists_dir)
    return match_stream(directory, sys.stdin, sys.stdout, explain=args.explain)


def _item_fields(item: Any) -> tuple[Any, dict[str, str], str | None]:
    """Story id, its text fields, and an error message if the line is unusable."""
    if not isinstance(item, dict):
        return None, {}, "input line is not a JSON object"
    fields: dict[str, str] = {}
    for name in TEXT_FIELDS:
        value = item.get(name)
        if value is None:  # absent or null: empty text, as a feed entry without it
            fields[name] = ""
            continue
        if not isinstance(value, str):
            return item.get("id"), {}, f"'{name}' must be a string"
        fields[name] = value
    return item.get("id"), fields, None


def _process(matcher: Matcher, line: str, explain: bool) -> dict[str, Any]:
    try:
        item = json.loads(line)
    except ValueError as exc:
        return {"id": None, "hits": [], "error": f"invalid JSON: {exc}"}
    story_id, fields, error = _item_fields(item)
    if error:
        return {"id": story_id, "hits": [], "error": error}
    try:
        hits, misses = matcher.explain(**fields, near_misses=explain)
    except Exception as exc:  # noqa: BLE001 - one bad story must never stop the stream
        return {"id": story_id, "hits": [], "error": f"internal error: {exc!r}"}
    out: dict[str, Any] = {"id": story_id, "hits": [asdict(h) for h in hits]}
    if explain:
        out["near_misses"] = [asdict(m) for m in misses]
    return out


def match_stream(watchlists_dir: Path, infile: TextIO, outfile: TextIO,
                 explain: bool = False) -> int:
    """Stream stories through the matcher; 2 for invalid watchlists, else 0."""
    from monitor.config.watchlists import load_watchlists
    from monitor.matching.engine import Matcher

    try:
        watchlists = load_watchlists(Path(watchlists_dir))
    except InvalidFiles as exc:
        print_problems(exc.problems)
        return EXIT_INVALID
    if not watchlists:
        print(f"{watchlists_dir}: no watchlists found; every story will have no hits",
              file=sys.stderr)
    matcher = Matcher(watchlists)
    for line in infile:
        try:
            result = _process(matcher, line, explain)
        except Exception as exc:  # noqa: BLE001 - one bad story must never stop the stream
            result = {"id": None, "hits": [], "error": f"internal error: {exc!r}"}
        outfile.write(json.dumps(result, ensure_ascii=False) + "\n")
        outfile.flush()
    return 0
