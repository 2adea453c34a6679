"""Delivery: apprise channels, message templates and the outbox that never loses an alert."""

from notifiers.channels import Channel, Recipient, channel_id

__all__ = ["Channel", "Recipient", "channel_id"]
