"""``monitor poll-once``: one cycle over every feed, then exit."""

from __future__ import annotations

import argparse
import json

from monitor.cli.common import Commands, load_runtime


def register(commands: Commands) -> None:
    """Add ``poll-once [--json]``."""
    once = commands.add("poll-once", "poll every feed once, send due alerts, exit", cmd_poll_once)
    once.add_argument("--json", action="store_true", help="print a JSON summary")


def cmd_poll_once(args: argparse.Namespace) -> int:
    """Poll every feed once (due or not), deliver, print the summary with ``--json``."""
    from monitor.pipeline.cycle import poll_cycle
    from monitor.pipeline.deliver import deliver_due
    from monitor.pipeline.pool import PARSE_POOLS

    rt = load_runtime(args)
    try:
        stats = poll_cycle(rt, force=True)
        deliver_due(rt, stats=stats)
        if rt.config.evidence.keep:
            from monitor.evidence.run import evidence_pass

            evidence_pass(rt)
    finally:
        PARSE_POOLS.close()
        rt.close()
    if args.json:
        print(json.dumps(stats.as_dict()))
    return 0
