"""Config validation: every problem is refused with file and line, through `monitor check`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from monitor.config import check_config, expand_env, resolve_config_path
from monitor.config.durations import parse_duration
from tests.support.helpers import ROOT, WATCHLISTS, run_cli


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[watchlists]\ndir = "{WATCHLISTS}"\n' + body, encoding="utf-8")
    return path


def test_example_config_passes_check():
    result = run_cli("check", "--config", str(ROOT / "config.example.toml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok:")


@pytest.mark.parametrize(("body", "line", "fragment"), [
    ('[[feeds]]\nurl = "https://a.example/rss"\nbogus = 1\n', 5, "unknown key 'bogus'"),
    ('[[feeds]]\nurl = "ftp://a.example/rss"\n', 4, "must start with http"),
    ('[[feeds]]\nurl = "https://a.example/rss"\ninterval = "soon"\n', 5, "interval"),
    ('[[feeds]]\nname = "no url"\n', 3, "missing 'url'"),
    ('[[subscribers]]\nnotify = []\n', 3, "missing 'name'"),
    ('[[subscribers]]\nname = "x"\nnotify = []\nwatchlists = ["Nope"]\n', 6,
     "unknown watchlist 'Nope'"),
    ('[[subscribers]]\nname = "x"\nnotify = ["notaurl"]\n', 5, "not a URL"),
    ('[[subscribers]]\nname = "x"\nnotify = ["bogusscheme://token"]\n', 5, "apprise does not"),
    ('[storage]\nurl = "sqlite:///x.db"\nextra = true\n', 5, "unknown key 'extra'"),
    ('[feeds\n', 3, "TOML syntax"),
    ('[polling]\nbacklog = "soon"\n', 4, 'backlog: expected a duration'),
    ('[polling]\nbacklog = true\n', 4, 'or "off"'),
])
def test_check_reports_file_and_line(tmp_path, body, line, fragment):
    path = _write(tmp_path, body)
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    first = result.stderr.splitlines()[0]
    assert first.startswith(f"{path}:{line}: "), first
    assert fragment in first


def test_run_and_poll_once_refuse_invalid_config(tmp_path):
    path = _write(tmp_path, '[[feeds]]\nurl = "gopher://x"\n')
    for command in ("poll-once", "run"):
        result = run_cli(command, "--config", str(path), timeout=30)
        assert result.returncode == 2
        assert f"{path}:4: feed url must start with http" in result.stderr


def test_secret_never_echoed_in_problems(tmp_path, monkeypatch):
    monkeypatch.setenv("HOOK_TOKEN", "s3cr3t-token")
    path = _write(tmp_path, '[[subscribers]]\nname = "x"\nnotify = ["bogus://${HOOK_TOKEN}"]\n')
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    assert "s3cr3t-token" not in result.stderr + result.stdout


def test_env_expansion_and_missing_vars(monkeypatch):
    monkeypatch.setenv("A_SET", "value")
    monkeypatch.delenv("B_UNSET", raising=False)
    assert expand_env("x${A_SET}y${B_UNSET}") == ("xvaluey${B_UNSET}", ["B_UNSET"])


def test_relative_paths_resolve_against_config_folder(tmp_path):
    sub = tmp_path / "conf"
    sub.mkdir()
    (sub / "lists").symlink_to(WATCHLISTS)
    path = sub / "config.toml"
    path.write_text('[storage]\nurl = "sqlite:///data/m.db"\n[watchlists]\ndir = "lists"\n')
    config, problems = check_config(path)
    assert problems == []
    assert config.storage_url == f"sqlite:///{sub.resolve() / 'data' / 'm.db'}"
    assert config.watchlists_dir == (sub / "lists").resolve()
    assert config.subscribers == () and config.feeds == ()


@pytest.mark.parametrize(("value", "backlog"), [('"off"', None), ('"Off"', None),
                                                ('"OFF"', None), ('"3h"', 3 * 3600.0)])
def test_backlog_is_off_in_any_case_or_a_duration(tmp_path, value, backlog):
    config, problems = check_config(_write(tmp_path, f"[polling]\nbacklog = {value}\n"))
    assert problems == [] and config.polling.backlog == backlog


def test_config_path_resolution(monkeypatch):
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    assert resolve_config_path(None) == Path("config.toml")
    monkeypatch.setenv("MONITOR_CONFIG", "/etc/monitor.toml")
    assert resolve_config_path(None) == Path("/etc/monitor.toml")
    assert resolve_config_path("x.toml") == Path("x.toml")


@pytest.mark.parametrize(("value", "seconds"), [(90, 90), ("90s", 90), ("10m", 600),
                                                 ("1h", 3600), ("1.5h", 5400)])
def test_durations(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "10x", -5, 0, True, "m"])
def test_bad_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)


def _without_psycopg(tmp_path: Path) -> dict[str, str]:
    """Environment where ``import psycopg`` fails as it does when the package is not installed."""
    fake = tmp_path / "no-psycopg" / "psycopg"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        'raise ModuleNotFoundError("No module named \'psycopg\'", name="psycopg")\n')
    return {"PYTHONPATH": str(fake.parent)}


@pytest.mark.parametrize("url", ["postgresql+psycopg://monitor@127.0.0.1:1/monitor",
                                 "postgresql://monitor@127.0.0.1:1/monitor"])
def test_postgresql_without_its_driver_names_the_package_and_the_install(tmp_path, url):
    path = _write(tmp_path, f'[storage]\nurl = "{url}"\n')
    env = _without_psycopg(tmp_path)
    for command in (["check"], ["db", "upgrade"], ["db", "current"], ["run"]):
        result = run_cli(*command, "--config", str(path), env=env, timeout=30)
        assert result.returncode == 2, (command, result.stderr)
        assert f"{path}:4: " in result.stderr, (command, result.stderr)
        assert "psycopg" in result.stderr and "pip install '.[postgres]'" in result.stderr
        assert "Traceback" not in result.stderr, (command, result.stderr)


def _broken_ice(tmp_path: Path, extra: str = "") -> Path:
    """A config in ``tmp_path/conf`` whose ICE watchlist has a TOML syntax error."""
    lists = tmp_path / "conf" / "lists"
    lists.mkdir(parents=True)
    (lists / "ice.toml").write_text('name = "ICE"\n[[entities]\nname = "ICE"\n')
    path = tmp_path / "conf" / "config.toml"
    path.write_text('[watchlists]\ndir = "lists"\n[[subscribers]]\nname = "desk"\n'
                    f'notify = []\nwatchlists = ["ICE"]\nentities = ["ICE"]\n{extra}')
    return path


def test_watchlist_syntax_error_is_reported_alone(tmp_path):
    result = run_cli("check", "--config", str(_broken_ice(tmp_path)))
    assert result.returncode == 2
    problems = result.stderr.splitlines()
    assert len(problems) == 2 and "TOML syntax" in problems[0], result.stderr
    assert problems[1] == "1 problem(s) found"


def test_paths_in_messages_are_as_the_user_gave_them(tmp_path):
    given = Path(os.path.relpath(_broken_ice(tmp_path, "[[feeds]]\nurl = 1\n"), ROOT))
    result = run_cli("check", "--config", str(given))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert any(line.startswith(f"{given}:9: ") for line in lines), result.stderr
    assert any(line.startswith(f"{given.parent / 'lists' / 'ice.toml'}:2: TOML syntax")
               for line in lines), result.stderr


def test_misspelled_keys_get_a_suggestion(tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "ice.toml").write_text('name = "ICE"\n[[entities]]\nname = "ICE"\n'
                                    'aliases = ["ICE"]\ncase_sensitve = ["ICE"]\n')
    path = tmp_path / "config.toml"
    path.write_text('[watchlists]\ndir = "lists"\n[[feeds]]\nurl = "https://a.example/"\n'
                    'intervall = "1h"\n')
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    assert (f"{path}:5: unknown key 'intervall' in [[feeds]] (did you mean 'interval'?)"
            in result.stderr.splitlines())
    assert "unknown key 'case_sensitve' (did you mean 'case_sensitive'?)" in result.stderr


def test_no_config_says_how_to_start(tmp_path):
    result = run_cli("check", "--config", str(tmp_path / "nowhere.toml"))
    assert result.returncode == 2
    for hint in ("--config", "MONITOR_CONFIG", "config.example.toml"):
        assert hint in result.stderr, result.stderr


def test_storage_url_expands_env_references(tmp_path, monkeypatch):
    monkeypatch.setenv("CLI_TEST_DATA_DIR", "state")
    path = _write(tmp_path, '[storage]\nurl = "sqlite:///${CLI_TEST_DATA_DIR}/m.db"\n')
    config, problems = check_config(path)
    assert problems == []
    assert config.storage_url == f"sqlite:///{tmp_path.resolve() / 'state' / 'm.db'}"


def test_storage_url_with_an_unset_variable_is_refused(tmp_path):
    path = _write(tmp_path, '[storage]\nurl = "sqlite:///${CLI_TEST_UNSET_DIR}/m.db"\n')
    for command in ("check", "poll-once"):
        result = run_cli(command, "--config", str(path), )
        assert result.returncode == 2
        assert (f"{path}:4: storage url: environment variable(s) CLI_TEST_UNSET_DIR not set"
                in result.stderr.splitlines()), result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_misspelled_watchlist_and_entity_names_get_a_suggestion(tmp_path):
    path = _write(tmp_path, '[[subscribers]]\nname = "x"\nnotify = []\n'
                            'watchlists = ["ICEE"]\nentities = ["Amazn"]\n')
    result = run_cli("check", "--config", str(path))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    for line, what, wrong, right in ((6, "watchlist", "ICEE", "ICE"),
                                     (7, "entity", "Amazn", "Amazon")):
        assert (f"{path}:{line}: subscriber 'x' names unknown {what} {wrong!r} "
                f"(did you mean {right!r}?)") in lines, result.stderr
