"""Each story's language, told offline by py3langid (langid.py's maintained fork: its model
ships in the wheel, short headlines are read well; see README "Languages" for the comparison)."""

from __future__ import annotations

import io
import lzma
import re
from array import array
from functools import cache
from typing import Any

SAMPLE_CHARS = 1000  # title and the start of the summary or body: enough, and bounded
_LETTER = re.compile(r"[^\W\d_]")


@cache
def _identifier() -> Any:
    """Loaded once per process, on first use, in memory: py3langid's own loader unpacks the
    model through a temporary file, which fails when the temporary folder is unusable."""
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    with lzma.open(MODEL_DIR / MODEL_FILE) as packed, np.load(
            io.BytesIO(packed.read()), allow_pickle=False) as data:
        return LanguageIdentifier(
            np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
            _array(data["nextmove"]), data["out_feat"].tolist(),
            tk_row=_array(data["nextmove_row"]))


def _array(values: Any) -> array[int]:
    """A NumPy unsigned array as the stdlib array py3langid walks."""
    out = array({2: "H", 4: "I", 8: "L"}[values.dtype.itemsize])
    out.frombytes(values.tobytes())
    return out


def preload() -> None:
    """Load the model now: the parse fork server does, so its workers share it (~115 MB)."""
    _identifier()


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
