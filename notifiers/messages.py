"""Render alerts per kind of target (Slack, e-mail, Markdown, text) from Jinja2 templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from apprise import NotifyFormat
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, select_autoescape
from markupsafe import Markup, escape

CONTEXT_CHARS = 280


@dataclass(frozen=True)
class AlertHit:
    """One watched entity found in the story, with the text around it."""

    watchlist: str
    entity: str
    matched: str
    context: str
    field: str = "title"


@dataclass(frozen=True)
class Alert:
    """Everything a message about one story needs."""

    title: str
    link: str | None
    source: str
    hits: tuple[AlertHit, ...]
    published: datetime | None = None
    other_sources: tuple[str, ...] = field(default_factory=tuple)

    @property
    def entities(self) -> list[str]:
        """Distinct entity names in hit order."""
        return list(dict.fromkeys(h.entity for h in self.hits))


@dataclass(frozen=True)
class Message:
    """What apprise is asked to send."""

    title: str
    body: str
    body_format: str


_FORMATS = {"slack": ("alert.slack.md", NotifyFormat.MARKDOWN),
            "markdown": ("alert.md", NotifyFormat.MARKDOWN),
            "email": ("alert.email.html", NotifyFormat.HTML),
            "text": ("alert.txt", NotifyFormat.TEXT)}


def _trim(text: str, limit: int = CONTEXT_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _highlight(context: str, matched: str, before: str, after: str, html: bool = False) -> str:
    """Wrap the first occurrence of ``matched`` in ``context`` with markers."""
    context = _trim(context)
    idx = context.lower().find(matched.lower()) if matched else -1
    if html:
        if idx < 0:
            return str(escape(context))
        return str(escape(context[:idx]) + Markup(before) + escape(context[idx: idx + len(matched)])
                   + Markup(after) + escape(context[idx + len(matched):]))
    if idx < 0:
        return context
    return context[:idx] + before + context[idx: idx + len(matched)] + after + \
        context[idx + len(matched):]


class Renderer:
    """Jinja2 environment: admin templates in ``template_dir`` override the packaged ones."""

    def __init__(self, template_dir: Path | None = None):
        loaders = [FileSystemLoader(str(template_dir))] if template_dir else []
        loaders.append(PackageLoader("notifiers", "templates"))
        self.env = Environment(loader=ChoiceLoader(loaders),
                               autoescape=select_autoescape(["html", "html.j2"]),
                               trim_blocks=True, lstrip_blocks=True)
        self.env.filters["mark_bold"] = lambda h: _highlight(h.context, h.matched, "**", "**")
        self.env.filters["mark_html"] = lambda h: Markup(
            _highlight(h.context, h.matched, "<mark>", "</mark>", html=True))
        self.env.filters["mark_text"] = lambda h: _highlight(h.context, h.matched, "«", "»")

    def subject(self, alert: Alert) -> str:
        """E-mail subject / push title: which entities, then the headline."""
        return _trim(f"[{', '.join(alert.entities)}] {alert.title}", 200)

    def render(self, alert: Alert, kind: str) -> Message:
        """The message for one target kind."""
        name, fmt = _FORMATS.get(kind, _FORMATS["text"])
        body = self.env.get_template(name + ".j2").render(alert=alert).strip() + "\n"
        return Message(title=self.subject(alert), body=body, body_format=fmt)
