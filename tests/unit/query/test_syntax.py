"""The query parser: precedence, phrases, prefixes, NEAR/n, and errors that name their column."""

from __future__ import annotations

import pytest

from monitor.query import QueryError, parse
from monitor.query.syntax import And, Near, Not, Or, Term


def test_precedence_is_or_then_and_then_not_then_near():
    tree = parse("a OR b AND NOT c NEAR/2 d")
    assert isinstance(tree, Or)
    left, right = tree.operands
    assert isinstance(left, Term) and left.words == (("a", False),)
    assert isinstance(right, And)
    b, negated = right.operands
    assert isinstance(negated, Not) and isinstance(negated.operand, Near)
    assert negated.operand.distance == 2


def test_parentheses_group_and_phrases_and_prefixes_are_read():
    tree = parse('(Amazon OR AWS) AND "Homeland Security" AND detention*')
    assert isinstance(tree, And)
    group, phrase, prefix = tree.operands
    assert isinstance(group, Or) and len(group.operands) == 2
    assert isinstance(phrase, Term) and phrase.quoted
    assert phrase.words == (("homeland", False), ("security", False))
    assert isinstance(prefix, Term) and prefix.words == (("detention", True),)


def test_lower_case_operators_are_words():
    with pytest.raises(QueryError, match="column 5: expected AND, OR or NEAR/n"):
        parse("ice and snow")
    assert isinstance(parse('"ice and snow"'), Term)


@pytest.mark.parametrize(("query", "column", "expected"), [
    ("", 1, "expected a word"),
    ("Amazon AND", 11, "expected a word"),
    ("Amazon AND (ICE OR DHS", 23, "expected ')' to close the '(' at column 12"),
    ("Amazon ICE", 8, "expected AND, OR or NEAR/n between two terms"),
    ("Amazon)", 7, "expected AND, OR, NEAR/n or end of query"),
    ('Amazon AND "Prime Day', 12, "unterminated phrase"),
    ("Amazon NEAR ICE", 8, "NEAR/n with n a whole number"),
    ("Amazon NEAR/x ICE", 8, "NEAR/n with n a whole number"),
    ("Amazon AND *zon", 12, "'*' only at the end of a word"),
    ("Amazon AND de*tention", 14, "'*' only at the end of a word"),
    ('Amazon AND ""', 12, "expected words inside the quotes"),
    ("(Amazon AND ICE) NEAR/3 raid", 18, "on both sides of NEAR/3, found AND"),
    ("NOT ICE NEAR/3 raid OR a NEAR/2 NOT b", 33, "expected a word"),
    ("Amazon AND -", 12, "expected a word with letters or digits"),
])
def test_errors_say_where_and_what_was_expected(query, column, expected):
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert caught.value.column == column, str(caught.value)
    assert expected in caught.value.reason
    assert str(caught.value).startswith(f"column {column}: ")
