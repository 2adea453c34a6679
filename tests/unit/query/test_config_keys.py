"""Subscribers' ``query`` and ``languages`` in the config: read into the recipient, and refused
by ``monitor check`` with file:line, the column and what was expected."""

from __future__ import annotations

from monitor.config.check import check_all
from monitor.query import Query
from tests.support.delivery_helpers import config

CAMPAIGN = 'Amazon AND (ICE OR "Homeland Security" OR detention*) AND NOT "Prime Day"'


def lines_of(path, key: str) -> list[int]:
    return [n for n, line in enumerate(path.read_text().splitlines(), 1)
            if line.startswith(f"{key} =")]


def test_a_good_query_and_languages_reach_the_recipient(tmp_path):
    cfg = config(tmp_path, [], [{"name": "campaign", "notify": ["json://127.0.0.1:9/x"],
                                 "languages": ["en", "es"], "query": CAMPAIGN}],
                 f"sqlite:///{tmp_path / 'm.db'}")
    loaded, _watchlists, problems = check_all(cfg)
    assert problems == [] and loaded is not None
    recipient = loaded.subscribers[0]
    assert recipient.languages == ("en", "es")
    assert isinstance(recipient.query, Query) and recipient.query.text == CAMPAIGN
    assert recipient.query.entity(recipient.query.tree.operands[0]) == "amazon"
    assert recipient == check_all(cfg)[0].subscribers[0]  # a reload sees no change


def test_check_names_the_line_and_column_of_a_bad_query_and_language(tmp_path):
    cfg = config(tmp_path, [], [
        {"name": "one", "notify": ["json://127.0.0.1:9/x"], "query": "Amazon AND (ICE OR"},
        {"name": "two", "notify": ["json://127.0.0.1:9/x"], "query": "ICE NEAR/x raid",
         "languages": ["en", "spanish"]},
        {"name": "three", "notify": ["json://127.0.0.1:9/x"], "languages": "en"},
    ], f"sqlite:///{tmp_path / 'm.db'}")
    _loaded, _w, problems = check_all(cfg)
    text = [str(p) for p in problems]
    query_lines, language_lines = lines_of(cfg, "query"), lines_of(cfg, "languages")
    assert f"{cfg}:{query_lines[0]}: subscriber 'one' query 'Amazon AND (ICE OR': column 19: " \
           "expected a word, a \"phrase\" or '(', found end of query" in text
    assert f"{cfg}:{query_lines[1]}: subscriber 'two' query 'ICE NEAR/x raid': column 5: " \
           "expected NEAR/n with n a whole number of words (e.g. NEAR/5)" in text
    assert any(t.startswith(f"{cfg}:{language_lines[0]}: subscriber 'two' languages: "
                            "'spanish' is not a language code") for t in text)
    assert any(t.startswith(f"{cfg}:{language_lines[1]}: languages must be a non-empty list")
               for t in text)
    assert len(problems) == 4
