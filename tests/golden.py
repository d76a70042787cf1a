"""The golden build: the sample site (the checkout's site.yaml and content/) as `digest build`
makes it, checked in under tests/golden/sample/ and compared file by file by
tests/test_golden.py (as Pelican's functional tests do).

After a change that is meant to change the output, regenerate it from the checkout's root
and review the diff before committing it:

    python3 -m tests.golden --update

The build runs as the command a user types, in a copy of the sample in a temporary folder
(so the checkout's content/ is never written), with the clock fixed at NOW: nothing in it
depends on the machine's clock, time zone, locale, hash seed, folder or build cache, and
`--update` checks that by building twice in two such settings before it writes anything.
"""

from __future__ import annotations

import argparse
import difflib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "sample"
NOW = "2026-12-01T12:00:00+00:00"  # after every edition of the sample: all are published

# `digest build` with `datetime.now()` fixed at argv[1]: the built-in type is replaced
# before digest is imported, so that every way digest asks for the time gets NOW.
FROZEN_CLOCK = """
import datetime, runpy, sys

_NOW = datetime.datetime.fromisoformat(sys.argv.pop(1))

class _FrozenClock(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return _NOW.astimezone(tz) if tz is not None else _NOW.replace(tzinfo=None)

    @classmethod
    def utcnow(cls):
        return _NOW.replace(tzinfo=None)

datetime.datetime = _FrozenClock
sys.argv[0] = "digest"
runpy.run_module("digest", run_name="__main__", alter_sys=True)
"""

# Two settings that must give the same bytes.
SETTINGS = (
    {"TZ": "UTC", "LC_ALL": "C.UTF-8", "PYTHONHASHSEED": "1"},
    {"TZ": "Pacific/Kiritimati", "LC_ALL": "C", "PYTHONHASHSEED": "2"},
)


def build(place: Path, setting: Mapping[str, str] = SETTINGS[0], times: int = 1) -> Path:
    """Build a copy of the sample in `place` (`times` builds in a row, the later ones with
    the cache and the previous site); returns the site folder."""
    project = place / "project"
    shutil.copytree(ROOT / "content", project / "content")
    shutil.copy2(ROOT / "site.yaml", project / "site.yaml")
    env = {**os.environ, **setting, "PYTHONPATH": str(ROOT)}  # this checkout's digest
    env.pop("DIGEST_DEBUG", None)
    for _ in range(times):
        done = subprocess.run(
            [sys.executable, "-c", FROZEN_CLOCK, NOW, "build", "--quiet"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"digest build of the sample exited {done.returncode}:\n{done.stderr}{done.stdout}"
            )
    return project / "site"


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` ('/'-separated path -> bytes)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def difference(expected: Mapping[str, bytes], actual: Mapping[str, bytes], limit: int = 80) -> str:
    """What differs, for a reader: the paths missing and extra, then a unified diff of the
    first file that differs (its first `limit` lines); '' when nothing does."""
    missing = sorted(expected.keys() - actual.keys())
    extra = sorted(actual.keys() - expected.keys())
    changed = [
        path for path in sorted(expected.keys() & actual.keys()) if expected[path] != actual[path]
    ]
    if not (missing or extra or changed):
        return ""
    lines = []
    if missing:
        lines.append(f"missing from the build ({len(missing)}): {', '.join(missing[:20])}")
    if extra:
        lines.append(f"not in the golden build ({len(extra)}): {', '.join(extra[:20])}")
    if changed:
        lines.append(f"different ({len(changed)}): {', '.join(changed[:20])}")
        first = changed[0]
        try:
            before = expected[first].decode("utf-8").splitlines(keepends=True)
            after = actual[first].decode("utf-8").splitlines(keepends=True)
        except UnicodeDecodeError:
            lines.append(f"{first}: binary, {len(expected[first])} -> {len(actual[first])} bytes")
        else:
            # Long lines (JSON, one record a line) split at commas, so that the diff shows
            # the field that differs rather than the start of the record.
            before = [piece for line in before for piece in _pieces(line)]
            after = [piece for line in after for piece in _pieces(line)]
            diff = list(
                difflib.unified_diff(before, after, f"golden/{first}", f"built/{first}", n=2)
            )
            shown = [line if len(line) <= 200 else line[:200] + "…\n" for line in diff[:limit]]
            lines.append("".join(shown).rstrip("\n"))
            if len(diff) > limit:
                lines.append(f"… {len(diff) - limit} more lines of diff")
    return "\n".join(lines)


def _pieces(line: str) -> list[str]:
    if len(line) <= 200:
        return [line]
    return [piece + "\n" for piece in line.replace(",", ",\n").splitlines()]


def update() -> str:
    """Build the sample in both settings, check they agree, and make the golden build that."""
    with tempfile.TemporaryDirectory() as scratch:
        first = tree(build(Path(scratch) / "a", SETTINGS[0]))
        second = tree(build(Path(scratch) / "b" / "deeper", SETTINGS[1], times=2))
        disagree = difference(first, second)
        if disagree:
            raise RuntimeError(f"two builds of the sample differ; nothing updated:\n{disagree}")
        before = tree(GOLDEN) if GOLDEN.is_dir() else {}
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for path, data in first.items():
            target = GOLDEN / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    added = len(first.keys() - before.keys())
    removed = len(before.keys() - first.keys())
    changed = sum(1 for p in first.keys() & before.keys() if first[p] != before[p])
    return (
        f"{GOLDEN.relative_to(ROOT)}: {len(first)} files, {added} added, {removed} removed, "
        f"{changed} changed (review with git diff)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m tests.golden", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--update", action="store_true", help="rebuild tests/golden/sample/")
    args = parser.parse_args(argv)
    if args.update:
        print(update())
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        found = difference(tree(GOLDEN), tree(build(Path(scratch))))
    print(found or "the sample builds as the golden build")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
