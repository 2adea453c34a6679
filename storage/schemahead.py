"""Is the database already at the code's schema revision? Answered without Alembic.

Importing Alembic (and Mako, Pygments through it) costs a command ~0.2 s; every start but an
upgrade finds the schema current, so this answers that case with one SELECT and the revision
lines of the packaged scripts. Anything unusual (several heads, a script this module cannot
read, no version table) answers "not known to be current": ``storage.migrate`` decides then.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from storage.readonly import reading

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]\s*$", re.M)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)
_QUOTED = re.compile(r"['\"]([^'\"]+)['\"]")


def packaged_head() -> str | None:
    """The one head revision of the packaged scripts; None when there is not exactly one or
    a script does not spell its revisions as plain literals."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(source), _DOWN.findall(source)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        parents.update(_QUOTED.findall(down[0]))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def at_head(engine: Engine) -> bool:
    """True when the database records exactly the packaged head revision."""
    head = packaged_head()
    if head is None:
        return False
    try:
        with reading(engine).connect() as conn:
            found = list(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError:
        return False
    return found == [head]
