"""Watchlist loading and validation: every problem is reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config.problems import InvalidFiles
from monitor.config.watchlists import check_watchlists, load_watchlists
from tests.support.helpers import run_cli

ROOT = Path(__file__).resolve().parents[3]
DATA = Path(__file__).resolve().parents[2] / "data"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_shipped_watchlists_load() -> None:
    watchlists = load_watchlists(ROOT / "watchlists")
    names = {w.name for w in watchlists}
    assert names == {"Amazon", "ICE", "Wayfair", "CoreCivic", "GEO Group"}
    for wl in watchlists:
        assert [e.name for e in wl.entities] == [wl.name]
        assert wl.description


def test_minimal_issue_schema_loads(tmp_path: Path) -> None:
    _write(tmp_path, "ice.toml", 'name = "ICE"\ndescription = "d"\n\n[[entities]]\nname = "ICE"\n'
           'aliases = ["Immigration and Customs Enforcement"]\n')
    [wl] = load_watchlists(tmp_path)
    entity = wl.entities[0]
    assert entity.names == ("ICE", "Immigration and Customs Enforcement")
    assert entity.typo_tolerance is None
    assert entity.fields == ("title", "summary", "content")


def test_bad_rules_are_reported_with_lines() -> None:
    _, problems = check_watchlists(DATA / "watchlists_bad")
    lines = {(Path(p.file).name, p.line) for p in problems}
    assert ("rules.toml", 2) in lines  # unknown top-level key
    assert ("rules.toml", 6) in lines  # empty alias
    assert ("rules.toml", 17) in lines  # unknown entity key
    assert ("rules.toml", 11) in lines  # case_sensitive names no alias
    assert ("rules.toml", 13) in lines  # typo_tolerance out of range
    assert ("rules.toml", 14) in lines  # min_score out of range
    assert ("rules.toml", 15) in lines  # unknown field
    assert ("rules.toml", 16) in lines  # exclude phrase without alias
    assert ("rules.toml", 19) in lines  # entity without a name
    assert ("syntax.toml", 5) in lines
    assert any("TOML syntax" in p.message for p in problems)


def test_duplicate_watchlist_names_across_files() -> None:
    watchlists, problems = check_watchlists(DATA / "watchlists_dup")
    assert [w.name for w in watchlists] == ["Same"]
    [problem] = problems
    assert problem.file.endswith("b.toml") and problem.line == 2
    assert "duplicate watchlist name 'Same'" in problem.message


def test_load_raises_invalid_files_with_every_problem() -> None:
    with pytest.raises(InvalidFiles) as info:
        load_watchlists(DATA / "watchlists_bad")
    assert len(info.value.problems) >= 10
    assert "rules.toml:2: unknown key 'colour'" in str(info.value)


def test_missing_directory_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    watchlists, problems = check_watchlists(tmp_path / "absent")
    assert watchlists == [] and len(problems) == 1


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ('description = "x"\n', "missing or empty watchlist 'name'"),
        ('name = "X"\n', "no [[entities]] defined"),
        ('name = "X"\n[[entities]]\nname = "Acme"\n[[entities]]\nname = "Acme"\n',
         "duplicate entity"),
        ('name = "X"\n[[entities]]\nname = "Acme"\naliases = "A Corp"\n', "must be a list"),
        ('name = "X"\n[[entities]]\nname = "Acme"\ntypo_tolerance = true\n', "typo_tolerance"),
        ('name = "X"\n[[entities]]\nname = "Acme"\nfields = []\n', "'fields' must not be empty"),
        ('name = "X"\n[[entities]]\nname = "Acme"\naliases = ["!!"]\n', "has no letters"),
    ],
)
def test_single_problems(tmp_path: Path, body: str, fragment: str) -> None:
    _write(tmp_path, "x.toml", body)
    watchlists, problems = check_watchlists(tmp_path)
    assert watchlists == []
    assert any(fragment in p.message for p in problems), problems
    assert all(p.line >= 1 for p in problems)


def test_rule_keys_round_trip(tmp_path: Path) -> None:
    _write(tmp_path, "geo.toml", """name = "GEO Group"
[[entities]]
name = "GEO Group"
aliases = ["GEO"]
case_sensitive = ["GEO"]
require_context = ["GEO"]
context = ["prison*"]
exclude_context = ["orbit"]
exclude_phrases = ["GEO satellite"]
typo_tolerance = "off"
min_score = 0.9
fields = ["title"]
""")
    [wl] = load_watchlists(tmp_path)
    entity = wl.entities[0]
    assert entity.case_sensitive == ("GEO",) and entity.require_context == ("GEO",)
    assert entity.typo_tolerance == 0 and entity.min_score == 0.9
    assert entity.fields == ("title",)


@pytest.mark.parametrize("alias", ["I", "(a+)+$", "The", "of the", "U.S.", "it", "los", "A & B"])
def test_alias_matching_most_stories_is_refused_with_its_line(tmp_path: Path, alias: str) -> None:
    quoted = '"' + alias.replace("\\", "\\\\") + '"'
    _write(tmp_path, "x.toml", f'name = "X"\n\n[[entities]]\nname = "Acme Widgets"\n'
           f'aliases = ["Acme", {quoted}]\n')
    watchlists, problems = check_watchlists(tmp_path)
    assert watchlists == []
    [problem] = problems
    assert problem.file.endswith("x.toml") and problem.line == 5
    assert repr(alias) in problem.message and "case_sensitive" in problem.message


def test_short_or_common_alias_is_accepted_when_case_sensitive(tmp_path: Path) -> None:
    _write(tmp_path, "x.toml", 'name = "X"\n[[entities]]\nname = "Acme Widgets"\n'
           'aliases = ["US", "I"]\ncase_sensitive = ["US", "I"]\n')
    [wl] = load_watchlists(tmp_path)
    assert wl.entities[0].case_sensitive == ("US", "I")


def test_check_command_refuses_a_single_letter_name(tmp_path: Path) -> None:
    lists = tmp_path / "lists"
    lists.mkdir()
    _write(lists, "x.toml", 'name = "X"\n[[entities]]\nname = "I"\n')
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///m.db"\n[watchlists]\ndir = "{lists}"\n',
                      encoding="utf-8")
    result = run_cli("check", "--config", str(config))
    assert result.returncode == 2
    assert f"{lists / 'x.toml'}:3: entity 'I': alias 'I'" in result.stderr


@pytest.mark.parametrize("name", [".", "..", "ICE\\u0000", "bell\\u0007", "x" * 257])
def test_names_that_cannot_be_a_url_segment_or_stored_are_refused(tmp_path: Path, name: str):
    _write(tmp_path, "w.toml", f'description = "d"\nname = "{name}"\n[[entities]]\nname = "Acme"\n')
    _, [problem] = check_watchlists(tmp_path)
    assert (problem.file, problem.line) == (str(tmp_path / "w.toml"), 2)
    assert "watchlist name" in problem.message


def test_names_differing_only_in_case_are_duplicates(tmp_path: Path):
    """URLs find a watchlist by its name in any case, so two may not differ only in case."""
    _write(tmp_path, "a.toml", 'name = "ICE"\n[[entities]]\nname = "Acme"\n')
    _write(tmp_path, "b.toml", 'name = "ice"\n[[entities]]\nname = "Acme"\n')
    _, [problem] = check_watchlists(tmp_path)
    assert (problem.file, problem.line) == (str(tmp_path / "b.toml"), 1)
    assert "duplicate watchlist name 'ice'" in problem.message
