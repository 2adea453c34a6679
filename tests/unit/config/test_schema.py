"""The config schema is the one declaration of every key: what it declares is accepted, documented
in the README, refused when misspelled, and its secret keys are what the logs redact."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from monitor.config import TABLES, check_config
from monitor.config.check import check_all, load_all
from monitor.config.problems import InvalidFiles
from monitor.config.schema import declared_keys, key_names
from tests.support.helpers import ROOT, WATCHLISTS

TABLE_NAMES = [t.name for t in TABLES]


def _readme_tables() -> dict[str, dict[str, str]]:
    """Each config table's keys as the README's TOML examples write them: key -> its line."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented: dict[str, dict[str, str]] = {name: {} for name in TABLE_NAMES}
    for block in re.findall(r"```toml\n(.*?)```", readme, re.S):
        tomllib.loads(block)  # each example is valid TOML
        table = None
        for line in block.splitlines():
            if header := re.match(r"\[\[?(\w+)\]\]?", line):
                table = header.group(1)
            elif (entry := re.match(r"(\w+) = (.*?)(\s+#.*)?$", line)) and table in documented:
                documented[table].setdefault(entry.group(1), f"{entry.group(1)} = {entry.group(2)}")
    return documented


def test_every_declared_key_is_documented_in_the_readme_and_nothing_else():
    documented = _readme_tables()
    for table in TABLES:
        assert sorted(documented[table.name]) == sorted(key_names(table.schema)), table.name


@pytest.mark.parametrize("table", TABLES, ids=TABLE_NAMES)
def test_every_declared_key_is_accepted(tmp_path, table):
    """The README's example of each key, in its table, is never refused as unknown."""
    lines = _readme_tables()[table.name].values()
    path = tmp_path / "config.toml"
    path.write_text(f"{table.where}\n" + "\n".join(lines) + "\n", encoding="utf-8")
    config, problems = check_config(path)
    assert config is not None, problems
    assert not [p for p in problems if "unknown key" in p.message], problems


@pytest.mark.parametrize("table", TABLES, ids=TABLE_NAMES)
def test_an_undeclared_key_is_refused_with_file_and_line(tmp_path, table):
    required = {"feeds": 'url = "https://a.example/rss"\n', "subscribers": 'name = "desk"\n',
                "records": 'provider = "usaspending"\n', "search": 'provider = "gdelt"\n'}
    path = tmp_path / "config.toml"
    path.write_text(f"# a comment\n{table.where}\n{required.get(table.name, '')}"
                    "colour = 1\n", encoding="utf-8")
    _, problems = check_config(path)
    line = 4 if table.name in required else 3
    assert [str(p) for p in problems] == [f"{path}:{line}: unknown key 'colour' in {table.where}"]


def test_an_unknown_table_is_refused_with_a_suggestion(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("[storage]\n[polling]\n[deliveries]\nlease = 1\n", encoding="utf-8")
    _, problems = check_config(path)
    assert [str(p) for p in problems] == [
        f"{path}: unknown key 'deliveries' in the config (did you mean 'delivery'?)"]


def test_the_secret_keys_are_declared_in_the_schema():
    secret = {(t.name, name) for t in TABLES
              for name, key in declared_keys(t.schema).items() if key.secret}
    assert secret == {("storage", "url"), ("subscribers", "notify"), ("http", "token"),
                      ("evidence", "wayback_key")}


def test_secrets_are_the_expanded_values_of_secret_keys(tmp_path, monkeypatch):
    monkeypatch.setenv("SCHEMA_DB_PASSWORD", "db-pass-from-env")
    monkeypatch.setenv("SCHEMA_HTTP_TOKEN", "t0ken-" * 4)
    monkeypatch.setenv("SCHEMA_HOOK", "hook-secret-part")
    path = tmp_path / "config.toml"
    path.write_text(
        f'[watchlists]\ndir = "{WATCHLISTS}"\n'
        '[storage]\nurl = "sqlite:///m.db"\n'
        '[polling]\nuser_agent = "not-a-secret-agent"\n'
        '[http]\ntoken = "${SCHEMA_HTTP_TOKEN}"\n'
        '[[subscribers]]\nname = "desk"\nnotify = ["json://127.0.0.1:9/${SCHEMA_HOOK}"]\n',
        encoding="utf-8")
    config, problems = check_config(path)
    assert problems == []
    assert sorted(config.secrets()) == sorted(["t0ken-" * 4, "json://127.0.0.1:9/hook-secret-part"])
    assert "not-a-secret-agent" not in repr(config.secrets())
    assert "hook-secret-part" not in repr(config)

    # the database password: only in a URL SQLAlchemy opens without a server (its driver is
    # always installed), so point at SQLite with a (meaningless) password
    path.write_text('[storage]\nurl = "sqlite://monitor:${SCHEMA_DB_PASSWORD}@/m.db"\n')
    config, problems = check_config(path)
    assert problems == [] and config.secrets() == ["db-pass-from-env"]


def test_one_checker_reports_config_and_watchlist_problems_together(tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "ice.toml").write_text('name = "ICE"\n[[entities]]\nname = "ICE"\ncolour = 1\n')
    path = tmp_path / "config.toml"
    path.write_text('[watchlists]\ndir = "lists"\n[polling]\nconcurrency = 0\n')
    config, watchlists, problems = check_all(path)
    assert config is not None and watchlists == []
    assert [str(p) for p in problems] == [
        f"{path}:4: concurrency must be a positive integer",
        f"{Path(path.parent / 'lists' / 'ice.toml')}:4: entity 'ICE': unknown key 'colour'"]
    with pytest.raises(InvalidFiles) as refused:
        load_all(path)
    assert refused.value.problems == problems
