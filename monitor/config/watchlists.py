"""Watchlists: one TOML file per list, validated so `monitor check` can point at file:line."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from monitor.config.problems import InvalidFiles, Problem, Reader, read_toml
from monitor.matching.normalize import alias_keys, matches_most_stories
from monitor.text import CONTROL_CHARS

FIELDS = ("title", "summary", "content")
DEFAULT_MIN_SCORE = 0.8
MAX_TYPO = 3
MAX_NAME = 256  # hits.watchlist holds this many characters


@dataclass(frozen=True)
class Entity:
    """An organisation and the rules a researcher wrote for recognising it."""

    name: str
    aliases: tuple[str, ...] = ()
    case_sensitive: tuple[str, ...] = ()
    require_context: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    exclude_phrases: tuple[str, ...] = ()
    exclude_context: tuple[str, ...] = ()
    typo_tolerance: int | None = None
    min_score: float = DEFAULT_MIN_SCORE
    fields: tuple[str, ...] = FIELDS
    ambiguous: tuple[str, ...] = ()
    namesake_context: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The entity name followed by its aliases, without duplicates."""
        return tuple(dict.fromkeys((self.name, *self.aliases)))


@dataclass(frozen=True)
class Watchlist:
    """A named group of entities loaded from one file."""

    name: str
    description: str
    entities: tuple[Entity, ...]
    path: str


TOP_KEYS = {f.name for f in fields(Watchlist)} - {"path"}  # a watchlist file's keys
ENTITY_KEYS = {f.name for f in fields(Entity)}  # an [[entities]] entry's keys


