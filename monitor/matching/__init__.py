"""Organisation matching: typo-tolerant, rule-checked and explainable."""

from monitor.matching.engine import Hit, Matcher, NearMiss
from monitor.matching.stream import match_stream

__all__ = ["Hit", "Matcher", "NearMiss", "match_stream"]
