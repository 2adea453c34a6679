"""Health counts every kind of source: a config of searches or public records alone is
unhealthy when nothing has been polled for longer than those sources allow."""

from __future__ import annotations

from datetime import timedelta

from monitor.config import load_config
from monitor.service.health import check_health
from storage.db import connect
from storage.models import Feed, utcnow
from tests.support.helpers import write_config

RECORDS = '''[[records]]
provider = "federal-register"
agencies = ["u-s-immigration-and-customs-enforcement"]
interval = "1h"
'''


def test_a_records_only_config_is_unhealthy_when_its_polls_stopped(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'h.db'}")
    try:
        config = load_config(write_config(tmp_path, [], extra=RECORDS))
        healthy, reason = check_health(config, db)
        assert not healthy and reason == "no source has been polled yet"
        with db.session() as s:
            s.add(Feed(url="https://fr.example/#federal-register-x", kind="federal-register",
                       name="fr", interval_s=3600.0,
                       last_polled_at=utcnow() - timedelta(hours=5)))
        healthy, reason = check_health(config, db)
        assert not healthy and "last poll was" in reason
        with db.session() as s:
            s.query(Feed).update({"last_polled_at": utcnow() - timedelta(minutes=30)})
        assert check_health(config, db)[0]
    finally:
        db.dispose()
