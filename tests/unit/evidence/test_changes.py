"""What counts as a change of a story's page: trivia (spacing, timestamps, share counts) never;
a headline or a sentence always."""

from __future__ import annotations

from monitor.evidence.changes import compare, normalized
from monitor.evidence.reading import read_page
from tests.support.evidence import PARAGRAPHS, article


def test_timestamps_share_counts_and_spacing_are_not_changes():
    a = "Updated 10:42 AM EST, Monday November 30, 2026 · 1.2K shares. ICE detained 41 people."
    b = "Updated 4:05 PM EST, Tuesday December 1, 2026 · 3,480 shares.  ICE  detained 41\npeople."
    assert normalized(a) == normalized(b)
    assert compare("ICE raid", a, "ICE  raid ", b) is None
    assert normalized("posted 3 hours ago, 12 comments") == normalized(
        "posted 1 day ago, 40 comments")


def test_words_and_other_numbers_are_changes():
    assert compare("ICE raid", "ICE detained 41 people.", "ICE raid", "ICE detained 14 people.")
    change = compare("ICE detains 41", "Body.", "Agency detains 41", "Body.")
    assert change is not None and change.summary == "headline changed" and not change.diff


def test_body_diff_names_the_removed_and_added_sentences():
    old = " ".join(PARAGRAPHS)
    new = old.replace("declined to say where", "said at a press conference where")
    change = compare("t", old, "t", new)
    assert change is not None and change.summary == "body changed"
    lines = change.diff.splitlines()
    assert len(lines) == 2 and lines[0].startswith("- A spokesperson")
    assert "press conference" in lines[1] and lines[1].startswith("+ ")


def test_pages_read_from_their_bytes_differ_only_where_the_story_does():
    first = read_page(article("ICE detains 41 in overnight raids"), "http://x/a")
    trivial = read_page(article("ICE detains 41 in overnight raids",
                                stamp="Updated 9:01 PM EST, Tuesday December 1, 2026",
                                shares="3,480 shares", spacing="  "), "http://x/a")
    edited = read_page(article("Agency detains 41 in overnight raids"), "http://x/a")
    assert "detained 41 people" in first[1]
    assert compare(*first, *trivial) is None
    change = compare(*first, *edited)
    assert change is not None and change.new_title.startswith("Agency detains 41")
