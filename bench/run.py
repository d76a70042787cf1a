"""Build speed side by side: digest, Hugo and Pelican on the same archive, and the floor,
with the distance to each of issue 13's targets.

    pip install -r bench/requirements.txt
    python3 bench/run.py --sizes 10000 --runs 3 --peers hugo

For each size it makes an archive of item files (editions of 20, bench/archive.py) and,
from digest's own items.json, the equivalent Hugo and Pelican sources: one page per
item, a page per tag (topic), a paginated index (20 a page), an RSS feed per tag. It
then times, in interleaved runs, each tool's clean build, and its build after one more
edition is dropped in, with each run's peak memory (the child's maximum RSS, from
wait4: the largest of the build's processes, its helper processes included). For digest
it also times the first build after a clean one with one more edition (no kept previous
site yet), and, under `digest serve`, the time from writing the new edition's file to
its page being served with its content. The floor is the time to write digest's own
output files (same paths, same bytes) from a process that already holds them in memory.
Medians are printed as Markdown tables, then the targets with the distance to each.

    python3 bench/run.py --sizes 10000 --against /tmp/before

also times another checkout's digest (a `git worktree` of the commit before a change) in
the same interleaved runs, on the same archive: on a shared machine, whose pace moves
between runs, a before/after comparison is only fair within one run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive import BenchSite, make_site  # noqa: E402

FLOOR = "floor (write digest's files)"
HUGO_CONFIG = """baseURL = "https://example.org/"
title = "Digest"
disableKinds = ["section"]
[pagination]
  pagerSize = 20
[taxonomies]
  tag = "tags"
"""
HUGO_LAYOUTS = {
    "_default/baseof.html": '<!doctype html><html lang=en><head><meta charset=utf-8><title>{{ .Title }}</title></head><body>{{ block "main" . }}{{ end }}</body></html>',
    "_default/single.html": '{{ define "main" }}<h1>{{ .Title }}</h1><p>{{ .Date.Format "2 January 2006" }}</p>{{ .Content }}<ul>{{ range .Params.tags }}<li><a href="{{ "tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a></li>{{ end }}</ul>{{ with .PrevInSection }}<a href="{{ .RelPermalink }}">older</a>{{ end }}{{ with .NextInSection }}<a href="{{ .RelPermalink }}">newer</a>{{ end }}{{ end }}',
    "_default/list.html": '{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range (.Paginate .Pages).Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>{{ template "_internal/pagination.html" . }}{{ end }}',
    "_default/terms.html": '{{ define "main" }}<ul>{{ range .Data.Terms.ByCount }}<li><a href="{{ .Page.RelPermalink }}">{{ .Page.Title }}</a> {{ .Count }}</li>{{ end }}</ul>{{ end }}',
    "index.html": '{{ define "main" }}<ul>{{ range (.Paginate .Site.RegularPages).Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a>{{ .Summary }}</li>{{ end }}</ul>{{ template "_internal/pagination.html" . }}{{ end }}',
}
PELICAN_CONFIG = """SITENAME = "Digest"
SITEURL = ""
PATH = "content"
TIMEZONE = "Europe/Paris"
DEFAULT_LANG = "en"
DEFAULT_PAGINATION = 20
FEED_ALL_RSS = "feeds/all.rss.xml"
TAG_FEED_RSS = "feeds/{slug}.tag.rss.xml"
CATEGORY_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
"""


def write_peers(items: list[dict], hugo: Path, pelican: Path) -> None:
    (hugo / "content" / "items").mkdir(parents=True, exist_ok=True)
    (hugo / "hugo.toml").write_text(HUGO_CONFIG)
    for name, text in HUGO_LAYOUTS.items():
        path = hugo / "layouts" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (pelican / "content").mkdir(parents=True, exist_ok=True)
    (pelican / "pelicanconf.py").write_text(PELICAN_CONFIG)
    for item in items:
        add_peer_item(item, hugo, pelican)


def add_peer_item(item: dict, hugo: Path, pelican: Path) -> None:
    body = (
        item["summary"]
        + "\n\n"
        + (f"*Analysis* — {item['analysis']}\n" if item["analysis"] else "")
    )
    title = item["title"].replace('"', "'")
    tags = item["topics"] or ["untagged"]
    (hugo / "content" / "items" / f"{item['id']}.md").write_text(
        f'---\ntitle: "{title}"\ndate: {item["date"]}\ntags: {json.dumps(tags)}\n---\n{body}'
    )
    (pelican / "content" / f"{item['id']}.md").write_text(
        f"Title: {title}\nDate: {item['date'][:19].replace('T', ' ')}\nTags: {', '.join(tags)}\nSlug: {item['id']}\n\n{body}"
    )


def remove_peer_item(item: dict, hugo: Path, pelican: Path) -> None:
    (hugo / "content" / "items" / f"{item['id']}.md").unlink(missing_ok=True)
    (pelican / "content" / f"{item['id']}.md").unlink(missing_ok=True)


def environment(root: Path) -> dict[str, str]:
    """For a process that runs `root`'s digest, whichever is installed, keeping its compiled
    bytecode as an installed package does: a PYTHONDONTWRITEBYTECODE in the environment
    would have each build compile digest's sources again (about 0.2 s)."""
    kept = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**kept, "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")])}


