"""After routing, before delivery: a subscriber gets a story only in the languages it follows
and when its query holds for the story."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from monitor.query.evaluate import Document, Found, Query
from monitor.query.stories import story_document
from notifiers.channels import Recipient


def story_admits(title: str, summary: str, content: str, matches: Iterable[Found],
                 language: str | None) -> Callable[[Recipient], bool]:
    """Whether each subscriber takes the story; its query document is built once, if asked."""
    found = list(matches)
    doc: list[Document] = []

    def admits(recipient: Recipient) -> bool:
        if not recipient.wants_language(language):
            return False
        if not isinstance(recipient.query, Query):
            return True
        if not doc:
            doc.append(story_document(title, summary, content, found))
        return recipient.query.matches(doc[0])

    return admits
