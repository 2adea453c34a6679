"""Alembic revisions build exactly the models' schema; old schemas are upgraded or refused."""

from __future__ import annotations

import subprocess
import sys
import zipfile

from sqlalchemy import create_engine, inspect, text

from storage import Base
from storage.migrate import BASELINE, current, head, upgrade
from tests.support.helpers import ROOT, run_cli, write_config
from tests.support.pgdb import any_url, pg_url  # noqa: F401 - fixtures
from tests.support.schema import schema_diffs, upgrade_to

MIGRATIONS = ROOT / "storage" / "migrations"




def test_revisions_produce_exactly_the_models_schema(any_url):  # noqa: F811
    engine = create_engine(any_url)
    assert current(engine) is None
    before, after = upgrade(engine)
    assert (before, after) == (None, head())
    assert schema_diffs(engine) == [], "a model change has no Alembic revision: see docs/scaling.md"
    engine.dispose()


def test_pre_migration_databases_are_stamped_and_upgraded(any_url):  # noqa: F811
    engine = create_engine(any_url)
    upgrade_to(engine, BASELINE)
    with engine.begin() as conn:  # what the foundation's create_all left: no version table
        conn.execute(text("DROP TABLE alembic_version"))
    assert "lease_until" not in {c["name"] for c in inspect(engine).get_columns("feeds")}
    assert upgrade(engine) == (None, head())
    assert schema_diffs(engine) == []
    engine.dispose()
    fresh = create_engine(any_url.replace("monitor.db", "other.db")) if "sqlite" in any_url \
        else None
    if fresh is not None:  # tables made by create_all from today's models: stamped as head
        Base.metadata.create_all(fresh)
        assert upgrade(fresh) == (None, head())
        fresh.dispose()


def test_postgresql_daemon_refuses_old_schema_until_db_upgrade(tmp_path, pg_url):  # noqa: F811
    engine = create_engine(pg_url)
    upgrade_to(engine, BASELINE)
    engine.dispose()
    config = write_config(tmp_path, [], storage_url=pg_url)
    for cmd in ("run", "poll-once"):
        refused = run_cli(cmd, "--config", str(config), timeout=60)
        assert refused.returncode == 2
        assert "run `monitor db upgrade`" in refused.stderr and BASELINE in refused.stderr
    behind = run_cli("db", "current", "--config", str(config))
    assert behind.returncode == 1 and behind.stdout.startswith(BASELINE)
    done = run_cli("db", "upgrade", "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert f"from {BASELINE} to {head()}" in done.stdout
    assert run_cli("db", "current", "--config", str(config)).stdout.strip() == f"{head()} (head)"
    assert run_cli("poll-once", "--config", str(config)).returncode == 0


def test_sqlite_upgrades_itself(tmp_path):
    url = f"sqlite:///{tmp_path / 'monitor.db'}"
    engine = create_engine(url)
    upgrade_to(engine, BASELINE)
    config = write_config(tmp_path, [], storage_url=url)
    assert run_cli("poll-once", "--config", str(config)).returncode == 0
    assert current(engine) == head()
    engine.dispose()


def test_migration_scripts_ship_in_the_wheel(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                    "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=120)
    wheel = next(tmp_path.glob("*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {f"storage/migrations/{p.relative_to(MIGRATIONS).as_posix()}"
              for p in MIGRATIONS.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert wanted and wanted <= names, sorted(wanted - names)