ENV = environment(ROOT)


Timing = tuple[float, float, float]  # wall seconds, peak MB, CPU seconds (0: not known)


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> Timing:
    """Wall seconds, peak memory (MB) and CPU seconds (user and system, the helper
    processes' included) of one run of `command`. CPU time moves much less than wall time
    on a shared machine; the targets are wall time."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        assert process.stderr is not None  # stderr=subprocess.PIPE
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def floor_seconds(built: Path, runs: int) -> float:
    """Writing digest's own output (its search index too: the files of a site it built,
    same paths, same bytes) from memory, through digest's writer."""
    from digest.write import MARKER, write

    files = {
        path.relative_to(built).as_posix(): path.read_bytes()
        for path in built.rglob("*")
        if path.is_file() and path.name != MARKER
    }
    times = []
    for _ in range(runs):
        target = Path(tempfile.mkdtemp(dir=built.parent)) / "floor"
        started = time.perf_counter()
        write(files, target)
        times.append(time.perf_counter() - started)
        shutil.rmtree(target.parent)
    return statistics.median(times)


class Served:
    """`digest serve` on 127.0.0.1, a free port, for the site in `site.work`."""

    def __init__(self, site: BenchSite, build: Ours) -> None:
        command = [sys.executable, "-m", "digest", "serve", "--port", "0"]
        self.process = subprocess.Popen(
            [*command, "--config", str(build.config)],
            cwd=site.work,
            env=build.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        # Drained all along, so that a full pipe never blocks the server.
        threading.Thread(target=self._drain, daemon=True).start()
        self.base_url = ""
        while not self.base_url:
            line = self.lines.get(timeout=3600)
            if line == "":
                raise SystemExit(f"digest serve stopped: exit {self.process.wait()}")
            if found := re.match(r"Serving (\S+)", line):
                self.base_url = found.group(1)

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put("")

    def page(self, path: str) -> str:
        """The page's text, or "" when it is not served (yet, or any more)."""
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=30) as response:
                return str(response.read().decode("utf-8", "replace"))
        except (urllib.error.URLError, OSError):  # not served, or no answer in time
            return ""

    def wait_for(self, path: str, word: str, present: bool, limit: float) -> None:
        deadline = time.perf_counter() + limit
        while (word in self.page(path)) != present:
            if self.process.poll() is not None or time.perf_counter() > deadline:
                raise SystemExit(
                    f"digest serve: {path} never {'showed' if present else 'lost'} {word!r}"
                )
            time.sleep(0.005)  # a poll every 5 ms: the resolution of the measurement

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # stuck in a build on a loaded machine: no matter
            self.process.kill()
            self.process.wait()


def edition_marker(edition: Path) -> tuple[str, str]:
    """The path of the edition's page and a word its first item alone has (the longest
    word of the generated sentence, made of syllables no sample text has)."""
    from digest.urls import edition_path

    number = int(edition.name.split("_")[0])
    body = edition.read_text(encoding="utf-8").split("---\n")[-1]
    first = body.splitlines()[0]
    word = max(re.findall(r"[a-z]{8,}", first), key=len)
    return edition_path(number), word


