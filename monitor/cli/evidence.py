"""``monitor evidence STORY_ID [--warc FILE]``: the pages kept for a story (every version with
its SHA-256, final URL, headers, fetch time, what changed) and a WARC of them."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from monitor.cli.common import EXIT_FAILED, Commands, runtime


def register(commands: Commands) -> None:
    """Add ``evidence STORY_ID [--warc FILE] [--format text|json]``."""
    ev = commands.add("evidence", "show the pages kept for a story; write them as a WARC",
                      cmd_evidence)
    ev.add_argument("story_id", type=int, metavar="STORY_ID",
                    help="``story_id`` in `monitor hits --format json`")
    ev.add_argument("--warc", type=Path, metavar="FILE",
                    help="write every version as a WARC (gzipped records) to FILE")
    ev.add_argument("--format", choices=["text", "json"], default="text")


def cmd_evidence(args: argparse.Namespace) -> int:
    """Print the story's evidence; exit 1 when nothing was kept for it."""
    from monitor.evidence.changes import Change
    from monitor.evidence.warc import write_warc
    from storage import evidence as store

    with runtime(args, warn=False) as rt, rt.db.read() as s:
        check = store.check_of(s, args.story_id)
        versions = store.versions(s, args.story_id)
        if check is None and not versions:
            print(f"no evidence kept for story {args.story_id} (is [evidence] keep on, and "
                  "does the story have a hit?)", file=sys.stderr)
            return EXIT_FAILED
        if args.warc and versions:
            with args.warc.open("wb") as out:
                write_warc(versions, out, rt.config.polling.user_agent)
        record = {
            "story_id": args.story_id,
            "url": check.url if check else versions[0].url,
            "found_at": check.found_at.isoformat() if check else None,
            "rechecks_done": check.checks_done if check else 0,
            "next_recheck_at": check.next_check_at.isoformat()
            if check and check.next_check_at else None,
            "archive_url": check.archive_url if check else None,
            "wayback": check.wayback_state if check else None,
            "versions": [{
                "version": v.version, "kind": v.kind, "fetched_at": v.fetched_at.isoformat(),
                "status": v.status, "url": v.url, "final_url": v.final_url, "size": v.size,
                "sha256": v.sha256, "title": v.title,
                "change": (c.summary if (c := Change.from_json(v.change)) else None),
                "headers": dict(store.header_pairs(v))} for v in versions],
            "change_alerts": [{"subscriber": sub, "channel": chan, "state": state}
                              for sub, chan, state in store.change_alert_states(
                                  s, args.story_id)],
        }
    if args.format == "json":
        print(json.dumps(record, indent=2))
    else:
        print(render_text(record))
    if args.warc:
        print(f"WARC written to {args.warc}" if versions else "no page kept yet: no WARC",
              file=sys.stderr)
    return 0


def render_text(r: dict) -> str:
    """The evidence as a reader scans it: the story, then each version."""
    lines = [f"story {r['story_id']}: {r['url']}",
             f"found {r['found_at'] or '–'} · rechecks done {r['rechecks_done']} · next "
             f"{r['next_recheck_at'] or '–'}",
             f"archive: {r['archive_url'] or r['wayback'] or '–'}"]
    for v in r["versions"]:
        lines += ["", f"version {v['version']} ({v['kind']}, HTTP {v['status']}) fetched "
                  f"{v['fetched_at']}",
                  f"  final URL: {v['final_url']}",
                  f"  sha256:    {v['sha256']} ({v['size']} bytes)",
                  f"  headline:  {v['title'] or '–'}"]
        if v["change"]:
            lines.append(f"  change:    {v['change']}")
        lines += [f"  {k}: {val}" for k, val in v["headers"].items()]
    if r["change_alerts"]:
        lines += ["", "change alerts: " + ", ".join(
            f"{a['subscriber']} ({a['state']})" for a in r["change_alerts"])]
    return "\n".join(lines)
