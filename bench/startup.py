"""What `digest build` costs before it builds anything: imports, and the whole process on a
site where nothing changed.

    python3 bench/startup.py [--runs 10]

On the sample site (this checkout's content/ and site.yaml) and on a tiny site (one
edition of one item), each built once first: the wall and CPU time of `python3 -m digest
build -q` and of `python3 -c "import digest.cli"` (medians of --runs, interleaved, with
`python3 -c pass` for reference; --against DIR measures another checkout in the same
runs), and, from `python3 -X importtime`, the heaviest modules digest imports (cumulative:
a module with all it imports first).
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


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, from wait4) of one run of `command`.
    CPU time moves much less than wall time on a shared machine."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return time.perf_counter() - started, usage.ru_utime + usage.ru_stime


def medians(
    commands: dict[str, tuple[list[str], Path, dict[str, str]]], runs: int
) -> dict[str, tuple[float, float]]:
    """Median wall and CPU seconds of each command, run in turn (interleaved), `runs` times."""
    seen: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (command, cwd, env) in commands.items():
            seen[name].append(run(command, cwd, env))
    return {
        name: (statistics.median(t[0] for t in times), statistics.median(t[1] for t in times))
        for name, times in seen.items()
    }


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


MODULES = (
    "jinja2",
    "yaml",
    "markdown_it",
    "nh3",
    "snowballstemmer",
    "snowballstemmer.english_stemmer",
    "rich.console, rich.status",
    "email.policy, email.message",
    "css_inline",
    "http.server",
)


def environment(root: Path) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**kept, "PYTHONPATH": str(root)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument(
        "--against",
        type=Path,
        metavar="DIR",
        help="another checkout (say, the code before a change) measured in the same runs",
    )
    parser.add_argument(
        "--modules", action="store_true", help="also the CPU cost of importing heavy modules alone"
    )
    args = parser.parse_args()
    roots = {"this checkout": ROOT} | ({"against": args.against.resolve()} if args.against else {})
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as folder:
        found = sites(Path(folder))
        for site in found.values():
            subprocess.run(BUILD, cwd=site, env=ENV, check=True, stdout=subprocess.DEVNULL)
        commands = {"python3 -c pass": ([sys.executable, "-c", "pass"], Path(folder), ENV)}
        for label, root in roots.items():
            env = environment(root)
            commands[f"{label}: import digest.cli"] = (
                [sys.executable, "-c", "import digest.cli"],
                Path(folder),
                env,
            )
            for name, site in found.items():
                commands[f"{label}: digest build, {name} site unchanged"] = (BUILD, site, env)
        if args.modules:
            for module in MODULES:
                commands[f"import {module}"] = (
                    [sys.executable, "-c", f"import {module}"],
                    Path(folder),
                    ENV,
                )
        print(f"medians of {args.runs} interleaved runs; CPU is user + system time\n")
        print(
            "| process | wall ms | CPU ms | CPU ms over python3 -c pass |\n| --- | --- | --- | --- |"
        )
        timings = medians(commands, args.runs)
        bare = timings["python3 -c pass"][1]
        for name, (seconds, cpu) in timings.items():
            print(
                f"| {name} | {seconds * 1000:.0f} | {cpu * 1000:.0f} | {(cpu - bare) * 1000:.0f} |"
            )
        for name, site in found.items():
            total, heavy = imports(site)
            print(
                f"\n{name} site: imports {total * 1000:.0f} ms (-X importtime, one run, wall); the heaviest:"
            )
            for cumulative, module in heavy[: args.top]:
                print(f"  {cumulative * 1000:>6.1f} ms  {module}")


if __name__ == "__main__":
    main()
