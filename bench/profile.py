"""Where a build's time goes: `digest build` as a whole process, profiled with pyinstrument.

    pip install -r bench/requirements.txt
    python3 bench/profile.py --size 10000 --kind clean first edition --label before

Kinds (run in this order when several are given, each from the state the one before left):
  clean    nothing built before: no site, no kept previous site, no build cache;
  first    the archive built clean, then one more edition of 20 dropped in: the first
           build after a clean one (no kept previous site yet);
  edition  the archive built and built again with the edition removed, then the edition
           dropped in: one more edition in the steady state (what bench/run.py times).

Each profile is written to bench/data/profile-LABEL-KIND-SIZE.txt (or --out-dir): the
wall time, the time of each stage (outermost call of the stage's function, inclusive),
the functions with the most time of their own, and pyinstrument's call tree with the
frames under 1 % (--threshold) left out. Only the build's main process is sampled: in a
clean build a helper process renders a share of the pages, and its time shows in the
main process as the wait for it (render.py's wait for the helper).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from archive import BenchSite, make_site

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("clean", "first", "edition")
# (label, module file, function): the first frame on a path from the root that matches
# counts for its stage with everything under it, but for the carved-out stages (imports,
# and the headline rules' lexicon read on first use), which count wherever they run and are
# taken out of the stage around them.
CARVED = (
    ("start-up: imports", "<frozen importlib._bootstrap>", "_find_and_load"),
    ("the headline lexicon, read on first use", "digest/lexicon.py", "_lines"),
)
STAGES = (
    ("load: read and parse the files", "digest/load.py", "load"),
    ("the store read (what is known)", "digest/previous.py", "known"),
    ("enrich: identify, tag, group", "digest/enrich.py", "enrich"),
    ("assemble: pages and lists", "digest/assemble.py", "assemble"),
    ("static files and pages", "digest/static.py", "read_static"),
    ("plan: fingerprints and what to keep", "digest/previous.py", "plan"),
    # render is a stream: its pages are made as the writer stages them.
    ("render and stage", "digest/write.py", "put_all"),
    ("keep the live site's files", "digest/write.py", "keep"),
    ("check for clashes with static files", "digest/static.py", "clashes"),
    ("newsletter size check", "digest/newsletter.py", "build_warnings"),
    ("ledgers", "digest/pipeline.py", "_record_dates_and_addresses"),
    ("publish: swap and manifests", "digest/write.py", "publish"),
    ("the store save", "digest/previous.py", "record"),
)
LABELS = list(dict.fromkeys(label for label, *_ in (*CARVED, *STAGES)))


def build_command(site: BenchSite) -> list[str]:
    return [sys.executable, "-m", "digest", "build", "-q", "--config", str(site.site_yaml)]


def environment() -> dict[str, str]:
    # This checkout's digest, whatever is installed, with its bytecode kept as an installed
    # package's is (PYTHONDONTWRITEBYTECODE would add compiling every module to each build).
    kept = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**kept, "PYTHONPATH": str(ROOT)}


def build(site: BenchSite) -> None:
    subprocess.run(
        build_command(site), cwd=site.work, env=environment(), check=True, stdout=subprocess.DEVNULL
    )


def prepare(site: BenchSite, kind: str, previous: str | None) -> None:
    """Bring `site` to the state before the timed build of `kind`; `previous` is the kind
    profiled just before (its state is where this one starts), if any."""
    if kind == "clean":
        site.remove_edition()
        site.wipe()
    elif kind == "first":
        if previous != "clean":  # which leaves the archive built clean, as this one needs
            site.remove_edition()
            site.wipe()
            build(site)
        site.add_edition()
    else:
        if previous != "first":  # which leaves a kept previous site and the edition in
            site.remove_edition()
            site.wipe()
            build(site)
            site.add_edition()
            build(site)
        site.remove_edition()
        build(site)
        site.add_edition()


def profile(site: BenchSite, interval: float) -> tuple[float, Path]:
    """Runs the build under pyinstrument; its wall time and the saved session."""
    session = site.work / "profile.pyisession"
    command = [
        sys.executable,
        "-m",
        "pyinstrument",
        "--renderer",
        "pyisession",
        "--outfile",
        str(session),
        "--interval",
        str(interval),
        "-m",
        "digest",
        *build_command(site)[3:],
    ]
    started = time.perf_counter()
    subprocess.run(command, cwd=site.work, env=environment(), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, session


def stage_times(root: object) -> dict[str, float]:
    """Seconds per stage: the outermost matching frame on each path, with all under it but
    the carved-out stages, which count wherever they run."""
    times: dict[str, float] = defaultdict(float)

    def matches(frame: object, stage: tuple[str, str, str]) -> bool:
        path = getattr(frame, "file_path", None) or ""
        return getattr(frame, "function", None) == stage[2] and path.endswith(stage[1])

    def walk(frame: object, within: str | None) -> None:
        seconds: float = frame.time  # type: ignore[attr-defined]
        for carved in CARVED:
            if matches(frame, carved):
                times[carved[0]] += seconds
                if within:
                    times[within] -= seconds
                return
        if within is None:
            for stage in STAGES:
                if matches(frame, stage):
                    within = stage[0]
                    times[within] += seconds
                    break
        for child in frame.children:  # type: ignore[attr-defined]
            walk(child, within)

    walk(root, None)
    return times


def self_times(root: object, top: int) -> list[tuple[float, str]]:
    """The functions with the most time of their own, summed over every call path."""
    times: dict[str, float] = defaultdict(float)

    def walk(frame: object) -> None:
        if not frame.is_synthetic:  # type: ignore[attr-defined]
            place = f"{frame.function}  {frame.file_path_short}:{frame.line_no}"  # type: ignore[attr-defined]
            times[place] += frame.total_self_time  # type: ignore[attr-defined]
        for child in frame.children:  # type: ignore[attr-defined]
            walk(child)

    walk(root)
    return sorted(((t, p) for p, t in times.items()), reverse=True)[:top]


def commit() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def report(
    kind: str, size: int, wall: float, session_file: Path, threshold: float, tree: bool
) -> str:
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    session = Session.load(session_file)
    root = session.root_frame()
    assert root is not None
    total = root.time
    lines = [
        f"digest build, {kind}, {size} items: {wall:.2f} s wall under the profiler, "
        f"{total:.2f} s sampled in the main process",
        f"{datetime.date.today().isoformat()}, commit {commit()}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        "command: python3 bench/profile.py " + f"--size {size} --kind {kind}",
        "",
        "stage (outermost call, inclusive)             seconds  share",
    ]
    stages = stage_times(root)
    for label in LABELS:
        if stages.get(label):
            lines.append(f"  {label:<42} {stages[label]:>7.2f} {stages[label] / total:>6.1%}")
    rest = total - sum(stages.values())
    lines += [f"  {'everything else':<42} {rest:>7.2f} {rest / total:>6.1%}", ""]
    lines.append("most time of their own (self time, every call path)")
    for seconds, place in self_times(root, 20):
        lines.append(f"  {seconds:>7.2f} {seconds / total:>6.1%}  {place}")
    if tree:
        renderer = ConsoleRenderer(
            unicode=True, processor_options={"filter_threshold": threshold}, short_mode=False
        )
        lines += ["", f"call tree (frames under {threshold:.0%} left out)", ""]
        lines.append(renderer.render(session).strip("\n"))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--kind", nargs="+", choices=KINDS, default=["edition"])
    parser.add_argument("--label", default="after", help="file name part (default: after)")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench" / "data")
    parser.add_argument("--interval", type=float, default=0.001, help="seconds between samples")
    parser.add_argument("--threshold", type=float, default=0.01, help="tree: hide below this")
    parser.add_argument("--no-tree", action="store_true", help="stages and functions only")
    args = parser.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="digest-bench-") as folder:
        site = make_site(args.size, Path(folder))
        previous = None
        for kind in [k for k in KINDS if k in args.kind]:
            prepare(site, kind, previous)
            wall, session = profile(site, args.interval)
            text = report(kind, args.size, wall, session, args.threshold, not args.no_tree)
            out = args.out_dir / f"profile-{args.label}-{kind}-{args.size}.txt"
            out.write_text(text, encoding="utf-8")
            print(text.split("\n\nmost time")[0], f"\n-> {out}\n", flush=True)
            previous = kind


if __name__ == "__main__":
    main()