def serve_latency(site: BenchSite, build: Ours, runs: int) -> tuple[float, float]:
    """Seconds from writing the new edition's file to its page served with its content, under
    `digest serve` started on the built archive: the first time, and the median of `runs`
    more (the edition removed, its page gone, and written again)."""
    path, word = edition_marker(site.new_edition)
    site.remove_edition()
    served = Served(site, build)
    times = []
    try:
        for _ in range(runs + 1):
            staged = site.work / f".{site.new_edition.name}"
            shutil.copy(site.new_edition, staged)
            started = time.perf_counter()
            os.replace(staged, site.dropped)  # the whole file at once, as an editor's save
            served.wait_for(path, word, True, 600)
            times.append(time.perf_counter() - started)
            site.remove_edition()
            served.wait_for(path, word, False, 600)
    finally:
        served.stop()
    return times[0], statistics.median(times[1:])


VARIANTS = {"search": "digest", "nosearch": "digest, no search"}
AGAINST = "digest (against)"


@dataclass(frozen=True)
class Ours:
    """One of digest's builds: which checkout's digest runs, and its site.yaml, with an
    output folder and a build cache of its own."""

    name: str
    root: Path
    config: Path
    output: str
    cache: str

    def command(self) -> list[str]:
        return [sys.executable, str(self.root / "build.py"), "-q", "--config", str(self.config)]

    def env(self) -> dict[str, str]:
        return environment(self.root)

    def wipe(self, work: Path) -> None:
        """Its site, the previous one kept beside it and its build cache: clean is clean."""
        for path in [work / self.output, *work.glob(f".{self.output}.*"), work / self.cache]:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)


def our_builds(site: BenchSite, variants: list[str], against: Path | None) -> list[Ours]:
    work = site.work
    builds = []
    settings = site.site_yaml.read_text()
    for variant in variants:
        tag = {"search": "", "nosearch": "2"}[variant]
        config = work / f"site{tag}.yaml"
        extra = "search: false\n" if variant == "nosearch" else ""
        config.write_text(
            settings.replace("output: site", f"output: site{tag}")
            + f"{extra}cache: .digest-cache{tag}\n"
        )
        builds.append(Ours(VARIANTS[variant], ROOT, config, f"site{tag}", f".digest-cache{tag}"))
    if against is not None:
        config = work / "site-against.yaml"
        config.write_text(
            settings.replace("output: site", "output: site-against") + "cache: .digest-against\n"
        )
        builds.append(Ours(AGAINST, against, config, "site-against", ".digest-against"))
    return builds


def measure(
    size: int,
    runs: int,
    peers: list[str],
    variants: list[str],
    serve: bool,
    against: Path | None,
    work: Path,
) -> dict[str, Timing]:
    site = make_site(size, work)
    ours = {build.name: build for build in our_builds(site, variants, against)}
    commands = {name: build.command() for name, build in ours.items()}
    commands |= {
        "hugo": [
            "hugo",
            "--quiet",
            "--source",
            str(work / "hugo"),
            "--destination",
            str(work / "hugo" / "public"),
        ],
        "pelican": ["pelican", "-q", "-s", "pelicanconf.py", "-o", "output", "content"],
    }
    added_items: list[dict] = []
    if peers:  # the peers' sources are made from digest's items.json, the new edition's too
        subprocess.run(commands["digest"], check=True, cwd=work, env=ENV)
        document = json.loads((work / "site" / "items.json").read_text())
        items = document["items"]
        for url in document.get("older", []):  # the chunks of closed blocks of editions
            chunk = work / "site" / url.removeprefix("https://example.org/")
            items += json.loads(chunk.read_text())["items"]
        write_peers(items, work / "hugo", work / "pelican")
        site.add_edition()
        subprocess.run(commands["digest"], check=True, cwd=work, env=ENV)
        added_items = json.loads((work / "site" / "items.json").read_text())["items"][:20]
        site.remove_edition()

    cwd = {"pelican": work / "pelican"}
    env = {name: build.env() for name, build in ours.items()}
    names = [*ours, *[n for n in ("hugo", "pelican") if n in peers]]
    clean: dict[str, list[Timing]] = {n: [] for n in names}
    first: dict[str, list[Timing]] = {n: [] for n in ours}
    for _ in range(runs):  # interleaved, so that a noisy minute hurts every tool alike
        for name in names:
            for output in (work / "hugo" / "public", work / "pelican" / "output"):
                shutil.rmtree(output, ignore_errors=True)
            if name in ours:
                ours[name].wipe(work)
            clean[name].append(timed(commands[name], cwd.get(name, work), env.get(name, ENV)))
            if name in ours:  # no kept previous site yet: the whole tree is written again
                site.add_edition()
                first[name].append(timed(commands[name], work, env[name]))
                site.remove_edition()

    results = {f"{n}: clean": medians(v) for n, v in clean.items()}
    results |= {f"{n}: first build after a clean one": medians(v) for n, v in first.items()}
    report(results)
    # One more edition: in each run, every tool first builds the archive without it (not
    # timed), then the edition is dropped in and the build that follows is timed. digest's
    # builds each have a kept previous site from the first run on (the "first build after
    # a clean one" above), so that every run is the steady state.
    added: dict[str, list[Timing]] = {n: [] for n in names}
    for _ in range(runs):
        for name in names:
            site.remove_edition()
            for item in added_items:
                remove_peer_item(item, work / "hugo", work / "pelican")
            subprocess.run(
                commands[name],
                check=True,
                cwd=cwd.get(name, work),
                env=env.get(name, ENV),
                stdout=subprocess.DEVNULL,
            )
            site.add_edition()
            for item in added_items:
                add_peer_item(item, work / "hugo", work / "pelican")
            added[name].append(timed(commands[name], cwd.get(name, work), env.get(name, ENV)))
    results |= {f"{n}: one more edition": medians(v) for n, v in added.items()}
    report({f"{n}: one more edition": medians(v) for n, v in added.items()})
    if serve:
        for name in [n for n in ours if n in ("digest", AGAINST)]:
            try:
                once, then = serve_latency(site, ours[name], runs)
            except SystemExit as failed:  # said, and the other measurements kept
                print(f"serve latency not measured: {failed}", file=sys.stderr, flush=True)
                continue
            label = "digest serve" if name == "digest" else f"{AGAINST} serve"
            results[f"{label}: first new edition's page"] = (once, 0.0, 0.0)
            results[f"{label}: new edition's page"] = (then, 0.0, 0.0)
            report({k: v for k, v in results.items() if k.startswith(label)})
    # Last: the floor holds the whole site in this process, and a child forked from a big
    # process reports that size as its own peak (Linux keeps the parent's high-water mark
    # across exec), which would inflate every later measurement.
    results[FLOOR] = (floor_seconds(work / "site", runs), 0.0, 0.0)  # the site built last
    return results


