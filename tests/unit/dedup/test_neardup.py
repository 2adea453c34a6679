"""Near-duplicate detection: wire copy with small edits is one story; different facts are not."""

from __future__ import annotations

import hashlib
import random
import struct

from monitor.dedup.neardup import (
    BANDS,
    MIN_TOKENS,
    ROWS,
    NearDupIndex,
    band_keys,
    normalise,
    same_story,
)

WIRE = ("ICE detains 40 workers in Houston raid",
        "Immigration agents detained 40 people at a construction site on Tuesday, officials said.")


def _key(title: str, summary: str):
    text = normalise(title, summary)
    return text, band_keys(text)


def test_lightly_edited_copy_is_the_same_story():
    a, _ = _key(*WIRE)
    b, _ = _key("ICE detains 40 workers in Houston raid - AP",
                "Immigration agents detained 40 people at a construction site Tuesday, "
                "officials said on Wednesday.")
    assert same_story(a, b, WIRE[0], "ICE detains 40 workers in Houston raid - AP")


def test_different_figures_or_topics_are_different_stories():
    a, _ = _key(*WIRE)
    other_number, _ = _key("ICE detains 12 workers in Houston raid", WIRE[1].replace("40", "12"))
    assert not same_story(a, other_number, WIRE[0], "ICE detains 12 workers in Houston raid")
    other_city, _ = _key("ICE detains 40 workers in Dallas", "Agents arrested 40 at a plant.")
    assert not same_story(a, other_city, WIRE[0], "ICE detains 40 workers in Dallas")


def test_index_finds_the_copy_and_not_the_unrelated():
    index = NearDupIndex()
    text, keys = _key(*WIRE)
    index.add(7, keys, text, WIRE[0])
    copy_text, copy_keys = _key(WIRE[0], WIRE[1] + " More follows.")
    assert index.find(copy_text, WIRE[0], copy_keys) == 7
    other_title = WIRE[0].replace("40", "12")
    other_text, other_keys = _key(other_title, WIRE[1])
    assert index.find(other_text, other_title, other_keys) is None
    unrelated_text, unrelated_keys = _key("Wayfair cuts jobs", "The retailer will lay off staff.")
    assert index.find(unrelated_text, "Wayfair cuts jobs", unrelated_keys) is None


def test_rolled_back_stories_never_reach_the_index(tmp_path):
    """The index learns a story only once its transaction commits; else copies would attach
    to a story that does not exist and be dropped."""
    import pytest

    from monitor.config.watchlists import load_watchlists
    from monitor.dedup.recent import remember
    from monitor.matching import Matcher
    from monitor.pipeline.prepare import prepare
    from monitor.pipeline.store import store_entries
    from monitor.sources.entry import make_entry
    from storage import Feed, connect
    from tests.support.helpers import WATCHLISTS

    db = connect(f"sqlite:///{tmp_path / 'db.sqlite'}")
    matcher = Matcher(load_watchlists(WATCHLISTS))
    with db.session() as s:
        feed = Feed(url="https://a.example/rss", name="A")
        s.add(feed)
        s.flush()
        feed_id = feed.id
    (entry,) = prepare([make_entry("g1", "https://a.example/1", WIRE[0], WIRE[1], "", None)],
                       matcher)
    index = NearDupIndex()
    with pytest.raises(RuntimeError), db.session() as s:
        report = store_entries(s, s.get(Feed, feed_id), [entry], [], index)
        assert report.new_stories == 1
        raise RuntimeError("the commit fails")
    assert index.find(entry.text, entry.entry.title, entry.keys) is None
    with db.session() as s:
        report = store_entries(s, s.get(Feed, feed_id), [entry], [], index)
    assert report.fingerprints, report
    remember(index, report.fingerprints)
    assert index.find(entry.text, entry.entry.title, entry.keys) is not None
    db.dispose()


def test_band_keys_are_stable_across_releases():
    """Stored fingerprints (story_fingerprints) are compared with new ones: the keys of a
    text must not change when the signature is computed differently."""
    assert band_keys("ice agents detained workers county jail raid friday") == (
        80205961458229222, 150865282623841125, 224222833942600623, 302047110350318627,
        362962958509150263, 441431508077289003)


