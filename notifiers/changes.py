"""What a change alert says: the story's page was edited beyond trivia, now redirects
elsewhere, or was removed; sent once per new version to subscribers with ``changes = true``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeNote:
    """Everything a change message needs; ``kind`` is edited, redirected or removed."""

    title: str
    link: str | None
    kind: str
    summary: str
    old_title: str = ""
    new_title: str = ""
    diff: str = ""
    status: int | None = None
    final_url: str = ""
    version: int = 0
    archive: str | None = None

    @property
    def title_changed(self) -> bool:
        return bool(self.new_title) and self.old_title != self.new_title

    @property
    def diff_lines(self) -> list[str]:
        return self.diff.splitlines()
