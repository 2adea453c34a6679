"""``monitor extract``: what the monitor reads of a page (saved HTML, gzip too, or a URL
fetched as the daemon would fetch it), so an admin can see why a story did or did not match."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from monitor.cli.common import EXIT_FAILED, EXIT_OK, Commands, config_path

FIELDS = ("source", "url", "title", "body", "published", "language")


def register(commands: Commands) -> None:
    """Add ``extract FILE_OR_URL… [--format text|json]``."""
    p = commands.add("extract", "show the text and metadata the monitor extracts from pages",
                     cmd_extract)
    p.add_argument("inputs", nargs="+", metavar="FILE_OR_URL",
                   help="saved HTML (gzip too) or an http(s) URL")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="json: one object per input, one per line")


def cmd_extract(args: argparse.Namespace) -> int:
    """Each input read and extracted in the order given; exit 1 if any could not be."""
    from monitor.pages.extract import extract, read_saved
    from monitor.pages.fetcher import fetch_pages

    urls = [i for i in args.inputs if i.startswith(("http://", "https://"))]
    fetched = dict(zip(urls, fetch_pages(urls, _config_polling(args)), strict=True)) \
        if urls else {}
    failed = False
    for source in args.inputs:
        result: dict[str, Any] = dict.fromkeys(FIELDS)
        result["source"] = source
        if source in fetched:
            page = fetched[source]
            if page.ok:
                result = extract(page.body, page.final_url or source).as_json(source)
            else:
                result["url"], result["error"] = source, page.error
        else:
            try:
                result = extract(read_saved(Path(source).read_bytes())).as_json(source)
            except OSError as exc:
                result["error"] = f"{type(exc).__name__}: {exc}"
            except ValueError as exc:  # a corrupt gzip file
                result["error"] = str(exc)
        failed = failed or "error" in result
        _write(result, args.format)
    return EXIT_FAILED if failed else EXIT_OK


def _config_polling(args: argparse.Namespace) -> Any:
    """[polling] of the config when there is one (User-Agent, contact, limits), else defaults."""
    from monitor.config import PollingConfig, load_config

    path = config_path(args)
    return load_config(path).polling if path.is_file() else PollingConfig()


def _write(result: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(result, ensure_ascii=False), flush=True)
        return
    print(f"== {result['source']}")
    if "error" in result:
        print(f"error: {result['error']}\n", flush=True)
        return
    for name in ("url", "title", "published", "language"):
        print(f"{name}: {result[name] or ''}")
    print(f"\n{result['body']}\n", flush=True)
