"""Notifiers decide and render; storage runs the queries, and ``monitor`` is never imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import notifiers

MODULES = sorted(Path(notifiers.__file__).parent.glob("*.py"))


def _imported(path: Path) -> set[str]:
    """Top-level package of every import in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module for node in ast.walk(tree)
              if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_notifier_module_leaves_sql_to_storage(path: Path) -> None:
    assert not _imported(path) & {"sqlalchemy", "monitor"}
