"""The static folder: files copied into the site as they are (images, a CNAME, .well-known/).

Every regular file below the folder is an output of the build, under the same path, hidden
files included (`.well-known/` is one). They are read under reading.py's content policy, so
that a link out of the folder, a FIFO or a device is reported rather than published. They
pass through the writer like every page, which writes only what changed and removes what
the folder no longer holds.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path

from .markup import item_images, static_path
from .model import EditionFile
from .problems import Problem, display, error, warning
from .reading import NotRead, read_file
from .urls import folders_above


def read_static(folder: Path | None) -> tuple[dict[str, bytes], list[Problem]]:
    """Every file of `folder` (path inside the site -> bytes); no folder, no files."""
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    if folder is None or not folder.is_dir():
        return files, problems
    for top, folders, names in os.walk(folder, onerror=lambda exc: _unreadable(exc, problems)):
        here = Path(top)
        for name in sorted(folders):
            if (here / name).is_symlink():  # os.walk does not go into a linked folder
                problems.append(
                    warning(display(here / name), None, "not copied: a symbolic link to a folder")
                )
        for name in sorted(names):
            path = here / name
            inside = path.relative_to(folder).as_posix()
            try:
                inside.encode("utf-8")
            except UnicodeEncodeError:
                problems.append(
                    warning(display(path), None, "not copied: its name is not UTF-8 text")
                )
                continue
            try:
                files[inside] = read_file(path, folder)
            except FileNotFoundError:  # gone since the folder was listed
                continue
            except NotRead as exc:
                problems.append(warning(display(path), None, f"not copied: {exc}"))
    return files, problems


def _unreadable(exc: OSError, problems: list[Problem]) -> None:
    where = display(Path(exc.filename)) if exc.filename else "the static folder"
    reason = exc.strerror.lower() if exc.strerror else str(exc)
    problems.append(warning(where, None, f"not copied: cannot list the folder: {reason}"))


def clashes(
    static: Iterable[str], generated: Collection[str], folder: Path | None
) -> list[Problem]:
    """An error for each static file that would take the place of a file the build makes,
    or of a folder it needs (static/items while items/… are pages), or the reverse.
    Without static files the outputs are not looked at; with some, once, by a test that
    runs in C, for those under a static file's top folder (usually none), so that the
    check costs next to nothing at any archive size."""
    paths = sorted(static)
    if not paths:
        return []
    tops = tuple({path.partition("/")[0] + "/" for path in paths})
    made_folders = folders_above([made for made in generated if made.startswith(tops)])
    problems = []
    for path in paths:
        shown = display(folder / path) if folder is not None else path
        if path in generated:
            problems.append(
                error(shown, None, f"the build makes {path} itself: rename or remove this file")
            )
        elif path in made_folders:
            problems.append(
                error(shown, None, f"the build makes pages under {path}/: rename this file")
            )
        else:
            clash = next((p for p in _parents(path) if p in generated), None)
            if clash is not None:
                problems.append(
                    error(shown, None, f"the build makes {clash} as a file: rename its folder")
                )
    return problems


def _parents(path: str) -> Iterable[str]:
    parts = path.split("/")
    for end in range(1, len(parts)):
        yield "/".join(parts[:end])


def image_problems(editions: Sequence[EditionFile], static: Collection[str]) -> list[Problem]:
    """A warning at its FILE:LINE for each image of item text that has no alt text, or
    whose file the static folder does not hold (it is then not shown)."""
    problems = []
    for edition in editions:
        for raw in edition.items:
            # Every item is read at each build, and few have an image: a text is looked at
            # further only when it may have one.
            if _may_show_image(raw.summary):
                problems += _text_problems(edition.path, raw.summary, raw.line, static)
            if raw.analysis is not None and _may_show_image(raw.analysis):
                line = raw.analysis_line or raw.line
                problems += _text_problems(edition.path, raw.analysis, line, static)
    return problems


def _may_show_image(text: str) -> bool:
    # "!" first: one character is found several times faster than two, and is rare in news.
    return "!" in text and "![" in text


def _text_problems(file: str, text: str, line: int, static: Collection[str]) -> list[Problem]:
    problems = []
    for src, alt, offset in item_images(text):
        problems += image_warnings(file, line + offset, src, alt, static)
    return problems


def image_warnings(
    file: str, line: int, src: str, alt: str, static: Collection[str]
) -> list[Problem]:
    """What is wrong with one image, written `![alt](src)` at FILE:LINE."""
    problems = []
    path = static_path(src)
    if path is None:
        problems.append(
            warning(
                file,
                line,
                f"image '{src}' is not shown: an image is a file of the static folder, "
                "written as its path there (images/chart.png)",
            )
        )
    elif path not in static:
        problems.append(
            warning(file, line, f"image '{src}' is not shown: no {path} in the static folder")
        )
    if not alt:
        problems.append(
            warning(
                file,
                line,
                f"image '{src}' has no alt text: say what it shows, ![a chart of …]({src})",
            )
        )
    return problems


def site_file(path: str, static: Mapping[str, bytes], generated: Collection[str]) -> bool:
    """Whether the site holds `path` (a setting's path inside the site)."""
    return path in static or path in generated
