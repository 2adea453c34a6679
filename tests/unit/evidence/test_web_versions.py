"""A story's versions on ``/api/hits`` and the page, served by the real app on loopback."""

from __future__ import annotations

from datetime import timedelta

import httpx

from monitor.evidence.run import evidence_pass
from monitor.service.daemon import Daemon
from monitor.web import HttpServer, create_app
from tests.support.articles import ArticleServer
from tests.support.evidence import FOUND, add_story, article, evidence_runtime
from tests.support.servers import free_port


def test_api_and_page_show_each_version(tmp_path):
    site = ArticleServer().start()
    rt = evidence_runtime(tmp_path, [])
    link = site.add("/news/raids", article("ICE detains 41 in overnight raids"))
    story = add_story(rt, link, "ICE detains 41 in overnight raids")
    evidence_pass(rt, now=FOUND)
    site.add("/news/raids", article("Agency detains 41 in overnight raids"))
    evidence_pass(rt, now=FOUND + timedelta(hours=1))
    daemon = Daemon(rt)
    port = free_port()
    server = HttpServer(create_app(daemon), "127.0.0.1", port)
    server.start()
    try:
        hits = httpx.get(f"http://127.0.0.1:{port}/api/hits", timeout=10).json()
        row = hits["hits"][0] if isinstance(hits, dict) else hits[0]
        assert row["story_id"] == story
        versions = row["versions"]
        assert [(v["version"], v["kind"]) for v in versions] == [(1, "page"), (2, "page")]
        assert versions[1]["change"]["new_title"].startswith("Agency detains 41")
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=10).text
        assert "v1 kept " in page
        assert "v2 edited" in page and "Agency detains 41" in page
    finally:
        server.stop()
        rt.close()
        site.stop()