def report(rows: dict[str, Timing]) -> None:
    """Medians as soon as they are known, on stderr: a long run cut short still says them."""
    for name, (seconds, memory, cpu) in rows.items():
        print(
            f"  {name}: {seconds:.2f} s, {memory:.0f} MB, {cpu:.2f} s CPU",
            file=sys.stderr,
            flush=True,
        )


def medians(values: list[Timing]) -> Timing:
    return (
        statistics.median(v[0] for v in values),
        statistics.median(v[1] for v in values),
        statistics.median(v[2] for v in values),
    )


Results = dict[int, dict[str, Timing]]


def targets(results: Results) -> list[tuple[str, float | None, float, str]]:
    """Issue 13's targets: (target, measured or None, limit, unit) for each."""

    def at(size: int, key: str, memory: bool = False) -> float | None:
        found = results.get(size, {}).get(key)
        return None if found is None else found[1 if memory else 0]

    def ratio(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None or b == 0 else a / b

    rows: list[tuple[str, float | None, float, str]] = []
    for size, limit in ((10000, 1.0), (50000, 2.0)):
        rows.append(
            (
                f"one more edition < {limit:g} s at {size:,}",
                at(size, "digest: one more edition"),
                limit,
                "s",
            )
        )
        rows.append(
            (
                f"first build after a clean one, one more edition < {limit:g} s at {size:,}",
                at(size, "digest: first build after a clean one"),
                limit,
                "s",
            )
        )
    for kind in ("clean", "one more edition"):
        rows.append(
            (
                f"peak memory ≤ 300 MB at 50,000, {kind}",
                at(50000, f"digest: {kind}", True),
                300,
                "MB",
            )
        )
    for size in (10000, 50000):
        hugo = ratio(at(size, "digest: clean"), at(size, "hugo: clean"))
        rows.append((f"clean ≤ 0.5 × Hugo at {size:,}", hugo, 0.5, "×"))
    for size in (10000, 50000):
        rows.append(
            (
                f"clean ≤ 3 × the floor at {size:,}",
                ratio(at(size, "digest: clean"), at(size, FLOOR)),
                3,
                "×",
            )
        )
    per_item = ratio(at(50000, "digest: clean"), at(10000, "digest: clean"))
    rows.append(
        (
            "time per item at 50,000 ≤ 1.2 × that at 10,000 (one run)",
            None if per_item is None else per_item / 5,
            1.2,
            "×",
        )
    )
    rows.append(
        (
            "serve: new edition's page < 1 s at 10,000",
            at(10000, "digest serve: new edition's page"),
            1.0,
            "s",
        )
    )
    rows.append(
        (
            "serve: the first new edition's page < 1 s at 10,000",
            at(10000, "digest serve: first new edition's page"),
            1.0,
            "s",
        )
    )
    return rows


def target_table(results: Results) -> list[str]:
    lines = ["| target | measured | distance | met? |", "| --- | --- | --- | --- |"]
    for target, measured, limit, unit in targets(results):
        if measured is None:
            lines.append(f"| {target} | not measured | — | — |")
            continue
        shown = (
            f"{measured:.0f} MB"
            if unit == "MB"
            else f"{measured:.2f}{' s' if unit == 's' else ' ×'}"
        )
        # "at most" targets are met at the limit; "under" ones below it.
        met = measured <= limit if "≤" in target else measured < limit
        lines.append(
            f"| {target} | {shown} | {measured / limit:.2f} × the limit | {'yes' if met else 'no'} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--peers", nargs="*", default=["hugo", "pelican"], choices=["hugo", "pelican"]
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        default=list(VARIANTS),
        choices=list(VARIANTS),
        help="digest's builds: with its search index, and without (default: both)",
    )
    parser.add_argument(
        "--no-serve", action="store_true", help="skip the latency under digest serve"
    )
    parser.add_argument(
        "--against",
        type=Path,
        metavar="DIR",
        help="another checkout of digest (say, before a change) timed in the same runs",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the medians to FILE")
    parser.add_argument(
        "--targets-from",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="measure nothing: print the targets' table from files --json wrote "
        "(say, a run at 10,000 items and one at 50,000)",
    )
    args = parser.parse_args()
    if args.targets_from:
        merged: Results = {}
        for path in args.targets_from:
            for size, rows in json.loads(path.read_text(encoding="utf-8")).items():
                merged.setdefault(int(size), {}).update(
                    {name: (*row, 0.0)[:3] for name, row in rows.items()}  # older files: no CPU
                )
        print("\n".join(target_table(merged)))
        return
    if "search" not in args.variants:
        parser.error("--variants: 'search' is the build the targets are about")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
        flush=True,
    )
    everything: Results = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="digest-bench-") as folder:
            results = measure(
                size,
                args.runs,
                args.peers,
                args.variants,
                not args.no_serve,
                args.against.resolve() if args.against else None,
                Path(folder),
            )
        everything[size] = results
        print(f"\n{size} items, median of {args.runs} interleaved runs\n")
        print("| build | seconds | peak MB | CPU seconds |\n| --- | --- | --- | --- |")
        for name, (seconds, memory, cpu) in results.items():
            shown = (f"{memory:.0f}", f"{cpu:.2f}") if memory else ("—", "—")
            print(f"| {name} | {seconds:.2f} | {shown[0]} | {shown[1]} |")
        for ours in [VARIANTS[v] for v in args.variants] + ([AGAINST] if args.against else []):
            for peer in ("hugo", "pelican"):
                if f"{peer}: clean" in results:
                    clean = results[f"{ours}: clean"][0] / results[f"{peer}: clean"][0]
                    more = (
                        results[f"{ours}: one more edition"][0]
                        / results[f"{peer}: one more edition"][0]
                    )
                    print(f"{ours}/{peer}: clean {clean:.2f}, one more edition {more:.2f}")
            print(f"{ours}/floor, clean: {results[f'{ours}: clean'][0] / results[FLOOR][0]:.2f}")
        if args.against:
            for build in ("clean", "first build after a clean one", "one more edition"):
                mine, theirs = results[f"digest: {build}"], results[f"{AGAINST}: {build}"]
                print(
                    f"digest/against, {build}: time {mine[0] / theirs[0]:.2f}, "
                    f"peak memory {mine[1] / theirs[1]:.2f}"
                )
        print(
            f"time per item, clean: {results['digest: clean'][0] / size * 1000:.3f} ms", flush=True
        )
    print("\nTargets (issue 13)\n")
    print("\n".join(target_table(everything)))
    if args.json:
        args.json.write_text(
            json.dumps({str(k): v for k, v in everything.items()}, indent=1) + "\n",
            encoding="utf-8",
        )


if __name__ == "__main__":
    main()
