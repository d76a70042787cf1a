"""A build killed at any point leaves the live site intact (the previous site's bytes, or the
new one's once it is swapped in, every file whole) and the next build correct (the bytes of
a clean build).

The build runs as `python3 -m digest build` in a subprocess through a small wrapper that
watches Python's audit events (sys.addaudithook) and sends itself SIGKILL at the Nth event
of a kind: a file written in the staging folder, the swap of the staging folder with the
site (a rename of it, or the look-up of renameat2 just before the exchange), the first file opened after it, a file of the build cache written (or its database
opened), a file of the content folder written (the date and address ledgers). Nothing in
digest knows: the points are found by a first run that only counts the events (a census),
so that they follow digest's code as it changes, and each point is then killed in a copy of
the same project."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from conftest import ROOT, TWO_ITEMS, tree

from digest.cli import main

# argv: the project folder (real path), then a plan: {"census": FILE} to count the events
# of each kind into FILE, or {"kill": [KIND, N]} to die at the Nth event of KIND.
WRAPPER = r"""
import json, os, runpy, signal, sys

project = sys.argv.pop(1).rstrip("/") + "/"
plan = json.loads(sys.argv.pop(1))
site = project + "site"
me = os.getpid()
counts = {}
writing = os.O_WRONLY | os.O_RDWR


def part(path):
    # The path relative to the project, or None (an fd, or a path elsewhere).
    if isinstance(path, int):
        return None
    try:
        path = os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        return None
    return path[len(project):] if path.startswith(project) else None


def place(relative):
    top, _, rest = relative.partition("/")
    if top in ("cache", "content"):
        return top
    # A file inside a folder beside the site (the site's own folder is live).
    return "staging" if rest and top != "site" else None


def kinds(event, args):
    if event == "open" and args[2] is not None and args[2] & writing:
        relative = part(args[0])
        return [place(relative)] if relative else []
    if event in ("os.rename", "os.replace"):
        if site in (os.fsdecode(args[0]), os.fsdecode(args[1])):
            return ["swap"]
        relative = part(args[1])
        return [place(relative)] if relative and place(relative) != "staging" else []
    if event == "ctypes.dlsym" and args[1] == "renameat2":  # looked up just to exchange
        return ["swap"]
    if event in ("sqlite3.connect", "os.remove", "shutil.rmtree"):
        relative = part(args[0])
        return ["cache"] if relative and place(relative) == "cache" else []
    return []


def hook(event, args):
    if os.getpid() != me:  # a worker process the build started: only the build is killed
        return
    found = kinds(event, args)
    if event == "open" and counts.get("swap"):
        found.append("after swap")
    for kind in found:
        if kind is None:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        if "kill" in plan and plan["kill"] == [kind, counts[kind]]:
            os.kill(me, signal.SIGKILL)


def report():
    plan.pop("kill", None)  # the hook sees this open too
    with open(plan["census"], "w") as stream:
        json.dump(counts, stream)


if "census" in plan:
    import atexit
    atexit.register(report)
sys.addaudithook(hook)
sys.argv[0] = "digest"
runpy.run_module("digest", run_name="__main__", alter_sys=True)
"""

SITE_YAML = """\
title: Killed
base_url: https://example.org/
content: content
output: site
cache: cache
search: true
"""

EDITIONS = [
    TWO_ITEMS,
    "Mistral has released a new open-weight model. It runs on one GPU.\n"
    "Analysis: Open weights keep French startups in the race.\n",
    "The EU AI Act's rules for general-purpose models apply from August.\n"
    "Analysis: Paris pushed for lighter rules and got some of them.\n",
]


def run(project: Path, plan: Mapping[str, object]) -> subprocess.CompletedProcess[str]:
    """`python3 -m digest build` in `project`, through the wrapper with this plan."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's digest
    real = os.path.realpath(project)
    command = [sys.executable, "-c", WRAPPER, real, json.dumps(plan), "build"]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)


