"""``[trends]`` and the subscriber's ``spikes`` are checked like every key: file:line, why."""

from __future__ import annotations

from tests.support.helpers import run_cli, write_config


def test_bad_trend_keys_are_refused_with_their_lines(tmp_path):
    path = write_config(tmp_path, [], extra='[trends]\nbaseline = "four weeks"\nmin_count = 0')
    with path.open("a", encoding="utf-8") as f:
        f.write('[[subscribers]]\nname = "desk"\nnotify = ["json://127.0.0.1:9/hook"]\n'
                'spikes = "yes"\n')
    lines = path.read_text().splitlines()
    done = run_cli("check", "--config", str(path))
    assert done.returncode == 2
    for key, why in (("baseline", "baseline:"), ("min_count", "positive integer"),
                     ("spikes", "true or false")):
        line = next(n for n, text in enumerate(lines, 1) if text.startswith(key))
        assert any(out.startswith(f"{path}:{line}:") and why in out
                   for out in done.stderr.splitlines()), (key, done.stderr)


def test_good_trend_keys_pass(tmp_path):
    path = write_config(tmp_path, [], extra='[trends]\nbaseline = "14d"\nmin_count = 3')
    with path.open("a", encoding="utf-8") as f:
        f.write('[[subscribers]]\nname = "desk"\nnotify = ["json://127.0.0.1:9/hook"]\n'
                "spikes = true\n")
    done = run_cli("check", "--config", str(path))
    assert done.returncode == 0, done.stderr
