"""Keep messages within what each target accepts (apprise knows the limits), cutting gracefully."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from notifiers.messages import Message
from notifiers.sender import apprise_said
from notifiers.snippets import ELLIPSIS

CUT_NOTE = f"\n{ELLIPSIS} (cut to fit this channel)"


@dataclass(frozen=True)
class Limits:
    """``title`` 0: the target has no title (apprise puts it on top of the body)."""

    title: int = 250
    body: int | None = None


@lru_cache(maxsize=256)
def limits_for(url: str) -> Limits:
    """The target's title and body limits; no limits when apprise cannot tell."""
    import apprise  # its plugins load on first use (see notifiers.urls)

    with apprise_said():
        ap = apprise.Apprise()
        if not ap.add(url):
            return Limits(title=250, body=None)
        plugin = ap[0]
    return Limits(title=int(plugin.title_maxlen or 0), body=int(plugin.body_maxlen or 0) or None)


def body_budget(message: Message, limits: Limits) -> int | None:
    """Characters the body may use (a title-less target carries the title in the body)."""
    if limits.body is None:
        return None
    return limits.body - (len(message.title) + 2 if limits.title == 0 else 0)


def fits(message: Message, limits: Limits) -> bool:
    budget = body_budget(message, limits)
    return budget is None or len(message.body) <= budget


def cut(message: Message, limits: Limits) -> Message:
    """Trim the title to its limit, and the body at a line break so no link is split.

    A title-less Markdown target gets no title: apprise would put it raw above the body, which
    already starts with it, escaped."""
    title = message.title
    if limits.title == 0 and message.body_format == "markdown":
        title = ""
    if limits.title and len(title) > limits.title:
        title = title[: limits.title - 1].rstrip() + ELLIPSIS
    message = replace(message, title=title)
    budget = body_budget(message, limits)
    if budget is None or len(message.body) <= budget:
        return message
    html = message.body_format == "html"
    tail = "\n<p>… (cut to fit this channel)</p></body></html>\n" if html else CUT_NOTE + "\n"
    room = max(0, budget - len(tail))
    head = message.body[:room]
    at = head.rfind("\n")
    if at > room // 2:
        head = head[:at]
    elif not html:
        space = head.rfind(" ")
        head = head[:space] if space > room // 2 else head
    return replace(message, body=head.rstrip() + tail)


def fit(render: Callable[[int | None], Message], longest: int, limits: Limits) -> Message:
    """Render with fewer stories per group until the message fits, then cut what still won't."""
    message = render(None)
    per_group = longest
    while not fits(message, limits) and per_group > 1:
        per_group //= 2
        message = render(per_group)
    return cut(message, limits)
