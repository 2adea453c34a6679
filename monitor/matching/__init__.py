"""Organisation matching: typo-tolerant, rule-checked and explainable."""

from monitor.matching.engine import Match, Matcher, NearMiss

__all__ = ["Match", "Matcher", "NearMiss"]
