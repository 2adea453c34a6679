"""``[evidence]`` and ``changes = true`` are checked like every key: bad values refused at
their line, the Save Page Now keys kept secret."""

from __future__ import annotations

from monitor.config.load import check_config
from tests.support.delivery_helpers import config


def problems_of(tmp_path, evidence: str, changes: str = "true"):
    path = config(tmp_path, [], [{"name": "desk", "notify": ["json://127.0.0.1:9/hook"]}],
                  "sqlite:///m.db")
    text = path.read_text() + f"changes = {changes}\n[evidence]\n{evidence}"
    path.write_text(text)
    cfg, problems = check_config(path)
    lines = text.splitlines()
    return cfg, [(lines[p.line - 1].split("=")[0].strip() if p.line else "", p.message)
                 for p in problems]


def test_good_values_are_read(tmp_path, monkeypatch):
    monkeypatch.setenv("IA_KEYS", "acc:sec")
    cfg, problems = problems_of(tmp_path, 'keep = true\nrecheck = ["30m", "2d"]\nwayback = true\n'
                                          'wayback_key = "${IA_KEYS}"\n')
    assert problems == []
    assert cfg is not None and cfg.evidence.recheck == (1800.0, 172800.0)
    assert cfg.evidence.wayback_key == "acc:sec" and "acc:sec" in cfg.secrets()
    assert cfg.subscribers[0].changes is True


def test_bad_values_are_refused_at_their_line(tmp_path):
    _, problems = problems_of(tmp_path, 'keep = "yes"\nrecheck = ["24h", "1h"]\n'
                                        'wayback_url = "ftp://archive"\nwayback_key = "nocolon"\n',
                              changes='"yes"')
    keys = [k for k, _ in problems]
    assert keys == ["changes", "keep", "recheck", "wayback_url", "wayback_key"], problems
    assert "each delay after the one before" in problems[2][1]
