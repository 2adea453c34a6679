"""Render alerts per kind of target (Slack, e-mail, Markdown, text) from Jinja2 templates."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from notifiers.snippets import ELLIPSIS, word_span
from storage.links import web_link

CONTEXT_CHARS = 280
PLACES = {"title": "in the title", "summary": "in the summary", "content": "in the text"}
TIME_FORMAT = "%a %d %b %Y, %H:%M %Z"


def local_time(moment: datetime | None, zone: str) -> str:
    """``Sat 28 Nov 2026, 05:00 CST``: a time as the subscriber reads it, in their zone."""
    return moment.astimezone(ZoneInfo(zone)).strftime(TIME_FORMAT) if moment else ""


@dataclass(frozen=True)
class AlertHit:
    """One watched entity found in the story, with the text around it."""

    watchlist: str
    entity: str
    matched: str
    context: str
    field: str = "title"

    @property
    def label(self) -> str:
        """``ICE, in the title``; the watchlist is named only when it differs from the entity."""
        who = self.entity if self.entity.casefold() == self.watchlist.casefold() else \
            f"{self.entity} ({self.watchlist})"
        return f"{who}, {PLACES.get(self.field, f'in the {self.field}')}"


@dataclass(frozen=True)
class Alert:
    """Everything a message about one story needs."""

    title: str
    link: str | None
    source: str
    hits: tuple[AlertHit, ...]
    published: datetime | None = None
    other_sources: tuple[str, ...] = field(default_factory=tuple)
    lede: str = ""
    timezone: str = "UTC"
    archive: str | None = None  # the Wayback Machine's copy, once known

    @property
    def entities(self) -> list[str]:
        """Distinct entity names in hit order."""
        return list(dict.fromkeys(h.entity for h in self.hits))

    @property
    def when(self) -> str:
        return local_time(self.published, self.timezone)


@dataclass(frozen=True)
class Message:
    """What apprise is asked to send."""

    title: str
    body: str
    body_format: str


# apprise's body formats (apprise.NotifyFormat values), named here so that rendering a
# message does not import apprise and all its plugins: a cycle with nothing to send never does
_FORMATS = {"slack": ("alert.slack.md", "markdown"),
            "markdown": ("alert.md", "markdown"),
            "email": ("alert.email.html", "html"),
            "text": ("alert.txt", "text")}


def clip(text: str, limit: int = CONTEXT_CHARS) -> str:
    """``text`` within ``limit`` characters, cut at a word boundary and marked with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip(" ,;:") + ELLIPSIS


def window(text: str, matched: str, limit: int = CONTEXT_CHARS) -> tuple[str, str, str]:
    """(before, match, after): the words around ``matched``, cut at word boundaries with "…"."""
    text = " ".join(text.split())
    at = text.lower().find(matched.lower()) if matched else -1
    if at < 0:
        return clip(text, limit), "", ""
    end = at + len(matched)
    if len(text) <= limit:
        return text[:at], text[at:end], text[end:]
    room = max(0, limit - len(matched) - 2)
    lo = max(0, at - room // 2)
    hi = min(len(text), end + room - (at - lo))
    lo = max(0, min(lo, at, hi - len(matched) - room))
    lo, hi = word_span(text, at, end, lo, hi)
    before = (ELLIPSIS if lo > 0 else "") + text[lo:at]
    after = text[end:hi].rstrip(" ,;:") + (ELLIPSIS if hi < len(text) else "")
    return before, text[at:end], after


class MdSafe(str):
    """Markdown this program wrote (markers, escaped feed text): not escaped again."""


_MD_PUNCT = re.compile(r"([\\`*_\[\]()<>~#])")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]{1,32};)")
_MD_LINE_START = re.compile(r"^([-+=>!#])|^(\d+)([.)])")
_SPACES = re.compile(r"\s+")
_MENTION = re.compile(r"@(?=\w)")
WORD_JOINER = "\u2060"
URL_SAFE = "".join(chr(c) for c in range(33, 127) if chr(c) not in "<>")


def md_escape(value: object) -> str:
    """Feed text as Markdown/Slack text: no links, mentions, tags or formatting survive.

    Backslash escapes are what apprise turns into each dialect (``\\<`` becomes ``&lt;`` for
    Slack); ``@here``/``@channel`` get an invisible word joiner so no client pings anyone."""
    if isinstance(value, MdSafe):
        return value
    text = _SPACES.sub(" ", str(value))
    text = _MD_ENTITY.sub(r"\\&", _MD_PUNCT.sub(r"\\\1", text))
    text = _MD_LINE_START.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], text)
    return MdSafe(_MENTION.sub("@" + WORD_JOINER, text))


_SLACK_ESCAPED = re.compile(r"([<>\[\]()!#])")
_SLACK_FENCED = re.compile(r"[_~]")
_SLACK_LOOKALIKES = str.maketrans({"*": "\u2217", "`": "\u02cb"})


