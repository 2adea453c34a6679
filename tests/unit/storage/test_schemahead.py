"""The Alembic-free "schema is current" answer agrees with Alembic, and refuses to guess."""

from __future__ import annotations

from sqlalchemy import text

from storage import connect
from storage.migrate import head, upgrade
from storage.schemahead import at_head, packaged_head


def test_packaged_head_is_alembics():
    assert packaged_head() == head()


def test_at_head_only_when_the_database_records_the_head(tmp_path):
    db = connect(f"sqlite:///{tmp_path / 'db.sqlite'}", create=False)
    try:
        assert not at_head(db.engine)  # no version table yet
        upgrade(db.engine)
        assert at_head(db.engine)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        assert not at_head(db.engine)
    finally:
        db.dispose()


def test_several_heads_or_unreadable_scripts_answer_not_known(tmp_path, monkeypatch):
    import storage.schemahead as schemahead

    for name, rev, down in (("a.py", "0001", "None"), ("b.py", "0002", "'0001'"),
                            ("c.py", "0003", "'0001'")):
        (tmp_path / name).write_text(f"revision: str = '{rev}'\ndown_revision = {down}\n")
    monkeypatch.setattr(schemahead, "VERSIONS", tmp_path)
    assert packaged_head() is None  # two heads: 0002 and 0003
    (tmp_path / "c.py").write_text("revision = REV\ndown_revision = '0002'\n")
    assert packaged_head() is None  # a revision that is not a literal
    (tmp_path / "c.py").write_text("revision = '0003'\ndown_revision = ('0002',)\n")
    assert packaged_head() == "0003"
