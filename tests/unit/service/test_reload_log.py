"""A live reload's log line says what changed: feeds, watchlists, subscribers, settings."""

from __future__ import annotations

import re
import shutil
import signal

from tests.support.daemon import DaemonProcess, daemon_config, rss, wait_for
from tests.support.helpers import WATCHLISTS
from tests.support.servers import free_port

ACME = 'name = "Acme"\n[[entities]]\nname = "Acme Detention Services"\n'


def _reload_line(d: DaemonProcess, seen: int) -> str:
    """The reload line logged after the first ``seen`` ones."""
    lines = wait_for(lambda: [ln for ln in d.log().splitlines() if "reloaded (" in ln][seen:],
                     what="a new reload line")
    return lines[0]


def test_reload_log_line_says_what_changed(tmp_path, feed_server):
    watchlists = tmp_path / "watchlists"
    shutil.copytree(WATCHLISTS, watchlists)
    a, b, c = (feed_server.add(f"/{n}.xml", rss([])) for n in "abc")
    port = free_port()
    config = daemon_config(tmp_path, [(a, "1h"), (b, "1h")], port,
                           f"sqlite:///{tmp_path / 'm.db'}", watchlists)
    d = DaemonProcess(config, port).start()
    try:
        d.send(signal.SIGHUP)
        assert _reload_line(d, 0).endswith(
            "reloaded (SIGHUP): nothing changed; now 2 feeds, 5 watchlists, 0 subscribers")

        (watchlists / "acme.toml").write_text(ACME, encoding="utf-8")
        assert "reloaded (file change): watchlists added: Acme; now" in _reload_line(d, 1)

        ice = watchlists / "ice.toml"
        ice.write_text(re.sub(r'(?m)^description = ".*"$', 'description = "edited"',
                              ice.read_text(encoding="utf-8"), count=1), encoding="utf-8")
        assert "reloaded (file change): watchlists changed: ICE; now" in _reload_line(d, 2)

        edited = config.read_text(encoding="utf-8").replace(b, c).replace(
            'timeout = "10s"', 'timeout = "20s"')
        config.write_text(edited + '[[subscribers]]\nname = "desk"\n'
                                   'notify = ["json://127.0.0.1:9/x"]\n', encoding="utf-8")
        line = _reload_line(d, 3)
        assert (f"reloaded (file change): feeds added: {c}; feeds removed: {b}; "
                "subscribers added: desk; settings changed: [polling]; "
                "now 2 feeds, 6 watchlists, 1 subscribers") in line, line
    finally:
        d.kill()
