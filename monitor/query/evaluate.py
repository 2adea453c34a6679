"""Run a parsed query over one story: its words' positions, and where the matcher found each
entity (so ``ICE NEAR/3 detention`` means the agency, found near that word)."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from monitor.query.syntax import And, Near, Node, Not, Or, Term, parse
from monitor.query.text import WORD_RE, fold, words

FIELD_GAP = 100_000
"""Positions of consecutive fields are this far apart: a phrase or NEAR never spans two."""

Span = tuple[int, int]  # first and last word position, inclusive


class Named(Protocol):
    """Whom the matcher found, and in which field."""

    @property
    def watchlist(self) -> str: ...

    @property
    def entity(self) -> str: ...

    @property
    def field(self) -> str: ...


class Found(Named, Protocol):
    """Where the matcher found an entity: a ``monitor.matching.Match`` or a stored hit located
    in the text (``start`` None: the field is known, not the place)."""

    @property
    def start(self) -> int | None: ...

    @property
    def end(self) -> int | None: ...


@dataclass(frozen=True)
class Located:
    """A stored hit with the offsets of its matched text (see ``locate``)."""

    watchlist: str
    entity: str
    field: str
    start: int | None
    end: int | None


@dataclass
class Document:
    """A story as a query sees it: word positions, and the entities found with theirs."""

    positions: dict[str, list[int]] = field(default_factory=dict)
    entities: dict[str, list[Span]] = field(default_factory=dict)  # folded name -> spans
    _prefixes: dict[str, list[int]] = field(default_factory=dict)

    def word(self, key: str, prefix: bool) -> list[int]:
        """Positions of a word, or of every word starting with it."""
        if not prefix:
            return self.positions.get(key, [])
        if key not in self._prefixes:
            self._prefixes[key] = sorted(p for w, ps in self.positions.items()
                                         if w.startswith(key) for p in ps)
        return self._prefixes[key]


def document(fields: Sequence[tuple[str, str]], found: Iterable[Found] = ()) -> Document:
    """A story from its ``(field name, text)`` pairs and the matcher's findings; an entity
    is known by both its own and its watchlist's name."""
    doc = Document()
    bounds: dict[str, tuple[int, list[int], list[int]]] = {}
    for n, (name, text) in enumerate(fields):
        base = n * FIELD_GAP
        tokens = words(text)[:FIELD_GAP - 1]
        for i, (w, _s, _e) in enumerate(tokens):
            doc.positions.setdefault(w, []).append(base + i)
        bounds[name] = (base, [s for _w, s, _e in tokens], [e for _w, _s, e in tokens])
    for f in found:
        spans: list[Span] = []
        where = bounds.get(f.field)
        if where is not None and f.start is not None and f.end is not None:
            base, starts, ends = where
            first, last = bisect_right(ends, f.start), bisect_left(starts, f.end) - 1
            if first <= last:
                spans.append((base + first, base + last))
        for name in {fold(f.entity), fold(f.watchlist)}:
            doc.entities.setdefault(name, []).extend(spans)
    return doc


def locate(text: str, matched: str) -> list[tuple[int, int]]:
    """Every whole-word occurrence of ``matched`` in ``text``, case-insensitive: where a stored
    hit (which keeps its matched text, not its offsets) stands."""
    target = [w for w, _s, _e in words(matched)]
    if not target:
        return []
    tokens = [(fold(m.group()), m.start(), m.end()) for m in WORD_RE.finditer(text)]
    keys = [w for w, _s, _e in tokens]
    k = len(target)
    return [(tokens[i][1], tokens[i + k - 1][2]) for i in range(len(tokens) - k + 1)
            if keys[i:i + k] == target]


class Query:
    """A query bound to the watchlists: a bare word naming a watchlist or entity (any case),
    or a quoted phrase spelling a multi-word one exactly, is that entity."""

    def __init__(self, text: str, names: Iterable[str] = ()):
        self.text = text
        self.tree = parse(text)
        names = set(names)
        self._folded = {fold(n) for n in names}
        self._phrases = {n for n in names if " " in n.strip()}

    def __repr__(self) -> str:
        return f"Query({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Query) and (self.text, self._folded, self._phrases)
                == (other.text, other._folded, other._phrases))

    def __hash__(self) -> int:
        return hash(self.text)

    def entity(self, term: Term) -> str | None:
        """The folded entity or watchlist name ``term`` stands for, if it names one."""
        if term.quoted:
            return fold(term.text.strip()) if term.text.strip() in self._phrases else None
        if len(term.words) == 1 and not term.words[0][1] and fold(term.text) in self._folded:
            return fold(term.text)
        return None

    def matches(self, doc: Document) -> bool:
        return self._true(self.tree, doc)

    def _true(self, node: Node, doc: Document) -> bool:
        if isinstance(node, And):
            return all(self._true(n, doc) for n in node.operands)
        if isinstance(node, Or):
            return any(self._true(n, doc) for n in node.operands)
        if isinstance(node, Not):
            return not self._true(node.operand, doc)
        if isinstance(node, Term) and (name := self.entity(node)) is not None:
            return name in doc.entities
        return bool(self._spans(node, doc))

    def _spans(self, node: Node, doc: Document) -> list[Span]:
        if isinstance(node, Term):
            name = self.entity(node)
            if name is not None:
                return doc.entities.get(name, [])
            return _phrase(node, doc)
        if isinstance(node, Or):
            return sorted({s for n in node.operands for s in self._spans(n, doc)})
        if isinstance(node, Near):
            return _near(self._spans(node.left, doc), self._spans(node.right, doc),
                         node.distance)
        raise TypeError(f"{type(node).__name__} has no positions")  # refused by the parser


def _phrase(term: Term, doc: Document) -> list[Span]:
    """Where the term's words stand one after another."""
    (first, prefix), rest = term.words[0], term.words[1:]
    starts = doc.word(first, prefix)
    if not rest:
        return [(p, p) for p in starts]
    following = [set(doc.word(w, pre)) for w, pre in rest]
    return [(p, p + len(rest)) for p in starts
            if all(p + k in s for k, s in enumerate(following, 1))]


def _near(left: list[Span], right: list[Span], distance: int) -> list[Span]:
    """Pairs with at most ``distance`` words between them, either order, as one span each."""
    found = set()
    for a in left:
        for b in right:
            gap = b[0] - a[1] - 1 if a[1] < b[0] else a[0] - b[1] - 1
            if gap <= distance:
                found.add((min(a[0], b[0]), max(a[1], b[1])))
    return sorted(found)