def test_buckets_of_one_and_of_several_stories_both_find_candidates():
    index = NearDupIndex()
    text, keys = _key(*WIRE)
    index.add(7, keys, text, WIRE[0])
    assert index.candidates(keys) == [7]  # each key held by one story
    index.add(8, keys, text, WIRE[0])
    index.add(9, keys[:1], text, WIRE[0])
    assert index.candidates(keys) == [7, 8, 9]
    assert sorted(index.candidates(keys[1:2], also=index)) == [7, 8]


def test_texts_beyond_the_cap_are_read_back_when_a_title_is_alike():
    index = NearDupIndex(texts_cap=3)
    text, keys = _key(*WIRE)
    index.add(7, keys, text, WIRE[0])
    for sid in range(100, 110):  # newer stories push story 7's text out of memory
        other_text, other_keys = _key(f"Council budget vote {sid}", f"The council voted {sid}.")
        index.add(sid, other_keys, other_text, f"Council budget vote {sid}")
    assert 7 not in index.texts and len(index.texts) == 3 and 7 in index.titles
    asked: list[list[int]] = []

    def load(ids):
        asked.append(list(ids))
        return {7: (text, " ".join(sorted(WIRE[0].lower().split())))} if 7 in ids else {}

    copy_text, copy_keys = _key(WIRE[0], WIRE[1] + " More follows.")
    assert index.find(copy_text, WIRE[0], copy_keys) is None  # no loader: nothing to confirm
    assert index.find(copy_text, WIRE[0], copy_keys, load=load) == 7
    assert asked == [[7]]
    assert index.find(copy_text, WIRE[0], copy_keys, load=load) == 7
    assert asked == [[7]], "a text read back is kept for the next copy"
    for sid in range(200, 203):
        index.add(sid, (), f"council vote {sid}", f"Council vote {sid}")
    assert 7 not in index.texts
    unlike_title = "Wayfair cuts jobs in Boston"
    unlike_text, _ = _key(unlike_title, WIRE[1])
    assert index.find(unlike_text, unlike_title, copy_keys, load=load) is None
    assert asked == [[7]], "a candidate whose title is not alike is never read back"


def test_band_keys_are_each_hashs_minimum_over_the_words():
    def reference(text: str) -> tuple[int, ...]:
        words = set(text.split())
        if len(words) < MIN_TOKENS:
            return ()
        hashes = [struct.unpack(f"<{BANDS * ROWS}I", hashlib.blake2b(
            w.encode(), digest_size=4 * BANDS * ROWS).digest()) for w in words]
        sig = [min(h[i] for h in hashes) for i in range(BANDS * ROWS)]
        return tuple(((b + 1) << 56) ^ (sig[b * ROWS] << 24) ^ sig[b * ROWS + 1]
                     for b in range(BANDS))

    pick = random.Random(3)
    vocabulary = [f"w{n}" for n in range(400)] + ["détention", "ice", "geo", "x"]
    texts = [" ".join(pick.choice(vocabulary) for _ in range(pick.randint(1, 90)))
             for _ in range(500)]
    assert all(band_keys(t) == reference(t) for t in texts)
    assert sum(bool(band_keys(t)) for t in texts) > 400


def test_the_candidate_sharing_most_bands_wins_a_tie_of_titles():
    text = "alpha beta gamma delta epsilon zeta eta theta"
    stored = NearDupIndex()
    stored.add(1, [101, 102], text, WIRE[0])  # shares two bands
    for n in range(7):
        stored.add(10 + n, [103 + n % 3], f"{text} other{n}", f"Unrelated headline {n}")
    staged = NearDupIndex(texts_cap=None)
    staged.add(1000, [104, 105, 106], text, WIRE[0])  # this batch's copy shares three
    assert stored.find(text, WIRE[0], [101, 102, 103, 104, 105, 106], also=staged) == 1000
