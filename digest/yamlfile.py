"""YAML mappings read with the line of every key, so that a bad value is reported where it is.

YAML is where the editor's text enters (site.yaml, topics.yaml, dates.yaml, front matter),
so whatever that text holds comes back as a Problem at its line, never as an exception,
and in time and memory proportional to the text. That is why the node tree is built here
from PyYAML's event stream (read iteratively) rather than by PyYAML's composer (recursive):
nesting deeper than MAX_DEPTH is refused before it is built, and anchors and aliases,
which none of digest's files needs and which let a few hundred bytes stand for gigabytes,
are refused before any value exists. Values are then built one key at a time, so that an
impossible date or an endless number is reported on its own line and the rest still loads.
"""

from __future__ import annotations

import re
import sys
from bisect import bisect_right
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeAlias

import yaml

from .problems import Problem, error

if TYPE_CHECKING:
    from yaml._yaml import Mark as _LibyamlMark

# libyaml's parser where PyYAML was built with it: a tenth of the time, the same events.
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# digest's deepest file, topics.yaml, nests four mappings; 20 leaves room and keeps
# building and checking the values far from Python's recursion limit.
MAX_DEPTH = 20
# How much of a value a message quotes: enough to recognise it, never all of it.
SHOWN = 60
NO_ANCHORS = "aliases (*name) and anchors (&name) are not supported here"
# The line breaks digest counts lines by (parse.py's); YAML also counts U+0085, U+2028
# and U+2029, which editors do not, so lines are recounted from each mark's index.
LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A place in the text: libyaml's parser marks its events with its own Mark class.
Mark: TypeAlias = "yaml.Mark | _LibyamlMark"


@dataclass(frozen=True)
class Entry:
    value: object
    line: int
    # A scalar's text before YAML gave it a type ("1.10" where value is 1.1), quotes and
    # escapes resolved; None for a mapping or a list.
    raw: str | None = None


