"""What `digest build` costs before it builds anything: imports, and the whole process on a
site where nothing changed.

    python3 bench/startup.py [--runs 10]

On the sample site (this checkout's content/ and site.yaml) and on a tiny site (one
edition of one item), each built once first: the wall time of `python3 -m digest build -q`
(median of --runs), of `python3 -c pass` for reference, and, from `python3 -X importtime`,
the time spent importing in all and in the heaviest modules digest imports (cumulative,
the module with all it imports itself first).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from archive import make_archive

ROOT = Path(__file__).resolve().parent.parent
# This checkout's digest, with its bytecode kept as an installed package's is.
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": str(ROOT),
}
BUILD = [sys.executable, "-m", "digest", "build", "-q"]
LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def sites(work: Path) -> dict[str, Path]:
    sample = work / "sample"
    sample.mkdir()
    shutil.copytree(ROOT / "content", sample / "content")
    shutil.copy(ROOT / "site.yaml", sample / "site.yaml")
    tiny = work / "tiny"
    make_archive(1, tiny / "content")
    shutil.copy(ROOT / "content" / "topics.yaml", tiny / "content" / "topics.yaml")
    (tiny / "site.yaml").write_text(
        "base_url: https://example.org/\ncontent: content\noutput: site\n", encoding="utf-8"
    )
    return {"sample": sample, "tiny": tiny}


def wall(command: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=ENV, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def imports(cwd: Path) -> tuple[float, list[tuple[float, str]]]:
    """Seconds importing in all (top-level imports' cumulative times), and the heaviest
    modules under digest's own: digest's modules and what they import directly."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *BUILD[1:]],
        cwd=cwd,
        env=ENV,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    total = 0.0
    heavy: list[tuple[float, str]] = []
    # importtime prints a module after what it imports: read backwards, a module's parent
    # is the nearest line above it (printed later) with less indentation.
    parsed = [
        (int(m[2]) / 1e6, len(m[3]), m[4]) for m in map(LINE.match, done.stderr.splitlines()) if m
    ]
    parents: list[tuple[int, str]] = []
    for seconds, depth, name in reversed(parsed):
        while parents and parents[-1][0] >= depth:
            parents.pop()
        parent = parents[-1][1] if parents else ""
        if depth == 1:
            total += seconds
        if name.startswith("digest") or parent.startswith("digest"):
            heavy.append((seconds, f"{name} (imported by {parent or 'the interpreter'})"))
        parents.append((depth, name))
    return total, sorted(heavy, reverse=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        found = sites(Path(folder))
        bare = wall([sys.executable, "-c", "pass"], Path(folder), args.runs)
        print(f"python3 -c pass: {bare * 1000:.0f} ms (median of {args.runs})")
        for name, site in found.items():
            subprocess.run(BUILD, cwd=site, env=ENV, check=True, stdout=subprocess.DEVNULL)
            seconds = wall(BUILD, site, args.runs)
            total, heavy = imports(site)
            print(
                f"\n{name} site, unchanged: digest build {seconds * 1000:.0f} ms (median of {args.runs});"
            )
            print(f"imports {total * 1000:.0f} ms in all (-X importtime, one run); the heaviest:")
            for cumulative, module in heavy[: args.top]:
                print(f"  {cumulative * 1000:>6.1f} ms  {module}")


if __name__ == "__main__":
    main()
