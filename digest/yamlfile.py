"""YAML mappings read with the line of every key, so that a bad value is reported where it is."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from .problems import Problem, error

# libyaml's parser where PyYAML was built with it: a tenth of the time, the same nodes.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Entry:
    value: object
    line: int


def load_mapping(
    text: str, file: str, first_line: int = 1, nested: bool = False
) -> tuple[dict[str, Entry], list[Problem]]:
    """Parse `text` as a YAML mapping; `first_line` is the file line the text starts on.

    With `nested`, values that are mappings are dicts of Entry too, down to any depth,
    so that a setting deep inside can be reported on its own line.
    """
    return _load(text, file, first_line, nested, Loader)


def _load(
    text: str, file: str, first_line: int, nested: bool, loader_class: type
) -> tuple[dict[str, Entry], list[Problem]]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, []
        if not isinstance(node, yaml.MappingNode):
            line = node.start_mark.line + first_line
            return {}, [error(file, line, "expected 'key: value' lines")]
        problems: list[Problem] = []
        return _mapping(loader, node, file, first_line, nested, problems), problems
    except yaml.YAMLError as exc:
        if loader_class is not yaml.SafeLoader:  # its messages and lines are the clearer ones
            return _load(text, file, first_line, nested, yaml.SafeLoader)
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = mark.line + first_line if mark is not None else first_line
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return {}, [error(file, line, f"not valid YAML: {reason}")]
    finally:
        loader.dispose()


def _mapping(
    loader: yaml.SafeLoader,  # or CSafeLoader
    node: yaml.MappingNode,
    file: str,
    first_line: int,
    nested: bool,
    problems: list[Problem],
) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for key_node, value_node in node.value:
        line = key_node.start_mark.line + first_line
        key = loader.construct_object(key_node, deep=True)
        if nested and isinstance(value_node, yaml.MappingNode):
            value: object = _mapping(loader, value_node, file, first_line, nested, problems)
        else:
            value = loader.construct_object(value_node, deep=True)
        if not isinstance(key, str | int | float) or isinstance(key, bool):
            problems.append(error(file, line, f"key {key!r} is not a name"))
        elif str(key) in entries:
            first = entries[str(key)].line
            problems.append(error(file, line, f"'{key}' is set twice (first on line {first})"))
        else:
            entries[str(key)] = Entry(value, line)
    return entries
