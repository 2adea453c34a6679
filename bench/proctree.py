"""Resources of a process tree, read from /proc, for the benchmarks."""

from __future__ import annotations

import os


def tree_usage(pids: list[int]) -> tuple[int, float]:
    """Resident memory (bytes) and CPU seconds so far of ``pids`` and all their descendants.

    Descendants are found through every thread's children (the daemon starts its parse pool
    from a scheduler thread); CPU counts each process's own time plus its reaped children's,
    so workers a fork server started and reaped still count while the server lives."""
    rss, ticks, stack = 0, 0, list(pids)
    page = os.sysconf("SC_PAGE_SIZE")
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as f:
                rss += int(f.read().split()[1]) * page
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    stack += [int(c) for c in f.read().split()]
        except (OSError, ValueError):
            continue
    return rss, ticks / os.sysconf("SC_CLK_TCK")


def tree_pss(pids: list[int]) -> int:
    """Proportional set size (bytes) of ``pids`` and their descendants: unlike RSS, a page
    that processes share (a matcher inherited by fork) is counted once in the sum."""
    pss, stack = 0, list(pids)
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                pss += next(int(line.split()[1]) for line in f if line.startswith("Pss:")) * 1024
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    stack += [int(c) for c in f.read().split()]
        except (OSError, ValueError, StopIteration):
            continue
    return pss
