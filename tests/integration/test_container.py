"""The Dockerfile's steps, exercised in a plain venv (no Docker engine on CI machines)."""

from __future__ import annotations

import json
import re
import shlex
import subprocess

from tests.support.helpers import ROOT, run_cli

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instruction(name: str) -> list[str]:
    """Every argument of the instruction ``name`` (continuation lines joined)."""
    text = DOCKERFILE.replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*)$", text, re.M)]


def test_base_is_slim_python_and_user_is_not_root():
    assert re.match(r"python:3\.1[1-9]-slim", _instruction("FROM")[0])
    users = _instruction("USER")
    assert users and users[-1] not in ("root", "0")


def test_cmd_and_healthcheck_are_real_commands():
    assert json.loads(_instruction("CMD")[-1]) == ["monitor", "run"]
    health = _instruction("HEALTHCHECK")[0]
    command = json.loads(health.split("CMD", 1)[1].strip())
    assert command[0] == "monitor"
    help_text = run_cli("--help").stdout
    assert command[1] in help_text


def test_volumes_cover_database_and_watchlists():
    volumes = json.loads(_instruction("VOLUME")[0])
    assert "/data" in volumes and "/app/watchlists" in volumes


def test_image_config_step_produces_a_valid_config(tmp_path):
    """Run the Dockerfile's sed step and check the result as the image would."""
    run_steps = [r for r in _instruction("RUN") if "config.example.toml" in r]
    sed = run_steps[0].split("&&")[0].strip()
    (tmp_path / "watchlists").symlink_to(ROOT / "watchlists")
    (tmp_path / "config.example.toml").write_text((ROOT / "config.example.toml").read_text())
    subprocess.run(sed, shell=True, cwd=tmp_path, check=True)
    config = (tmp_path / "config.toml").read_text()
    assert 'url = "sqlite:////data/monitor.db"' in config
    result = run_cli("check", "--config", str(tmp_path / "config.toml"))
    assert result.returncode == 0, result.stderr


def test_copied_sources_are_the_packages():
    copies = [shlex.split(c)[0] for c in _instruction("COPY")]
    for package in ("monitor", "storage", "notifiers", "watchlists"):
        assert package in copies
