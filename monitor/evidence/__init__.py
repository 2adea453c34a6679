"""Evidence: the page of every story with a hit as fetched (raw bytes, SHA-256, headers), a
WARC of it, Wayback Machine captures, and rechecks that notice edits and removals."""
