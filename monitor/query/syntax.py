"""Boolean query syntax: AND, OR, NOT, parentheses, "phrases", word* prefixes and NEAR/n, parsed
into a small tree; every error names its column and what was expected there."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.query.text import query_words
from storage.errors import MonitorError

OPERATORS = ("AND", "OR", "NOT")
_NEAR = re.compile(r"NEAR(?:/(.*))?")
_BARE = re.compile(r'[^\s()"]+')
_WORD_CHAR = re.compile(r"[^\W_]")
MAX_DEPTH = 100  # deeper nesting is refused, not a RecursionError
MAX_NEAR = 1000


class QueryError(MonitorError, ValueError):
    """A query that cannot be read: ``column`` (1-based) is where, the message says what was
    expected there."""

    def __init__(self, column: int, message: str):
        super().__init__(f"column {column}: {message}")
        self.column = column
        self.reason = message


@dataclass(frozen=True)
class Term:
    """A bare word or a quoted phrase: its folded ``words``, each flagged when written as a
    prefix (``detention*``); a bare word naming a watchlist or entity is that entity (decided
    when the query is bound to the watchlists)."""

    text: str
    words: tuple[tuple[str, bool], ...]
    quoted: bool
    column: int


@dataclass(frozen=True)
class Not:
    operand: Node
    column: int


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Near:
    """``left NEAR/n right``: at most ``distance`` words between the two, either order."""

    left: Node
    right: Node
    distance: int
    column: int


Node = Term | Not | And | Or | Near


@dataclass(frozen=True)
class Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "NEAR", "TERM", "END"
    column: int
    text: str
    distance: int = 0
    quoted: bool = False


def describe(token: Token) -> str:
    return "end of query" if token.kind == "END" else repr(token.text)


def tokenize(query: str) -> list[Token]:
    """Operators are upper case (``and`` is a word); a phrase runs to its closing quote."""
    tokens: list[Token] = []
    i = 0
    while i < len(query):
        c = query[i]
        if c.isspace():
            i += 1
        elif c in "()":
            tokens.append(Token(c, i + 1, c))
            i += 1
        elif c == '"':
            close = query.find('"', i + 1)
            if close < 0:
                raise QueryError(i + 1, "unterminated phrase: expected a closing '\"'")
            tokens.append(_term(query[i + 1:close], i + 1, quoted=True))
            i = close + 1
        else:
            bare = _BARE.match(query, i)
            assert bare is not None
            tokens.append(_bare(bare.group(), i + 1))
            i = bare.end()
    tokens.append(Token("END", len(query) + 1, ""))
    return tokens


def _bare(text: str, column: int) -> Token:
    if text in OPERATORS:
        return Token(text, column, text)
    near = _NEAR.fullmatch(text)
    if near:
        if not re.fullmatch(r"[0-9]+", near.group(1) or ""):
            raise QueryError(column, "expected NEAR/n with n a whole number of words "
                             "(e.g. NEAR/5)")
        distance = int(near.group(1))
        if distance > MAX_NEAR:
            raise QueryError(column, f"expected a NEAR distance of at most {MAX_NEAR}")
        return Token("NEAR", column, text, distance)
    return _term(text, column, quoted=False)


def _term(text: str, column: int, quoted: bool) -> Token:
    """A word or phrase; ``*`` may only end a word that has letters before it."""
    for m in re.finditer(r"\*", text):
        before = text[:m.start()]
        after = text[m.end():m.end() + 1]
        if not before or not _WORD_CHAR.match(before[-1]) or (after and not after.isspace()):
            raise QueryError(column + m.start() + quoted,
                             "expected '*' only at the end of a word, after its first letters "
                             "(e.g. detention*)")
    if not query_words(text):
        what = "words inside the quotes" if quoted else "a word with letters or digits"
        raise QueryError(column, f"expected {what}, found {text!r}" if text else
                         f"expected {what}")
    return Token("TERM", column, text, quoted=quoted)


def parse(query: str) -> Node:
    """The query's tree; raises QueryError (with the column) when it cannot be read."""
    return _Parser(tokenize(query)).query()


class _Parser:
    """Precedence, loosest first: OR, AND, NOT, NEAR/n."""

    def __init__(self, tokens: list[Token]):
        self.tokens = tokens
        self.at = 0
        self.depth = 0

    @property
    def token(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.token
        self.at += 1
        return token

    def query(self) -> Node:
        node = self.or_()
        if self.token.kind != "END":
            expected = "AND, OR, NEAR/n or end of query"
            if self.token.kind in ("TERM", "(", "NOT"):
                expected = "AND, OR or NEAR/n between two terms"
            raise QueryError(self.token.column, f"expected {expected}, "
                             f"found {describe(self.token)}")
        return node

    def or_(self) -> Node:
        operands = [self.and_()]
        while self.token.kind == "OR":
            self.take()
            operands.append(self.and_())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_(self) -> Node:
        operands = [self.not_()]
        while self.token.kind == "AND":
            self.take()
            operands.append(self.not_())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_(self) -> Node:
        if self.token.kind == "NOT":
            column = self.take().column
            return Not(self.not_(), column)
        return self.near()

    def near(self) -> Node:
        node = self.primary()
        while self.token.kind == "NEAR":
            op = self.take()
            right = self.primary()
            _proximal(node, op)
            _proximal(right, op)
            node = Near(node, right, op.distance, op.column)
        return node

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "TERM":
            return Term(token.text, query_words(token.text), token.quoted, token.column)
        if token.kind == "(":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(token.column, f"expected at most {MAX_DEPTH} nested '('")
            node = self.or_()
            close = self.take()
            if close.kind != ")":
                raise QueryError(close.column, f"expected ')' to close the '(' at column "
                                 f"{token.column}, found {describe(close)}")
            self.depth -= 1
            return node
        raise QueryError(token.column, "expected a word, a \"phrase\" or '(', found "
                         f"{describe(token)}")


def _proximal(node: Node, op: Token) -> None:
    """NEAR joins things that have positions: terms, phrases, NEARs, or ORs of them."""
    if isinstance(node, Term | Near):
        return
    if isinstance(node, Or):
        for operand in node.operands:
            _proximal(operand, op)
        return
    where = node.column if isinstance(node, Not) else op.column
    raise QueryError(where, f"expected words, phrases or (… OR …) of them on both sides of "
                     f"{op.text}, found {'NOT' if isinstance(node, Not) else 'AND'}")
