"""``/api/hits?query=`` served by the real app on loopback: stories kept by the query, and a
bad query answered 400 with its column; the page shows each story's language."""

from __future__ import annotations

from storage.stories import insert_hits, insert_stories
from tests.unit.web.test_web_app import served  # noqa: F401 - the fixture


def store(db) -> None:
    stories = [("Amazon Web Services renews its cloud contract with ICE", "en"),
               ("Amazon Prime Day deals on ICE agents' boots", "en"),
               ("ICE detiene a decenas en una redada en Texas", "es")]
    with db.session() as s:
        ids = insert_stories(s, [{"title": t, "summary": "", "language": lang,
                                  "link": f"https://news.example/{n}",
                                  "canonical_url": f"https://news.example/{n}"}
                                 for n, (t, lang) in enumerate(stories)])
        rows = []
        for sid, (title, _lang) in zip(ids, stories, strict=True):
            if title.startswith("Amazon"):
                rows.append({"story_id": sid, "watchlist": "Amazon", "entity": "Amazon",
                             "matched": "Amazon", "field": "title"})
            rows.append({"story_id": sid, "watchlist": "ICE", "entity": "ICE",
                         "matched": "ICE", "field": "title"})
        insert_hits(s, rows)


def test_api_hits_filters_by_query_and_refuses_a_bad_one(served):  # noqa: F811
    daemon, client = served
    store(daemon.rt.db)
    query = 'Amazon AND ICE AND NOT "Prime Day"'
    kept = client.get("/api/hits", params={"query": query}).json()
    assert kept["count"] == 2  # the contract story's two hits
    assert {h["title"][:10] for h in kept["hits"]} == {"Amazon Web"}
    spanish = client.get("/api/hits", params={"query": "redada", "limit": "1"}).json()
    assert [(h["title"][:3], h["language"]) for h in spanish["hits"]] == [("ICE", "es")]
    assert client.get("/api/hits").json()["count"] == 5

    bad = client.get("/api/hits", params={"query": "Amazon AND (ICE"})
    assert bad.status_code == 400
    assert bad.json() == {"error": "query: column 16: expected ')' to close the '(' at "
                                   "column 12, found end of query", "column": 16}
    page = client.get("/").text
    assert '<span class="lang" title="language">es</span>' in page
