"""Organisation matching: typo-tolerant, rule-checked and explainable."""

from monitor.matching.engine import Matcher
from monitor.matching.results import Match, NearMiss

__all__ = ["Match", "Matcher", "NearMiss"]
