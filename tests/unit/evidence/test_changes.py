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


def test_decimal_amounts_and_dates_in_the_story_are_changes():
    assert compare("t", "ICE paid $12.50m for it.", "t", "ICE paid $98.75m for it.")
    assert compare("t", "It fell 10.25 points.", "t", "It fell 45.00 points.")
    assert compare("t", "ICE held 12 people on May 3.", "t", "ICE held 12 people on May 30.")


def test_relative_stamps_and_stamped_times_are_not_changes():
    assert compare("t", "Posted 2h ago. ICE held 12.", "t", "Posted 5h ago. ICE held 12.") is None
    assert compare("t", "3d ago. ICE held 12.", "t", "5m ago. ICE held 12.") is None
    assert compare("t", "Updated 10:42 a.m. ET. ICE held 12.",
                   "t", "Updated 4:05 p.m. EST. ICE held 12.") is None
    assert compare("t", "November 30, 2026 - ICE held 12 on May 3.",
                   "t", "December 1, 2026 - ICE held 12 on May 3.") is None