class _FileChecker(Reader):
    """Reads one watchlist file; positions come from LineFinder because tomllib drops them."""

    def strings(self, value: Any, key: str, line: int, where: str) -> tuple[str, ...] | None:
        """A list of non-empty strings, or None after reporting why not."""
        at = self.lines.key(key, line)
        if not isinstance(value, list):
            self.error(at, f"{where}: '{key}' must be a list of strings")
            return None
        out: list[str] = []
        for item in value:
            if not isinstance(item, str):
                self.error(at, f"{where}: '{key}' must contain only strings, got {item!r}")
                return None
            if not item.strip():
                self.error(at, f"{where}: '{key}' contains an empty string")
                return None
            out.append(item.strip())
        return tuple(out)

    def entity(self, raw: Any, index: int) -> Entity | None:
        line = self.lines.table("entities", index)
        where = f"entity #{index + 1}"
        if not isinstance(raw, dict):
            self.error(line, f"{where}: must be a table")
            return None
        before = len(self.problems)
        name = raw.get("name")
        if isinstance(name, str) and name.strip():
            name = name.strip()
            where = f"entity '{name}'"
        self.unknown_keys(raw, ENTITY_KEYS, line,
                          lambda key, hint: f"{where}: unknown key '{key}'{hint}")
        if not isinstance(name, str) or not name:
            self.error(line, f"{where}: missing or empty 'name'")
            return None
        lists: dict[str, tuple[str, ...]] = {}
        for key in ("aliases", "case_sensitive", "require_context", "context",
                    "exclude_phrases", "exclude_context", "fields", "ambiguous",
                    "namesake_context"):
            if key in raw:
                got = self.strings(raw[key], key, line, where)
                lists[key] = got if got is not None else ()
        names = tuple(dict.fromkeys((name, *lists.get("aliases", ()))))
        self._check_aliases(names, lists, line, where)
        for key in ("case_sensitive", "require_context", "ambiguous"):
            for alias in lists.get(key, ()):
                if alias not in names:
                    self.error(self.lines.key(key, line),
                             f"{where}: '{key}' lists {alias!r}, which is not the name or an alias")
        if lists.get("require_context") and not lists.get("context"):
            self.error(self.lines.key("require_context", line),
                     f"{where}: 'require_context' needs a non-empty 'context' list")
        self._check_sense(lists, line, where)
        self._check_phrases(lists, names, line, where)
        for field in lists.get("fields", ()):
            if field not in FIELDS:
                self.error(self.lines.key("fields", line),
                         f"{where}: unknown field {field!r} (use {', '.join(FIELDS)})")
        if "fields" in raw and not lists.get("fields"):
            self.error(self.lines.key("fields", line), f"{where}: 'fields' must not be empty")
        tolerance = self._typo(raw, line, where)
        min_score = self._min_score(raw, line, where)
        if len(self.problems) > before:
            return None
        return Entity(
            name=name,
            aliases=lists.get("aliases", ()),
            case_sensitive=lists.get("case_sensitive", ()),
            require_context=lists.get("require_context", ()),
            context=lists.get("context", ()),
            exclude_phrases=lists.get("exclude_phrases", ()),
            exclude_context=lists.get("exclude_context", ()),
            typo_tolerance=tolerance,
            min_score=min_score,
            fields=lists.get("fields", FIELDS),
            ambiguous=lists.get("ambiguous", ()),
            namesake_context=lists.get("namesake_context", ()),
        )

    def _check_aliases(self, names: tuple[str, ...], lists: dict[str, tuple[str, ...]],
                       line: int, where: str) -> None:
        """Every name needs letters; one of only stop words or single letters ("I", "The",
        "(a+)+$") would match most stories, so it must be listed in ``case_sensitive``."""
        cased = set(lists.get("case_sensitive", ()))
        for alias in names:
            at = self.lines.key("aliases" if alias in lists.get("aliases", ()) else "name", line)
            keys = alias_keys(alias)
            if not keys:
                self.error(at, f"{where}: alias {alias!r} has no letters")
            elif alias not in cased and matches_most_stories(keys):
                self.error(at, f"{where}: alias {alias!r} is only stop words or single letters "
                         "and would match most stories; list it in 'case_sensitive' (matched "
                         "as written) or use a longer form")

    def _check_phrases(self, lists: dict[str, tuple[str, ...]], names: tuple[str, ...],
                       line: int, where: str) -> None:
        """Each exclude phrase must contain an alias, else it could never veto an occurrence."""
        alias_seqs = [alias_keys(a) for a in names]
        for phrase in lists.get("exclude_phrases", ()):
            keys = alias_keys(phrase)
            if not any(_contains(keys, seq) for seq in alias_seqs if seq):
                self.error(self.lines.key("exclude_phrases", line),
                         f"{where}: exclude phrase {phrase!r} contains no alias "
                         "(use 'exclude_context' for words elsewhere in the story)")
        for key in ("context", "exclude_context", "namesake_context"):
            for phrase in lists.get(key, ()):
                if not alias_keys(phrase.rstrip("*")):
                    self.error(self.lines.key(key, line),
                               f"{where}: {key} {phrase!r} has no letters")

    def _check_sense(self, lists: dict[str, tuple[str, ...]], line: int, where: str) -> None:
        """The sense test weighs namesake words against ``context`` words: it needs both, and
        something to judge (``ambiguous`` aliases, or ``namesake_context`` judging nothing)."""
        if lists.get("ambiguous") and not lists.get("namesake_context"):
            self.error(self.lines.key("ambiguous", line),
                       f"{where}: 'ambiguous' needs a non-empty 'namesake_context' list")
        if lists.get("namesake_context") and not lists.get("context"):
            self.error(self.lines.key("namesake_context", line),
                       f"{where}: 'namesake_context' needs a 'context' list (the words that "
                       "point to this entity) to be weighed against")
        if lists.get("namesake_context") and not (
                lists.get("ambiguous") or lists.get("case_sensitive")
                or lists.get("require_context")):
            self.error(self.lines.key("namesake_context", line),
                       f"{where}: 'namesake_context' judges only ambiguous aliases: list them "
                       "in 'ambiguous' (or 'case_sensitive'/'require_context')")
        overlap = {p.casefold() for p in lists.get("context", ())} & {
            p.casefold() for p in lists.get("namesake_context", ())}
        if overlap:
            self.error(self.lines.key("namesake_context", line),
                       f"{where}: {sorted(overlap)[0]!r} is in both 'context' and "
                       "'namesake_context'")

    def _typo(self, raw: dict[str, Any], line: int, where: str) -> int | None:
        value = raw.get("typo_tolerance", "auto")
        if value == "auto":
            return None
        if value == "off":
            return 0
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TYPO:
            return value
        self.error(self.lines.key("typo_tolerance", line),
                 f"{where}: 'typo_tolerance' must be \"auto\", \"off\" or 0..{MAX_TYPO}, "
                 f"got {value!r}")
        return None

    def _min_score(self, raw: dict[str, Any], line: int, where: str) -> float:
        value = raw.get("min_score", DEFAULT_MIN_SCORE)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 1:
            return float(value)
        self.error(self.lines.key("min_score", line),
                 f"{where}: 'min_score' must be a number in (0, 1], got {value!r}")
        return DEFAULT_MIN_SCORE

    def watchlist(self, data: dict[str, Any]) -> Watchlist | None:
        self.unknown_keys(data, TOP_KEYS, 0, lambda key, hint: f"unknown key '{key}'{hint}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            self.error(self.lines.key("name") or 1, "missing or empty watchlist 'name'")
        elif reason := _name_problem(name.strip()):
            self.error(self.lines.key("name") or 1, reason)
        description = data.get("description", "")
        if not isinstance(description, str):
            self.error(self.lines.key("description"), "'description' must be a string")
        raw_entities = data.get("entities")
        entities: list[Entity] = []
        if not isinstance(raw_entities, list) or not raw_entities:
            self.error(self.lines.key("entities") or 1, "no [[entities]] defined")
        else:
            seen: set[str] = set()
            for index, raw in enumerate(raw_entities):
                entity = self.entity(raw, index)
                if entity is None:
                    continue
                if entity.name in seen:
                    self.error(self.lines.table("entities", index),
                             f"duplicate entity name '{entity.name}'")
                seen.add(entity.name)
                entities.append(entity)
        if self.problems:
            return None
        return Watchlist(str(name).strip(), str(description), tuple(entities), self.file)


def _name_problem(name: str) -> str | None:
    """Why a watchlist name cannot be stored or be one segment of its Atom URL, or None."""
    if name in (".", ".."):
        return f"watchlist name {name!r} cannot be a URL path segment: choose another"
    if CONTROL_CHARS.search(name):
        return f"watchlist name {name!r} contains a control character"
    if len(name) > MAX_NAME:
        return f"watchlist name is longer than {MAX_NAME} characters"
    return None


def _contains(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    n = len(needle)
    return any(haystack[i:i + n] == needle for i in range(len(haystack) - n + 1))


def check_watchlists(directory: Path) -> tuple[list[Watchlist], list[Problem]]:
    """Load every ``*.toml`` in ``directory``; bad content becomes Problems, never exceptions."""
    directory = Path(directory)
    if not directory.is_dir():
        return [], [Problem(str(directory), 0, "watchlist directory not found")]
    watchlists: list[Watchlist] = []
    problems: list[Problem] = []
    owners: dict[str, str] = {}  # by casefolded name: URLs find watchlists in any case
    for path in sorted(directory.glob("*.toml")):
        read = read_toml(path, "file")
        if isinstance(read, Problem):
            problems.append(read)
            continue
        text, data = read
        checker = _FileChecker(path, text)
        watchlist = checker.watchlist(data)
        problems.extend(checker.problems)
        if watchlist is None:
            continue
        if (key := watchlist.name.casefold()) in owners:
            problems.append(Problem(str(path), checker.lines.key("name") or 1,
                                    f"duplicate watchlist name '{watchlist.name}' "
                                    f"(also in {owners[key]}; names differ in more than case)"))
            continue
        owners[key] = str(path)
        watchlists.append(watchlist)
    return watchlists, problems


def load_watchlists(directory: Path) -> list[Watchlist]:
    """Load watchlists or raise InvalidFiles listing every problem."""
    watchlists, problems = check_watchlists(directory)
    if problems:
        raise InvalidFiles(problems)
    return watchlists
