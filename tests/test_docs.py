"""README.md keeps step with the code: every option, template filter and setting is documented,
and nothing documented is gone (as Datasette's documentation tests do)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
from jinja2 import Environment

from digest.cli import make_parser
from digest.config import NEWSLETTER_OPTIONS, OPTIONS
from digest.render import make_env

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(heading: str) -> str:
    """The README's text under `heading` (a line starting with #), up to the next heading."""
    match = re.search(rf"^#+ {re.escape(heading)}\n(.*?)(?=^#+ |\Z)", README, re.M | re.S)
    assert match, f"README.md has no heading {heading!r}"
    return match.group(1)


def _table(heading: str, header: str) -> list[list[str]]:
    """The rows (cells stripped) of the table whose header row is `header`, under `heading`."""
    lines = _section(heading).splitlines()
    assert header in lines, f"README.md: no table {header!r} under {heading!r}"
    rows = []
    for line in lines[lines.index(header) + 2 :]:  # after the header and its --- row
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def _settings(heading: str) -> dict[str, str]:
    """The settings table under `heading`: each `key` (first cell) and its default cell."""
    rows = {}
    for row in _table(heading, "| key | default | meaning |"):
        key = re.fullmatch(r"`(\w+)`", row[0])
        assert key, f"README.md: a row of the table under {heading!r} names no `key`: {row[0]!r}"
        rows[key.group(1)] = row[1]
    return rows


# --- (a) the command-line options -----------------------------------------------------------


def _commands() -> dict[str, argparse.ArgumentParser]:
    parser = make_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("make_parser() has no commands")


def _forms(action: argparse.Action) -> set[str]:
    """How --help writes the action: `--port PORT`, `-v`, `--verbose`, `EDITION`."""
    if not action.option_strings:
        return {str(action.metavar or action.dest)}
    if action.nargs == 0:  # a flag (store_true and the like)
        return set(action.option_strings)
    metavar = action.metavar or action.dest.upper()
    return {f"{option} {metavar}" for option in action.option_strings}


def _parser_options() -> dict[str, set[str]]:
    """Each command's options, as --help writes them (-h/--help left out: argparse's own)."""
    return {
        name: {
            form
            for action in sub._actions
            if not isinstance(action, argparse._HelpAction)
            for form in _forms(action)
        }
        for name, sub in _commands().items()
    }


def _readme_options() -> dict[str, set[str]]:
    """The README's option table: each option as written, and the commands it is for."""
    commands = set(_commands())
    documented: dict[str, set[str]] = {}
    for row in _table("Commands", "| option | commands | meaning |"):
        forms = re.findall(r"`([^`]+)`", row[0])
        assert forms, f"README.md: a row of the option table names no `option`: {row[0]!r}"
        named = {c.strip() for c in re.split(r",|\band\b", row[1]) if c.strip()}
        if named == {"all"}:
            named = commands
        unknown = named - commands
        assert not unknown, (
            f"README.md: the option table gives {forms} for unknown commands {sorted(unknown)}"
        )
        for form in forms:
            documented.setdefault(form, set()).update(named)
    return documented


def test_readme_documents_every_command_line_option() -> None:
    documented = _readme_options()
    missing = [
        f"{form} ({command})"
        for command, forms in _parser_options().items()
        for form in sorted(forms)
        if command not in documented.get(form, set())
    ]
    assert not missing, (
        "README.md's option table (under 'Commands') lacks these options, as --help writes "
        f"them (add a row, or the command to the row's commands): {', '.join(missing)}"
    )


def test_every_option_in_the_readme_exists() -> None:
    options = _parser_options()
    gone = [
        f"{form} ({command})"
        for form, commands in _readme_options().items()
        for command in sorted(commands)
        if form not in options[command]
    ]
    assert not gone, (
        "README.md's option table names options that the command does not have (or writes "
        f"them otherwise than --help): {', '.join(gone)}"
    )


def test_readme_names_the_top_level_options() -> None:
    usage = _section("Commands")
    top = [
        option
        for action in make_parser()._actions
        if not isinstance(action, argparse._HelpAction | argparse._SubParsersAction)
        for option in action.option_strings
    ]
    missing = [option for option in top if f"digest {option}" not in usage]
    assert not missing, f"README.md's command list (under 'Commands') lacks: {missing}"


# --- (b) the template filters and globals --------------------------------------------------


def test_readme_names_every_filter_and_global_digest_adds() -> None:
    env = make_env()
    jinja = Environment()
    added = sorted(
        [f"filter {name}" for name in env.filters.keys() - jinja.filters.keys()]
        + [f"global {name}" for name in env.globals.keys() - jinja.globals.keys()]
    )
    assert added, "make_env() adds no filters or globals: is this test still reading it?"
    paragraph = next(
        (p for p in _section("The site").split("\n\n") if p.startswith("Templates are Jinja")),
        None,
    )
    assert paragraph, "README.md has no paragraph 'Templates are Jinja …' under 'The site'"
    named = set(re.findall(r"`(\w+)[`(]", paragraph))
    missing = [entry for entry in added if entry.split()[1] not in named]
    assert not missing, (
        "README.md's paragraph on templates ('Templates are Jinja …') does not name what "
        f"render.make_env gives templates: {', '.join(missing)}"
    )


# --- (c) the settings ------------------------------------------------------------------------


SETTINGS = {"Configuration: `site.yaml`": OPTIONS, "The newsletter": NEWSLETTER_OPTIONS}


@pytest.mark.parametrize("heading", SETTINGS)
def test_readme_documents_every_setting_and_no_other(heading: str) -> None:
    documented, declared = _settings(heading), SETTINGS[heading]
    missing = [key for key in declared if key not in documented]
    gone = [key for key in documented if key not in declared]
    assert not missing and not gone, (
        f"README.md's table of settings under {heading!r}: no row for {missing}; rows for "
        f"unknown keys {gone}"
    )


@pytest.mark.parametrize("heading", SETTINGS)
def test_readme_gives_each_setting_the_default_it_is_declared_with(heading: str) -> None:
    documented, declared = _settings(heading), SETTINGS[heading]
    wrong = [
        f"{key}: README {documented[key]!r}, declared {option.default!r}"
        for key, option in declared.items()
        if key in documented and documented[key] != option.default
    ]
    assert not wrong, (
        f"README.md's table of settings under {heading!r} gives other defaults than "
        f"digest/config.py declares: {'; '.join(wrong)}"
    )
