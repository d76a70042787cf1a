"""Build speed side by side: digest, Hugo and Pelican on the same archive, and the floor.

    pip install -r bench/requirements.txt
    python bench/run.py --sizes 1000 10000 --runs 3

For each size it makes an archive of item files (editions of 20, bench/archive.py) and,
from digest's own items.json, the equivalent Hugo and Pelican sources: one page per
item, a page per tag (topic), a paginated index (20 a page), an RSS feed per tag. It
then times, in interleaved runs, each tool's clean build, and its build after one more
edition is dropped in, with each run's peak memory (the child's maximum RSS, from
wait4). The floor is the time to write digest's own output files (same paths, same
bytes) from a process that already holds them in memory. Medians are printed as a
Markdown table, with the ratios ours/Hugo, ours/Pelican and ours/floor.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from archive import make_archive  # noqa: E402

from digest import pipeline  # noqa: E402
from digest.config import SiteConfig  # noqa: E402
from digest.render import make_env, render  # noqa: E402
from digest.write import write  # noqa: E402

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


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of one run of `command`."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        assert process.stderr is not None  # stderr=subprocess.PIPE
        raise SystemExit(f"{' '.join(command)} failed: {process.stderr.read().decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024


def floor_seconds(config: SiteConfig, runs: int) -> float:
    """Writing digest's own output (its search index too) from memory, as our writer does it."""
    site = pipeline.model(config).site
    outputs = dict(render(site, make_env()))
    times = []
    for _ in range(runs):
        config.output.parent.mkdir(parents=True, exist_ok=True)
        target = Path(tempfile.mkdtemp(dir=config.output.parent)) / "floor"
        started = time.perf_counter()
        write(outputs, target)
        times.append(time.perf_counter() - started)
        shutil.rmtree(target.parent)
    return statistics.median(times)


def measure(size: int, runs: int, peers: list[str], work: Path) -> dict[str, tuple[float, float]]:
    content = work / "content"
    make_archive(size, content)
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    extra = work / "extra"
    make_archive(size + 20, extra)  # its last file is one more edition of 20
    new_edition = sorted(extra.glob("*.txt"))[-1]
    site_yaml = work / "site.yaml"
    site_yaml.write_text(
        "base_url: https://example.org/\ntimezone: Europe/Paris\ncontent: content\noutput: site\n"
    )
    no_search = work / "site-nosearch.yaml"
    no_search.write_text(
        site_yaml.read_text().replace("output: site", "output: site2")
        + "search: false\ncache: .digest-cache2\n"
    )
    ours = [sys.executable, str(ROOT / "build.py"), "-q"]
    subprocess.run([*ours, "--config", str(site_yaml)], check=True, cwd=work)
    document = json.loads((work / "site" / "items.json").read_text())
    items = document["items"]
    for url in document["older"]:  # the chunks of closed blocks of editions
        chunk = work / "site" / url.removeprefix("https://example.org/")
        items += json.loads(chunk.read_text())["items"]
    write_peers(items, work / "hugo", work / "pelican")

    commands = {
        "digest": [*ours, "--config", str(site_yaml)],
        "digest, no search": [*ours, "--config", str(no_search)],
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
    cwd = {"pelican": work / "pelican"}
    names = [n for n in commands if n.startswith("digest") or n in peers]
    clean: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for _ in range(runs):  # interleaved, so that a noisy minute hurts every tool alike
        for name in names:
            for output in (work / "hugo" / "public", work / "pelican" / "output"):
                shutil.rmtree(output, ignore_errors=True)
            # digest's sites, the previous ones kept beside them, its build caches: clean is clean
            outputs = [work / "site", work / "site2", *work.glob(".site*"), *work.glob(".digest-*")]
            for kept in outputs:
                if kept.exists():
                    shutil.rmtree(kept) if kept.is_dir() else kept.unlink()
            clean[name].append(timed(commands[name], cwd.get(name, work)))

    results = {f"{n}: clean": median_pair(v) for n, v in clean.items()}
    # One more edition: in each run, every tool first builds the archive without it (not
    # timed), then the edition is dropped in and the build that follows is timed.
    shutil.copy(new_edition, content / new_edition.name)
    added_items = json.loads(_build_json(work, ours, site_yaml))["items"][:20]
    added: dict[str, list[tuple[float, float]]] = {n: [] for n in names}
    for _ in range(runs):
        for name in names:
            (content / new_edition.name).unlink()
            for item in added_items:
                remove_peer_item(item, work / "hugo", work / "pelican")
            subprocess.run(
                commands[name], check=True, cwd=cwd.get(name, work), stdout=subprocess.DEVNULL
            )
            shutil.copy(new_edition, content / new_edition.name)
            for item in added_items:
                add_peer_item(item, work / "hugo", work / "pelican")
            added[name].append(timed(commands[name], cwd.get(name, work)))
    results |= {f"{n}: one more edition": median_pair(v) for n, v in added.items()}
    # Last: the floor holds the whole site in this process, and a child forked from a big
    # process reports that size as its own peak (Linux keeps the parent's high-water mark
    # across exec), which would inflate every later measurement.
    results[FLOOR] = (
        floor_seconds(
            SiteConfig(
                content=content,
                output=work / "x" / "site",
                base_url="https://example.org/",
                taxonomy=content / "topics.yaml",
            ),
            runs,
        ),
        0.0,
    )
    return results


def _build_json(work: Path, ours: list[str], site_yaml: Path) -> str:
    subprocess.run([*ours, "--config", str(site_yaml)], check=True, cwd=work)
    return (work / "site" / "items.json").read_text()


def median_pair(values: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(v[0] for v in values), statistics.median(v[1] for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", nargs="*", default=["hugo", "pelican"])
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}"
    )
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            results = measure(size, args.runs, args.peers, Path(folder))
        print(f"\n{size} items, median of {args.runs} interleaved runs\n")
        print("| build | seconds | peak MB |\n| --- | --- | --- |")
        for name, (seconds, memory) in results.items():
            print(f"| {name} | {seconds:.2f} | {memory:.0f} |")
        for ours in ("digest", "digest, no search"):
            for peer in ("hugo", "pelican"):
                if f"{peer}: clean" in results:
                    clean = results[f"{ours}: clean"][0] / results[f"{peer}: clean"][0]
                    more = (
                        results[f"{ours}: one more edition"][0]
                        / results[f"{peer}: one more edition"][0]
                    )
                    print(f"{ours}/{peer}: clean {clean:.2f}, one more edition {more:.2f}")
            print(f"{ours}/floor, clean: {results[f'{ours}: clean'][0] / results[FLOOR][0]:.2f}")


if __name__ == "__main__":
    main()
