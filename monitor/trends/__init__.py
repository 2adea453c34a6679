"""Trends: stories per entity per hour and day, spikes against each entity's own baseline,
and spike alerts (once per burst) to subscribers with ``spikes = true``."""
