"""Each story's language, told offline by py3langid (langid.py's maintained fork: its model
ships in the wheel, short headlines are read well; see README "Languages" for the comparison)."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

SAMPLE_CHARS = 1000  # title and the start of the summary or body: enough, and bounded
_LETTER = re.compile(r"[^\W\d_]")


@cache
def _identifier() -> Any:
    """Loaded once per process (parse workers each hold one), on first use."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE)


def detect(title: str, summary: str = "", content: str = "") -> str | None:
    """ISO 639-1 code of the text's language; None when there are no words to tell it by."""
    text = f"{title}\n{summary or content}"[:SAMPLE_CHARS]
    if not _LETTER.search(text):
        return None
    language, _score = _identifier().classify(text)
    return str(language)


def known_languages() -> frozenset[str]:
    """The codes the detector can tell (what a subscriber's ``languages`` may name)."""
    return frozenset(str(code) for code in _identifier().nb_classes)
