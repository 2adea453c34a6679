"""The daemon's evidence tick is a boundary: a pass that fails (its table gone) is logged and
named by /healthz's job list, and the next tick, once storage is back, clears it."""

from __future__ import annotations

from sqlalchemy import text

from monitor.service.daemon import Daemon
from storage import evidence as store
from tests.support.articles import ArticleServer
from tests.support.evidence import FOUND, add_story, article, evidence_runtime


def test_a_failing_evidence_pass_is_logged_and_the_next_tick_recovers(tmp_path, caplog):
    site = ArticleServer().start()
    rt = evidence_runtime(tmp_path, [])
    try:
        story = add_story(rt, site.add("/a", article("ICE detains 41")), "ICE detains 41",
                          found=FOUND.replace(year=2099))
        daemon = Daemon(rt)
        with rt.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE story_checks RENAME TO story_checks_away"))
        daemon._evidence()
        assert daemon.failing == {"evidence pass": "OperationalError"}
        assert "evidence pass failed" in caplog.text
        with rt.db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE story_checks_away RENAME TO story_checks"))
        daemon._evidence()
        assert daemon.failing == {}
        with rt.db.read() as s:
            assert [v.version for v in store.versions(s, story)] == [1]
    finally:
        rt.close()
        site.stop()
