"""A ``[[records]]`` entry edited in the config updates its stored source: its name, interval
and parameters follow the config, and an adapted interval starts afresh."""

from __future__ import annotations

from monitor.sources.base import ConfiguredSource
from storage import connect
from storage.models import Feed
from storage.sources import sync_sources


def test_an_edited_records_entry_updates_its_stored_source(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'monitor.db'}")
    params = {"agencies": ["u-s-immigration-and-customs-enforcement"], "document_types": []}
    key = "https://www.federalregister.gov/api/v1/documents.json#federal-register-x"
    with db.session() as s:
        sync_sources(s, [ConfiguredSource(key, "federal-register", params, "fr", 6 * 3600.0)])
    with db.session() as s:
        row = s.query(Feed).filter_by(url=key).one()
        row.poll_interval_s = 3 * 3600.0  # adaptive polling had sped it up
    with db.session() as s:
        sync_sources(s, [ConfiguredSource(key, "federal-register", params, "ICE rules", 3600.0)])
    with db.session() as s:
        row = s.query(Feed).filter_by(url=key).one()
        assert (row.name, row.interval_s, row.poll_interval_s) == ("ICE rules", 3600.0, None)
    db.dispose()


def test_sync_sources_accepts_records_sources(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'monitor.db'}")
    with db.session() as s:
        sync_sources(s, [ConfiguredSource("https://e.example/#edgar-1", "edgar", {"forms": ["8-K"]},
                                      "edgar", 60.0)])
        assert s.query(Feed).filter_by(kind="edgar").one().params == '{"forms": ["8-K"]}'
    db.dispose()
