"""The daemon's HTTP side: health, metrics, hits as JSON and Atom, a read-only page."""

from monitor.web.app import create_app
from monitor.web.server import HttpServer

__all__ = ["HttpServer", "create_app"]
