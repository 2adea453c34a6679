"""``[http]`` in the config: validated with file:line like every other key."""

from __future__ import annotations

import pytest

from monitor.config import check_config
from tests.support.helpers import run_cli, write_config


@pytest.mark.parametrize(("body", "line", "fragment"), [
    ('[http]\nlisten = "8080"', 2, 'listen must be "host:port"'),
    ('[http]\nlisten = "127.0.0.1:99999"', 2, 'listen must be "host:port"'),
    ('[http]\nlisten = ":8080"', 2, 'listen must be "host:port"'),
    ('[http]\nlisten = 8080', 2, "listen must be a string"),
    ('[http]\nlisten = "127.0.0.1:8080"\nport = 1', 3, "unknown key 'port' in [http]"),
    ('[http]\nlisten = "127.0.0.1:8080"\ntoken = "short"', 3, "at least 16 characters"),
    ('[http]\npublic_url = "monitor.example.org"', 2, "public_url must be an http://"),
    ('[http]\npublic_url = "https://m.example/?a=1"', 2, "without query or fragment"),
    ('[http]\nmax_connections = 0', 2, "max_connections must be a positive integer"),
    ('[http]\nheader_timeout = "soon"', 2, "header_timeout: expected a duration"),
])
def test_bad_http_table_is_reported_with_line(tmp_path, body, line, fragment):
    path = tmp_path / "config.toml"
    path.write_text(body + "\n", encoding="utf-8")
    _, problems = check_config(path)
    assert [(p.line, fragment in p.message) for p in problems] == [(line, True)], problems


def test_http_is_off_by_default_and_parsed_when_set(tmp_path, monkeypatch):
    off = write_config(tmp_path, [])
    config, problems = check_config(off)
    assert not problems and config.http.listen is None and config.http.token is None

    monkeypatch.setenv("HTTP_TOKEN_FOR_TEST", "t" * 20)
    on = tmp_path / "on.toml"
    on.write_text('[http]\nlisten = "[::1]:9090"\ntoken = "${HTTP_TOKEN_FOR_TEST}"\n')
    config, problems = check_config(on)
    assert not problems
    assert config.http.host_port == ("::1", 9090)
    assert config.http.token == "t" * 20 and "t" * 20 in config.secrets()

    limits = tmp_path / "limits.toml"
    limits.write_text('[http]\npublic_url = "https://m.example/ice"\nmax_connections = 5\n'
                      'header_timeout = "3s"\n')
    config, problems = check_config(limits)
    assert not problems
    assert (config.http.public_url, config.http.max_connections, config.http.header_timeout) == (
        "https://m.example/ice/", 5, 3.0)


def test_check_cli_prints_http_problems(tmp_path):
    config = write_config(tmp_path, [], extra='[http]\nlisten = "localhost"')
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert f"{config}:8: listen must be" in result.stderr
