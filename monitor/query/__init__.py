"""Boolean queries over stories (AND, OR, NOT, "phrases", prefixes*, NEAR/n, entity terms):
pure, so subscribers' routing, ``monitor hits``, the API, backtests and the page share them."""

from monitor.query.evaluate import Document, Found, Located, Query, document, locate
from monitor.query.stories import stored_document, story_document
from monitor.query.syntax import QueryError, parse

__all__ = ["Document", "Found", "Located", "Query", "QueryError", "document", "locate", "parse",
           "stored_document", "story_document"]