def built(project: Path) -> dict[str, bytes]:
    """`digest build` in `project`, not killed (in this process: it is quicker); the site."""
    said = io.StringIO()
    with redirect_stdout(said), redirect_stderr(said):
        code = main(["build", "--quiet", "--config", str(project / "site.yaml")])
    assert code == 0, said.getvalue()
    return tree(project / "site")


class Prepared:
    """A project built once and then changed (an edition added, one edited), so that the
    next build changes pages, the cache and the ledgers; copied for each run."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.project = root / "prepared"
        content = self.project / "content"
        content.mkdir(parents=True)
        (self.project / "site.yaml").write_text(SITE_YAML, encoding="utf-8")
        shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
        for number, text in enumerate(EDITIONS[:2], 1):
            (content / f"{number:03d}_edition.txt").write_text(text, encoding="utf-8")
        self.before = built(self.project)
        (content / "003_edition.txt").write_text(EDITIONS[2], encoding="utf-8")
        edited = content / "001_edition.txt"
        edited.write_text(edited.read_text(encoding="utf-8") + "More news.\n", encoding="utf-8")
        # The census: the build not killed, counting where it could be.
        census = self.copy("census")
        done = run(census, {"census": str(root / "census.json")})
        assert done.returncode == 0, done.stderr
        self.counts: dict[str, int] = json.loads((root / "census.json").read_text())
        self.after = tree(census / "site")
        # What a clean build makes of the content as that build left it (ledgers included).
        clean = root / "clean"
        shutil.copytree(census / "content", clean / "content")
        (clean / "site.yaml").write_text(SITE_YAML.replace("cache: cache", "cache: false"))
        assert built(clean) == self.after
        assert self.after != self.before

    def copy(self, name: str) -> Path:
        target = self.root / name
        shutil.copytree(self.project, target, symlinks=True)  # modification times kept
        return target


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    return Prepared(tmp_path_factory.mktemp("killed"))


def test_the_census_finds_every_kind_of_point(prepared: Prepared) -> None:
    # If one is missing, the wrapper no longer sees it (staged elsewhere, swapped otherwise):
    # the kill points below would test less than they say.
    for kind in ("staging", "swap", "after swap", "cache", "content"):
        assert prepared.counts.get(kind, 0) >= 1, (kind, prepared.counts)
    assert prepared.counts["staging"] >= 10  # one per file of the site at least, nearly


# (kind, its first or last event, and the site that must be live after the kill: the old
# one, the new one, or either, whole).
POINTS = [
    ("content", "first", "old"),  # recording the new edition's date, before anything is live
    ("staging", "first", "old"),
    ("staging", "last", "old"),
    ("swap", "first", "old"),  # just before the exchange
    ("after swap", "first", "new"),  # just after it
    ("cache", "first", "either"),
    ("cache", "last", "either"),
]


@pytest.mark.parametrize(("kind", "which", "live"), POINTS, ids=[f"{k}-{w}" for k, w, _ in POINTS])
def test_a_killed_build_leaves_the_site_whole_and_the_next_build_right(
    prepared: Prepared, kind: str, which: str, live: str
) -> None:
    total = prepared.counts.get(kind, 0)
    assert total, f"no {kind} event in the census: {prepared.counts}"
    n = 1 if which == "first" else total
    project = prepared.copy(f"{kind.replace(' ', '-')}-{which}-{n}")
    done = run(project, {"kill": [kind, n]})
    assert done.returncode == -signal.SIGKILL, (
        f"the build was not killed at {kind} #{n}: exit {done.returncode}\n{done.stderr}"
    )
    site = tree(project / "site")
    if live == "old":
        assert site == prepared.before, "the previous site was changed"
    elif live == "new":
        assert site == prepared.after, "the new site is not whole"
    else:
        assert site in (prepared.before, prepared.after), "the live site is neither whole site"
    assert built(project) == prepared.after
