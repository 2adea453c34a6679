"""Did a story's page change beyond trivial edits? Whitespace, case, punctuation around words,
times ("10:42 a.m. ET", "3 hours ago", "2h ago"), dates in a stamp ("Updated Monday May 3") or
at the top of the body, and share or comment counts are not changes; words, other numbers
(12.50) and dates in the story ("on May 30") are.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
NUMBER = r"\d[\d.,]*\s*[km]?"
CLOCK = (r"\d{1,2}:\d{2}(?::\d{2})?\s*(?:[ap]\.?m\.?)?(?:\s*(?:[a-z]{1,4}t|utc|gmt)\b)?"
         r"|\d{1,2}(?:\.\d{2})?\s*[ap]\.?m\.?(?:\s*(?:[a-z]{1,4}t|utc|gmt)\b)?")
DATE = (rf"{DAYS}|{MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
        rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTHS}(?:,?\s+\d{{4}})?"
        r"|\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2})?)?")
STAMP = rf"(?:(?:{DATE}|{CLOCK})(?![\w])[\s,|·•–—-]*)+"  # a run of dates and times
TRIVIA = [re.compile(p, re.IGNORECASE) for p in (
    # a date counts as trivia only in a stamp: after updated/published or at the top of the body
    rf"\b(?:updated|published|posted|modified|last updated)\s*(?:on|at)?\s*:?\s*(?:{STAMP})?",
    rf"^\s*{STAMP}",
    r"\b\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2})?\b",
    rf"\b(?:{CLOCK})(?!\w)",  # a time needs a colon or am/pm, so 12.50 stays a number
    r"\b(?:\d+|an?|one)\s+(?:second|minute|min|hour|hr|day|week|month|year)s?\s+ago\b",
    r"\b\d+\s*(?:[smhdw]|mins?|hrs?)\s+ago\b",
    r"\b(?:just now|yesterday|today)\b",
    rf"\b{NUMBER}\s*(?:shares?|comments?|likes?|views?|reactions?|retweets?|reposts?|"
    r"replies|reads?)\b",
    rf"\b(?:shares?|comments?|likes?|views?)\s*:?\s*\(?{NUMBER}\)?",
)]
PUNCTUATION = "\"'\u2018\u2019\u201c\u201d.,;:!?()[]{}|·•–—-/*…"  # trimmed off every word
DIFF_LINES = 12
DIFF_CHARS = 1200


def normalized(text: str) -> str:
    """``text`` without what changes on every visit: case, spacing, times, counters, and the
    punctuation they leave behind."""
    text = text.casefold()
    for pattern in TRIVIA:
        text = pattern.sub(" ", text)
    words = (w.strip(PUNCTUATION) for w in text.split())
    return " ".join(w for w in words if w)


@dataclass(frozen=True)
class Change:
    """What changed between two versions of a page, for the version row and the alert."""

    kind: str  # edited, removed or redirected
    old_title: str = ""
    new_title: str = ""
    diff: str = ""
    status: int | None = None
    final_url: str = ""

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in self.__dict__.items() if v not in ("", None)})

    @classmethod
    def from_json(cls, text: str) -> Change | None:
        return cls(**json.loads(text)) if text else None

    @property
    def summary(self) -> str:
        """One line: "removed (404)", "headline changed", "body changed"."""
        if self.kind == "removed":
            return f"removed ({self.status})" if self.status else "removed"
        if self.kind == "redirected":
            return f"now redirects to {self.final_url}"
        parts = (["headline changed"] if normalized(self.old_title) != normalized(self.new_title)
                 else []) + (["body changed"] if self.diff else [])
        return ", ".join(parts) or "edited"


def sentences(text: str) -> list[str]:
    """The text cut into sentences (one diff line each), spacing collapsed."""
    flat = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[\"'A-Z0-9\u201c])", flat) if s]


def body_diff(old: str, new: str) -> str:
    """A short diff of two bodies, sentence by sentence: "- removed" and "+ added" lines."""
    a = [s for s in sentences(old)]
    b = [s for s in sentences(new)]
    na, nb = [normalized(s) for s in a], [normalized(s) for s in b]
    lines: list[str] = []
    matcher = difflib.SequenceMatcher(a=na, b=nb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        lines += [f"- {s}" for s in a[i1:i2]] + [f"+ {s}" for s in b[j1:j2]]
    if len(lines) > DIFF_LINES:
        lines = [*lines[:DIFF_LINES], f"… {len(lines) - DIFF_LINES} more changed sentences"]
    out = "\n".join(lines)
    return out if len(out) <= DIFF_CHARS else out[:DIFF_CHARS - 1].rstrip() + "…"


def compare(old_title: str, old_text: str, new_title: str, new_text: str) -> Change | None:
    """The change from the old headline and body to the new; None when only trivia differ."""
    title_changed = normalized(old_title) != normalized(new_title)
    body_changed = normalized(old_text) != normalized(new_text)
    if not (title_changed or body_changed):
        return None
    return Change("edited", old_title=old_title, new_title=new_title,
                  diff=body_diff(old_text, new_text) if body_changed else "")
