"""Search queries made from a watchlist's entities and their rules, so a search engine is asked
for what our matcher will accept: names and aliases, context-bound aliases only with their
context words, a case-sensitive acronym never alone, exclude phrases as NOT."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from monitor.config.watchlists import Entity, Watchlist

_ACRONYM = re.compile(r"[A-Z0-9][A-Z0-9.&-]{1,7}")


@dataclass(frozen=True)
class Query:
    """What to ask any provider: one of ``any_of``, and (when set) one of ``context``, and none
    of ``exclude``; provider syntax is ``monitor.sources.search.providers``'."""

    watchlist: str
    entity: str
    any_of: tuple[str, ...]
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


def is_acronym(alias: str, entity: Entity) -> bool:
    """A case-sensitive, all-capitals short name ("ICE", "GEO", "CCA"): a search engine ignores
    case, so searched alone it would bring every "ice storm"."""
    return alias in entity.case_sensitive and bool(_ACRONYM.fullmatch(alias))


def _words(phrase: str) -> list[str]:
    return re.findall(r"\w+", phrase.lower())


def _covers(short: list[str], long: list[str]) -> bool:
    """Whether phrase ``short`` occurs in ``long`` word for word (a phrase search for the
    shorter one finds the longer one too)."""
    n = len(short)
    return any(long[i:i + n] == short for i in range(len(long) - n + 1))


def _minimal(phrases: Iterable[str]) -> tuple[str, ...]:
    """The phrases not covered by a shorter one in the list, in their order."""
    phrases = list(dict.fromkeys(phrases))
    words = {p: _words(p) for p in phrases}
    return tuple(p for p in phrases if words[p] and not any(
        q != p and words[q] and _covers(words[q], words[p]) and words[q] != words[p]
        for q in phrases))


def context_terms(entity: Entity) -> tuple[str, ...]:
    """The entity's context words as a search engine takes them: whole words as written; a
    word with a ``*`` wildcard is only used (as its stem) when the list has nothing else,
    since engines do not complete words."""
    whole = [c for c in entity.context if "*" not in c]
    if whole:
        return tuple(dict.fromkeys(whole))
    return tuple(dict.fromkeys(c.replace("*", "").strip() for c in entity.context
                               if len(c.replace("*", "").strip()) >= 3))


def _excludes_for(entity: Entity, terms: tuple[str, ...]) -> tuple[str, ...]:
    """The exclude phrases that can veto one of ``terms`` (they contain it): the others
    would only drop stories that mention the entity elsewhere."""
    term_words = [_words(t) for t in terms]
    return tuple(e for e in entity.exclude_phrases
                 if any(w and _covers(w, _words(e)) for w in term_words))


def entity_queries(watchlist: str, entity: Entity) -> list[Query]:
    """An entity's queries: its plain names in one; its context-bound names and acronyms, with
    its context words, in another (none when it has no context: never alone)."""
    bound = [a for a in entity.names if a in entity.require_context or is_acronym(a, entity)]
    plain = _minimal(a for a in entity.names if a not in bound)
    queries = []
    if plain:
        queries.append(Query(watchlist, entity.name, plain,
                             exclude=_excludes_for(entity, plain)))
    context = context_terms(entity)
    if bound and context:
        terms = tuple(dict.fromkeys(bound))
        queries.append(Query(watchlist, entity.name, terms, context,
                             _excludes_for(entity, terms)))
    return queries


def watchlist_queries(watchlists: Iterable[Watchlist]) -> list[Query]:
    """Every entity's queries, watchlist by watchlist, without repeats."""
    return list(dict.fromkeys(q for w in watchlists for e in w.entities
                              for q in entity_queries(w.name, e)))


def narrowed(query: Query, any_of: tuple[str, ...] | None = None,
             context: tuple[str, ...] | None = None) -> Query:
    """Part of ``query`` (for splitting), keeping only the exclude phrases its names need."""
    terms = query.any_of if any_of is None else any_of
    words = [_words(t) for t in terms]
    return Query(query.watchlist, query.entity, terms,
                 query.context if context is None else context,
                 tuple(e for e in query.exclude if any(w and _covers(w, _words(e)) for w in words)))
