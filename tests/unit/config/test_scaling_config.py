"""The scaling keys: [storage] retention_days, [polling] lease, and `monitor db prune`."""

from __future__ import annotations

from monitor.config import check_config
from monitor.pipeline.claims import lease_seconds
from tests.support.helpers import run_cli, write_config


def test_retention_and_lease_keys(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[storage]\nretention_days = 30\n[polling]\nlease = "90s"\n')
    config, problems = check_config(path)
    assert problems == [] and config.retention_days == 30 and lease_seconds(config.polling) == 90
    path.write_text("[storage]\nretention_days = 0\n")
    _, problems = check_config(path)
    assert [p.line for p in problems] == [2] and "retention_days" in problems[0].message


def test_default_lease_covers_the_feeds_in_flight_when_all_are_slow(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('[polling]\ntimeout = "30s"\nconcurrency = 50\n')
    config, _ = check_config(path)
    assert config.retention_days is None
    # at most 249 claimed feeds unstored, 50 fetched at a time: five rounds of 30 s, + 1 min
    assert lease_seconds(config.polling) == 30 * 5 + 60


def test_db_prune_command(tmp_path):
    config = write_config(tmp_path, [])
    refused = run_cli("db", "prune", "--config", str(config))
    assert refused.returncode == 2 and "retention_days" in refused.stderr
    done = run_cli("db", "prune", "--days", "30", "--config", str(config))
    assert done.returncode == 0 and done.stdout.startswith("pruned 0 stories"), done.stderr
