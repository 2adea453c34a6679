"""Whether apprise can send to a notify URL; `monitor check` asks here before anything is sent."""

from __future__ import annotations


def notify_url_problem(url: str) -> str | None:
    """Why apprise would not accept ``url``, or None (the URL itself is never echoed: it holds
    secrets)."""
    # apprise loads all its plugins: only a config with notify URLs pays for that
    import apprise

    from notifiers.sender import apprise_said

    scheme = url.split("://", 1)[0] if "://" in url else ""
    if not scheme:
        return "notify entry is not a URL (expected scheme://...)"
    with apprise_said():
        accepted = apprise.Apprise().add(url)
    return None if accepted else f"apprise does not accept this {scheme}:// URL"