def shorten(value: object, width: int = SHOWN) -> str:
    """`value`'s repr, cut to `width` characters: for messages that quote what was written."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def load_mapping(
    text: str,
    file: str,
    first_line: int = 1,
    nested: bool = False,
    as_text: Collection[str] = (),
) -> tuple[dict[str, Entry], list[Problem]]:
    """Parse `text` as a YAML mapping; `first_line` is the file line the text starts on.

    With `nested`, values that are mappings are dicts of Entry too, down to any depth,
    so that a setting deep inside can be reported on its own line. The scalar values of
    the top-level keys in `as_text` are kept as written, as strings (a title of 2026-02-30
    is text, not an impossible date).
    """
    lines = _Lines(text, first_line)
    try:
        return _load(text, file, lines, nested, as_text, Loader)
    except (yaml.YAMLError, UnicodeEncodeError):  # libyaml takes UTF-8: not a lone surrogate
        pass  # read again by PyYAML's own parser, whose messages and lines are the clearer ones
    try:
        return _load(text, file, lines, nested, as_text, yaml.SafeLoader)
    except yaml.YAMLError as exc:
        failure = exc
    if isinstance(failure, yaml.reader.ReaderError):  # a character YAML does not allow
        at: int | None = failure.position
    else:
        mark = getattr(failure, "problem_mark", None) or getattr(failure, "context_mark", None)
        at = mark.index if mark is not None else None
    reason = getattr(failure, "problem", None) or str(failure).splitlines()[0]
    return {}, [error(file, lines.at(at), f"not valid YAML: {_cut(reason)}")]


class _Lines:
    """File line numbers from YAML marks, counted as parse.py counts them."""

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first_line = first_line
        self._starts: list[int] | None = None  # where each line after the first starts

    def of(self, mark: Mark | None) -> int:
        return self.at(mark.index if mark is not None else None)

    def at(self, index: int | None) -> int:
        """The line of the character at `index` (the first line when unknown)."""
        if index is None:
            return self.first_line
        if self._starts is None:  # only when there is something to report
            self._starts = [m.end() for m in LINE_BREAK.finditer(self.text)]
        # A mark at the very end (an unclosed quote) is shown on the last line written.
        last = len(self._starts) - (1 if self._starts and self._starts[-1] == len(self.text) else 0)
        return self.first_line + min(bisect_right(self._starts, index), max(last, 0))


class _Refused(Exception):
    """The text holds something digest will not build (nesting too deep)."""

    def __init__(self, mark: Mark | None, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def _load(
    text: str,
    file: str,
    lines: _Lines,
    nested: bool,
    as_text: Collection[str],
    loader_class: type,
) -> tuple[dict[str, Entry], list[Problem]]:
    loader = loader_class(text)  # the reader may reject the text already: inside the try
    try:
        try:
            node, anchors = _compose(loader)
        except _Refused as refusal:
            return {}, [error(file, lines.of(refusal.mark), refusal.message)]
        if anchors:
            at = sorted({lines.of(mark) for mark in anchors})
            return {}, [error(file, line, NO_ANCHORS) for line in at]
        if node is None:
            return {}, []
        if not isinstance(node, yaml.MappingNode):
            return {}, [error(file, lines.of(node.start_mark), "expected 'key: value' lines")]
        problems: list[Problem] = []
        entries = _mapping(loader, node, file, lines, nested, as_text, problems)
        return entries, problems
    finally:
        loader.dispose()


def _compose(loader: yaml.SafeLoader) -> tuple[yaml.Node | None, list[Mark]]:
    """The document's node tree, built from the events without recursion, and the marks of
    its anchors and aliases (an alias is left as an empty scalar: it is never expanded)."""
    loader.get_event()  # stream start
    if loader.check_event(yaml.StreamEndEvent):
        loader.get_event()
        return None, []
    loader.get_event()  # document start
    anchors: list[Mark] = []
    open_nodes: list[tuple[yaml.MappingNode | yaml.SequenceNode, list[yaml.Node]]] = []
    while True:
        event = loader.get_event()
        if getattr(event, "anchor", None) is not None:
            anchors.append(event.start_mark)
        node: yaml.Node
        if isinstance(event, yaml.ScalarEvent):
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
            # The stubs say nodes take only PyYAML's own marks; libyaml's composer gives
            # them libyaml's, as here.
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)  # type: ignore[arg-type]
        elif isinstance(event, yaml.CollectionStartEvent):
            if len(open_nodes) == MAX_DEPTH:
                raise _Refused(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
            kind = (
                yaml.MappingNode if isinstance(event, yaml.MappingStartEvent) else yaml.SequenceNode
            )
            tag = event.tag
            if tag is None or tag == "!":
                tag = loader.resolve(kind, None, event.implicit)
            collection = kind(tag, [], event.start_mark, None, flow_style=event.flow_style)  # type: ignore[arg-type]  # as above
            open_nodes.append((collection, []))
            continue
        elif isinstance(event, yaml.CollectionEndEvent):
            collection, children = open_nodes.pop()
            if isinstance(collection, yaml.MappingNode):
                collection.value = list(zip(children[::2], children[1::2], strict=True))
            else:
                collection.value = children
            collection.end_mark = event.end_mark
            node = collection
        else:  # an alias: refused, so never looked up
            anchors.append(event.start_mark)
            node = yaml.ScalarNode("tag:yaml.org,2002:null", "", event.start_mark, event.end_mark)
        if open_nodes:
            open_nodes[-1][1].append(node)
            continue
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            second = loader.peek_event()
            raise _Refused(second.start_mark, "expected one YAML document, found a second ('---')")
        return node, anchors


def _mapping(
    loader: yaml.SafeLoader,  # or CSafeLoader
    node: yaml.MappingNode,
    file: str,
    lines: _Lines,
    nested: bool,
    as_text: Collection[str],
    problems: list[Problem],
) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for key_node, value_node in node.value:
        line = lines.of(key_node.start_mark)
        key = _construct(loader, key_node, file, lines, problems)
        if key is _FAILED:
            continue
        if not isinstance(key, str | int | float) or isinstance(key, bool):
            problems.append(error(file, line, f"key {shorten(key)} is not a name"))
            continue
        raw = value_node.value if isinstance(value_node, yaml.ScalarNode) else None
        value: object
        if nested and isinstance(value_node, yaml.MappingNode):
            value = _mapping(loader, value_node, file, lines, nested, (), problems)
        elif raw is not None and str(key) in as_text:
            value = raw
        else:
            value = _construct(loader, value_node, file, lines, problems)
            if value is _FAILED:
                continue
        if str(key) in entries:
            first = entries[str(key)].line
            name = _cut(str(key))
            problems.append(error(file, line, f"'{name}' is set twice (first on line {first})"))
        else:
            entries[str(key)] = Entry(value, line, raw)
    return entries


_FAILED = object()  # what _construct returns for a value it reported


def _construct(
    loader: yaml.SafeLoader, node: yaml.Node, file: str, lines: _Lines, problems: list[Problem]
) -> object:
    """The value of `node`, or _FAILED with a problem at its line: any exception here is the
    text's doing (2026-02-30, a number of 5,000 digits, an unknown !!tag), never digest's."""
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or node.start_mark
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(error(file, lines.of(mark), f"not valid YAML: {_cut(reason)}"))
    except Exception as exc:  # the boundary: see the docstring
        problems.append(error(file, lines.of(node.start_mark), _unreadable(node, exc)))
    return _FAILED


KINDS = {
    "timestamp": "a date",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
}


def _unreadable(node: yaml.Node, exc: Exception) -> str:
    kind = KINDS.get(node.tag.rsplit(":", 1)[-1], f"a {_cut(node.tag)} value")
    written = shorten(node.value) if isinstance(node, yaml.ScalarNode) else "this value"
    message = f"cannot read {written} as {kind}"
    if not isinstance(exc, ValueError | OverflowError) or not str(exc):
        return message  # other exceptions say how PyYAML failed, not what is wrong
    reason = str(exc).splitlines()[0]
    if "integer string conversion" in reason:  # Python's own advice is not the editor's
        reason = f"more than {sys.get_int_max_str_digits()} digits"
    elif reason.startswith("offset must be"):  # datetime's, in terms of timedelta
        reason = "an offset from UTC must be less than 24 hours"
    return f"{message}: {_cut(reason)}"


def _cut(text: str, width: int = 2 * SHOWN) -> str:
    """A message part (a YAML error's reason, a key) cut to `width` characters."""
    return text if len(text) <= width else text[: width - 1] + "…"
