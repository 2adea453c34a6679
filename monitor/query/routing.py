"""After routing, before delivery: a subscriber gets a story only in the languages it follows
and when its query holds for the story."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from monitor.query.evaluate import Document, Found, Query
from monitor.query.stories import StoredHit, stored_document, story_document
from notifiers.channels import Recipient


def story_admits(title: str, summary: str, content: str, matches: Iterable[Found],
                 language: str | None) -> Callable[[Recipient], bool]:
    """Whether each subscriber takes the story; its query document is built once, if asked."""
    found = list(matches)

    return _admits(lambda: story_document(title, summary, content, found), language)


def stored_story_admits(title: str, summary: str, body: str, hits: Iterable[StoredHit],
                        language: str | None) -> Callable[[Recipient], bool]:
    """The same for a stored story whose article page was read later (a body hit): its query
    sees the headline, summary and page text, and every entity found in any of them."""
    found = list(hits)
    return _admits(lambda: stored_document(title, summary, found, body), language)


def _admits(make: Callable[[], Document], language: str | None) -> Callable[[Recipient], bool]:
    doc: list[Document] = []

    def admits(recipient: Recipient) -> bool:
        if not recipient.wants_language(language):
            return False
        if not isinstance(recipient.query, Query):
            return True
        if not doc:
            doc.append(make())
        return recipient.query.matches(doc[0])

    return admits
