"""The house rules, read from the source: module size, import cycles, private names, layers.

Pure ``ast`` and file walks (nothing is imported), so a rule broken anywhere fails here by name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("monitor", "storage", "notifiers")
MAX_LINES = 400


@dataclass(frozen=True)
class Import:
    """One import statement's target: the module it loads and the name it takes from it."""

    module: str
    name: str | None
    line: int
    type_only: bool


@dataclass
class Module:
    """One first-party source file: its dotted name, syntax tree and the imports it makes."""

    name: str
    path: Path
    tree: ast.Module
    is_package: bool
    imports: list[Import] = field(default_factory=list)

    @property
    def rel(self) -> str:
        """The file's path from the repository root, as a failure names it."""
        return self.path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> tuple[str, bool]:
    """Dotted module name of a file under ROOT, and whether it is a package's ``__init__``."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def source_files(top: str) -> Iterator[Path]:
    """Every ``.py`` file under one top-level folder of the repository."""
    yield from sorted((ROOT / top).rglob("*.py"))


@cache
def modules(tops: tuple[str, ...] = PACKAGES) -> dict[str, Module]:
    """First-party modules by dotted name, their imports resolved to dotted module names."""
    found: dict[str, Module] = {}
    for top in tops:
        for path in source_files(top):
            name, is_package = module_name(path)
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            found[name] = Module(name, path, tree, is_package)
    for module in found.values():
        module.imports = list(imports_of(module, found))
    return found


def type_checking_lines(tree: ast.Module) -> set[int]:
    """Lines inside ``if TYPE_CHECKING:`` blocks: imports there never run."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _names_type_checking(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _names_type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def resolve_relative(module: Module, level: int, target: str | None) -> str:
    """Absolute dotted name of a relative ``from`` import made in ``module``."""
    package = module.name.split(".")
    if not module.is_package:
        package.pop()
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, target] if target else base)


def imports_of(module: Module, known: dict[str, Module]) -> Iterator[Import]:
    """Every import in ``module`` (function-level ones too), as the module each one loads."""
    hidden = type_checking_lines(module.tree)
    for node in ast.walk(module.tree):
        type_only = getattr(node, "lineno", 0) in hidden
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(alias.name, None, node.lineno, type_only)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = resolve_relative(module, node.level, node.module)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    yield Import(submodule, None, node.lineno, type_only)
                else:
                    yield Import(base, alias.name, node.lineno, type_only)


def is_first_party(name: str) -> bool:
    """True for a dotted name inside one of our packages."""
    return name.split(".")[0] in PACKAGES


def is_private(name: str) -> bool:
    """``_name`` is private; dunders (``__version__``, ``__init__``) are not."""
    return name.startswith("_") and not name.startswith("__")


def test_no_module_over_the_size_limit() -> None:
    too_long = {
        m.rel: lines
        for m in modules().values()
        if (lines := len(m.path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"modules over {MAX_LINES} lines: {too_long}"


def import_graph(include_type_only: bool = False) -> dict[str, set[str]]:
    """Module -> first-party modules it imports (at run time unless ``include_type_only``)."""
    known = modules()
    graph: dict[str, set[str]] = {name: set() for name in known}
    for module in known.values():
        for imp in module.imports:
            wanted = include_type_only or not imp.type_only
            if wanted and imp.module in known and imp.module != module.name:
                graph[module.name].add(imp.module)
    return graph


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's components of more than one module: each holds at least one import cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def one_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """A shortest import path from the component's first module back to itself, for the message."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    return component


def test_strongly_connected_finds_a_cycle_and_names_it() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    [component] = strongly_connected(graph)
    assert component == ["a", "b", "c"]
    assert one_cycle(graph, component) == ["a", "b", "c", "a"]
    assert strongly_connected({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = [" -> ".join(one_cycle(graph, c)) for c in strongly_connected(graph)]
    assert not cycles, "import cycles (function-level imports included):\n" + "\n".join(cycles)


def module_aliases(module: Module, known: dict[str, Module]) -> dict[str, str]:
    """Local names bound to first-party modules: ``import a.b`` binds ``a``; ``as`` its alias."""
    aliases: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_first_party(alias.name):
                    local = alias.asname or alias.name.split(".")[0]
                    aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = resolve_relative(module, node.level, node.module)
            for alias in node.names:
                if f"{base}.{alias.name}" in known:
                    aliases[alias.asname or alias.name] = f"{base}.{alias.name}"
    return aliases


def dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ``["a", "b", "c"]``; None for anything but names and attributes."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def private_uses(module: Module, known: dict[str, Module]) -> Iterator[str]:
    """``from x import _y`` and ``x._y`` where ``x`` is another first-party module."""
    for imp in module.imports:
        if not is_first_party(imp.module) or imp.module == module.name:
            continue
        last = imp.name or imp.module.rsplit(".", 1)[-1]
        if is_private(last):
            yield f"{module.rel}:{imp.line} imports {imp.module}:{last}"
    aliases = module_aliases(module, known)
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Attribute) or not is_private(node.attr):
            continue
        parts = dotted(node.value)
        if not parts or parts[0] not in aliases:
            continue
        target = ".".join([aliases[parts[0]], *parts[1:]])
        if target in known and target != module.name:
            yield f"{module.rel}:{node.lineno} uses {target}.{node.attr}"


def test_private_use_finder_sees_both_forms_and_only_first_party() -> None:
    source = (
        "import sys\nimport monitor.text\nfrom monitor import text as t\n"
        "from monitor.text import _hidden, collapse\n"
        "sys._getframe(); monitor.text._x; t._y; t.collapse; monitor.text.__name__\n"
    )
    here = Module("tests.fake", ROOT / "tests" / "fake.py", ast.parse(source), False)
    known = {**modules(), here.name: here}
    here.imports = list(imports_of(here, known))
    assert list(private_uses(here, known)) == [
        "tests/fake.py:4 imports monitor.text:_hidden",
        "tests/fake.py:5 uses monitor.text._x",
        "tests/fake.py:5 uses monitor.text._y",
    ]


def test_no_private_name_imported_from_another_module() -> None:
    known = modules(("monitor", "storage", "notifiers", "tests", "bench"))
    found = [use for m in known.values() for use in private_uses(m, known)]
    assert not found, "private names used across modules:\n" + "\n".join(found)


def test_storage_and_notifiers_never_import_monitor() -> None:
    found = sorted({
        f"{m.rel}:{imp.line} imports {imp.module}"
        for m in modules().values()
        if m.name.split(".")[0] in ("storage", "notifiers")
        for imp in m.imports
        if imp.module.split(".")[0] == "monitor"
    })
    assert not found, "storage and notifiers import monitor:\n" + "\n".join(found)


def test_only_storage_imports_sqlalchemy() -> None:
    found = sorted({
        f"{m.rel}:{imp.line}"
        for m in modules().values()
        if m.name.split(".")[0] != "storage"
        for imp in m.imports
        if imp.module.split(".")[0] == "sqlalchemy"
    })
    assert not found, "sqlalchemy imported outside storage/:\n" + "\n".join(found)