def slack_escape(value: object) -> str:
    """Feed text for Slack mrkdwn, which has no backslash escapes, after apprise's Markdown
    conversion: only escapes apprise turns into entities or plain characters (``\\<`` into
    ``&lt;``; it writes ``&`` as ``&amp;`` itself). ``_`` and ``~`` format only at a word
    boundary, so word joiners fence them (and a leading ``>``, a quote); ``*`` and backticks
    become look-alikes, because apprise pairs them into emphasis and code before Slack
    sees them."""
    if isinstance(value, MdSafe):
        return value
    text = _SPACES.sub(" ", str(value)).translate(_SLACK_LOOKALIKES)
    text = WORD_JOINER + text if text.startswith(">") else text
    text = _SLACK_ESCAPED.sub(r"\\\1", text.replace("\\", "\\" + WORD_JOINER))
    text = _SLACK_FENCED.sub(lambda m: WORD_JOINER + m[0] + WORD_JOINER, text)
    return MdSafe(_MENTION.sub("@" + WORD_JOINER, text))


def md_url(url: str | None) -> MdSafe:
    """A link destination for ``[label](<url>)``: only characters that would end it are encoded."""
    return MdSafe(quote(url or "", safe=URL_SAFE))


def _html(text: str) -> str:
    return str(escape(text))


def _marked(hit: AlertHit, before: str, after: str, esc: Callable[[str], str]) -> str:
    head, match, tail = window(hit.context, hit.matched)
    if not match:
        return esc(head)
    return esc(head) + before + esc(match) + after + esc(tail)


def _bold(esc: Callable[[str], str]) -> Callable[[AlertHit], MdSafe]:
    """The ``mark_bold`` filter for one dialect: the match in bold, feed text escaped by ``esc``."""
    return lambda h: MdSafe(_marked(h, "**", "**", esc))


class Renderer:
    """Jinja2 environments: admin templates in ``template_dir`` override the packaged ones.

    Feed text is escaped for the target by default: HTML by autoescape, Markdown by
    ``md_escape`` and Slack by ``slack_escape`` on every ``{{ }}``; plain text is left as it is."""

    def __init__(self, template_dir: Path | None = None):
        self.template_dir = template_dir
        self._envs: dict[str, Any] = {}  # built at the first message: most cycles send none

    def _build(self) -> None:
        # jinja2 here, not at import: logging redacts through this package, and a cycle
        # with nothing to send never renders (~30 ms and ~5 MB saved)
        from jinja2 import (
            BaseLoader,
            ChoiceLoader,
            Environment,
            FileSystemLoader,
            PackageLoader,
            select_autoescape,
        )

        loaders: list[BaseLoader] = ([FileSystemLoader(str(self.template_dir))]
                                     if self.template_dir else [])
        loaders.append(PackageLoader("notifiers", "templates"))
        loader = ChoiceLoader(loaders)

        def make_env(**options: Any) -> Environment:
            return Environment(loader=loader, trim_blocks=True, lstrip_blocks=True, **options)

        envs = {"html": make_env(autoescape=select_autoescape(["html", "html.j2"])),
                "md": make_env(finalize=md_escape), "slack": make_env(finalize=slack_escape)}
        filters = {
            "mark_html": lambda h: Markup(_marked(h, "<mark>", "</mark>", _html)),
            "mark_text": lambda h: _marked(h, "«", "»", str),
            "mark_bold": _bold(md_escape),
            "md_url": md_url, "clip": clip, "web_link": web_link}
        for env in envs.values():
            env.filters.update(filters)
        envs["slack"].filters["mark_bold"] = _bold(slack_escape)
        self._envs = envs

    def _template(self, name: str):
        if not self._envs:
            self._build()
        env = self._envs["slack" if name.endswith(".slack.md") else
                         "md" if name.endswith(".md") else "html"]
        return env.get_template(name + ".j2")

    def subject(self, alert: Alert) -> str:
        """E-mail subject / push title: which entities, then the headline."""
        return clip(f"[{', '.join(alert.entities)}] {alert.title}", 200)

    def render(self, alert: Alert, kind: str) -> Message:
        """The message for one target kind."""
        name, fmt = _FORMATS.get(kind, _FORMATS["text"])
        body = self._template(name).render(alert=alert).strip() + "\n"
        return Message(title=self.subject(alert), body=body, body_format=fmt)

    def render_change(self, note: Any, kind: str) -> Message:
        """A change alert (``notifiers.changes.ChangeNote``) for one target kind."""
        name, fmt = _FORMATS.get(kind, _FORMATS["text"])
        body = self._template(name.replace("alert.", "change.", 1)).render(
            note=note).strip() + "\n"
        return Message(title=clip(f"[{note.summary}] {note.title}", 200), body=body,
                       body_format=fmt)

    def render_digest(self, digest, kind: str) -> Message:
        """A message combining several stories (``notifiers.content.Digest``)."""
        name, fmt = _FORMATS.get(kind, _FORMATS["text"])
        name = name.replace("alert.", "digest.", 1)
        body = self._template(name).render(digest=digest).strip() + "\n"
        return Message(title=clip(digest.headline, 200), body=body, body_format=fmt)
