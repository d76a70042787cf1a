"""digest's search against Pagefind, on the same site, both driven in Chromium.

Builds the 147-item corpus (the sample edition, tests/data/eval and tests/data/holdout as
three editions), indexes its item pages with Pagefind as well (`pip install -r
bench/requirements-search.txt`), serves the site on 127.0.0.1, and runs every judged query
in a fresh browser context (a cold cache) with each engine: digest through its own
search page, Pagefind through its JavaScript API. Prints recall@10, nDCG@10 (graded:
gain 2^grade - 1), MRR and the queries with no result, per engine and per query, and the
bytes each cold query fetched (index files only, then with the engine's code).

    python bench/search.py bench/data/search-tune.yaml
    python bench/search.py QUERIES.yaml --only 3        # a smoke run: three queries
    python bench/search.py --sizes 10000 50000          # digest's index on disk, and
                                                        # bytes per cold query at 10,000

Queries: a YAML list of {query, kind, note, relevant: {item_id: 1 | 2}}. A judged item
that is a repeat counts as its first report, which both engines' results lead to.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import math
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from digest import pipeline  # noqa: E402
from digest.config import SiteConfig  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
EDITIONS = {
    "000_sample.txt": ROOT / "content" / "000_e808da6115982e84.txt",
    "001_eval.txt": ROOT / "tests" / "data" / "eval" / "001_eval.txt",
    "002_holdout.txt": ROOT / "tests" / "data" / "holdout" / "001_holdout.txt",
}
# In the past, or a build held the later editions back as scheduled (it did from
# 2026-12-03 on, silently measuring 20 items instead of 147).
DATES = {
    "000_sample.txt": "2026-11-05T08:00:00+01:00",
    "001_eval.txt": "2026-11-12T08:00:00+01:00",
    "002_holdout.txt": "2026-11-19T08:00:00+01:00",
}
LAYOUT_SHIFTS = """window.layoutShift = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.layoutShift += entry.value;
}).observe({ type: "layout-shift", buffered: true });"""
PAGEFIND_PAGE = """<!doctype html><meta charset="utf-8"><title>pagefind</title>
<script type="module">
const pagefind = await import("./pagefind/pagefind.js");
window.query = async (q) => {
  const found = await pagefind.search(q);
  const data = await Promise.all(found.results.slice(0, 10).map((r) => r.data()));
  return { total: found.results.length, urls: data.map((d) => d.url) };
};
window.ready = true;
</script>"""


def build(folder: Path, content: dict[str, bytes] | None = None) -> Path:
    source = folder / "content"
    source.mkdir(parents=True, exist_ok=True)
    if content is None:
        content = {name: path.read_bytes() for name, path in EDITIONS.items()}
        ledger = "".join(f'"{name}": {date}\n' for name, date in DATES.items())
        content["dates.yaml"] = ledger.encode()
    content.setdefault("topics.yaml", (ROOT / "content" / "topics.yaml").read_bytes())
    for name, data in content.items():
        (source / name).write_bytes(data)
    config = SiteConfig(
        content=source, output=folder / "site", base_url="http://127.0.0.1/", cache=folder / "cache"
    )
    pipeline.build(config)
    return folder / "site"


def pagefind(site: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pagefind", "--site", str(site), "--glob", "items/**/*.html"],
        check=True,
        capture_output=True,
    )
    (site / "bench-pagefind.html").write_text(PAGEFIND_PAGE, encoding="utf-8")


@contextmanager
def served(site: Path) -> Iterator[str]:
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


class Engines:
    """Both engines in one Chromium; every query in a new context, so a cold cache."""

    def __init__(self, browser, base: str, items: list[dict]) -> None:
        self.browser, self.base = browser, base
        by_id = {item["id"]: item for item in items}
        self.story = {  # an item's URL path -> the id of its story (a repeat's first report)
            item["url"].removeprefix("http://127.0.0.1/"): item["duplicate_of"] or item["id"]
            for item in items
        }
        self.canonical = {i: by_id[i]["duplicate_of"] or i for i in by_id}
        self.shifts: list[float] = []  # the search page's CLS, one per digest query

    def _ids(self, urls: list[str]) -> list[str]:
        found: list[str] = []
        for url in urls:
            path = url.split("127.0.0.1", 1)[-1].split("/", 1)[-1].lstrip("/")
            story = self.story.get(path)
            if story and story not in found:
                found.append(story)
        return found[:10]

    def run(self, engine: str, query: str) -> tuple[list[str], int, int, int]:
        """(story ids of the top 10, how many results, index bytes, bytes with code)."""
        # A phone's width, where the layout shifts most; CLS as Chromium reports it.
        context = self.browser.new_context(viewport={"width": 390, "height": 844})
        context.add_init_script(LAYOUT_SHIFTS)
        page = context.new_page()
        fetched: list[tuple[str, int]] = []

        def finished(request) -> None:
            fetched.append((request.url, request.sizes()["responseBodySize"]))

        page.on("requestfinished", finished)
        if engine == "digest":
            page.goto(self.base + "search/?q=" + _quote(query))
            page.wait_for_function(
                "() => document.getElementById('search-status').textContent !== ''"
            )
            page.wait_for_load_state("networkidle")
            urls = page.eval_on_selector_all(".search-results h2 a", "as => as.map(a => a.href)")
            status = page.inner_text("#search-status")
            self.shifts.append(page.evaluate("window.layoutShift"))
            total = 0 if status.startswith("No results") and "showing" not in status else len(urls)
            index = sum(n for url, n in fetched if "/search/" in url and url.endswith(".json"))
            code = sum(n for url, n in fetched if url.endswith((".js",)))
        else:
            page.goto(self.base + "bench-pagefind.html")
            page.wait_for_function("() => window.ready === true")
            answer = page.evaluate("q => window.query(q)", query)
            page.wait_for_load_state("networkidle")
            urls, total = answer["urls"], answer["total"]
            index = sum(
                n
                for url, n in fetched
                if ("/pagefind/" in url and not url.endswith((".js", ".wasm", ".pagefind")))
                or url.endswith(".pf_meta")
            )
            index = sum(n for url, n in fetched if "/pagefind/" in url and not _code(url))
            code = sum(n for url, n in fetched if "/pagefind/" in url and _code(url))
        context.close()
        return self._ids(urls), total, index, index + code


def _code(url: str) -> bool:
    return url.endswith((".js", ".wasm")) or "wasm." in url


def _quote(query: str) -> str:
    from urllib.parse import quote_plus

    return quote_plus(query)


def measures(ranked: list[str], relevant: dict[str, int]) -> tuple[float, float, float]:
    """recall@10, nDCG@10 (gain 2^grade - 1), reciprocal rank. A query with nothing
    relevant (judged to have no answer) scores 1 on each when it returns nothing."""
    top = ranked[:10]
    if not relevant:
        return (0.0, 0.0, 0.0) if top else (1.0, 1.0, 1.0)
    recall = sum(1 for i in top if i in relevant) / len(relevant)
    dcg = sum((2 ** relevant.get(i, 0) - 1) / math.log2(r + 2) for r, i in enumerate(top))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum((2**g - 1) / math.log2(r + 2) for r, g in enumerate(ideal))
    rr = next((1 / (r + 1) for r, i in enumerate(ranked) if i in relevant), 0.0)
    return recall, dcg / idcg, rr


def compare(queries_file: Path, only: int | None) -> None:
    from playwright.sync_api import sync_playwright

    queries = yaml.safe_load(queries_file.read_text(encoding="utf-8"))[:only]
    with tempfile.TemporaryDirectory() as tmp:
        site = build(Path(tmp))
        pagefind(site)
        items = json.loads((site / "items.json").read_text(encoding="utf-8"))["items"]
        with served(site) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            engines = Engines(browser, base, items)
            totals: dict[str, list[list[float]]] = {"digest": [], "pagefind": []}
            print(f"{len(queries)} queries, {len(items)} items ({queries_file})\n")
            print(
                f"{'query':32} {'kind':12} | {'digest R  nDCG  RR   KiB':26} | {'pagefind R  nDCG  RR   KiB':26}"
            )
            for entry in queries:
                relevant = {
                    engines.canonical.get(str(k), str(k)): int(v)
                    for k, v in (entry.get("relevant") or {}).items()
                }
                row = []
                for engine in ("digest", "pagefind"):
                    ranked, total, index, with_code = engines.run(engine, str(entry["query"]))
                    recall, ndcg, rr = measures(ranked, relevant)
                    zero = 1.0 if total == 0 else 0.0
                    answerable = 1.0 if relevant else 0.0
                    totals[engine].append(
                        [
                            recall,
                            ndcg,
                            rr,
                            zero * answerable,
                            index,
                            with_code,
                            (1 - zero) * (1 - answerable),
                        ]
                    )
                    row.append(
                        f"{recall:4.2f} {ndcg:4.2f} {rr:4.2f} {index / 1024:5.1f}{' ZERO' if zero else '     '}"
                    )
                print(
                    f"{str(entry['query'])[:32]:32} {str(entry.get('kind', ''))[:12]:12} | "
                    + " | ".join(f"{r:26}" for r in row)
                )
            browser.close()
    shifts = engines.shifts
    print(
        f"\nsearch page at 390 px, CLS (layout-shift entries): max {max(shifts):.3f}, mean {sum(shifts) / len(shifts):.3f}"
    )
    print(
        "| engine | recall@10 | nDCG@10 | MRR | zero-result queries (of those with an answer) | results for queries without one | KiB per cold query (index) | KiB with code |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for engine, rows in totals.items():
        n = len(rows)
        mean = [sum(r[i] for r in rows) / n for i in range(7)]
        print(
            f"| {engine} | {mean[0]:.2f} | {mean[1]:.2f} | {mean[2]:.2f} | {int(sum(r[3] for r in rows))} "
            f"| {int(sum(r[6] for r in rows))} "
            f"| {mean[4] / 1024:.1f} | {mean[5] / 1024:.1f} |"
        )


def sizes(counts: list[int]) -> None:
    """digest's index on disk at each size, and bytes per cold query at the first."""
    from archive import make_archive
    from playwright.sync_api import sync_playwright

    for n, count in enumerate(counts):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            make_archive(count, folder / "content")
            start = time.perf_counter()
            site = build(folder, {})
            took = time.perf_counter() - start
            files = [p for p in (site / "search").rglob("*") if p.is_file()]
            size = sum(p.stat().st_size for p in files)
            print(
                f"{count} items: search index {size / 2**20:.1f} MiB in {len(files)} files (build {took:.0f} s)"
            )
            if n:
                continue
            queries = ["regulation", "funding round", "cnil data", "open source model", "france",
                       "robotics", "startups", "investment europe", "chips", "security"]  # fmt: skip
            with served(site) as base, sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox"]
                )
                engines = Engines(browser, base, [])
                fetched = [engines.run("digest", q)[2] for q in queries]
                browser.close()
            print(
                f"  bytes per cold query (index files): mean {sum(fetched) / len(fetched) / 1024:.1f} KiB, "
                f"max {max(fetched) / 1024:.1f} KiB over {len(queries)} queries"
            )
            shutil.rmtree(site, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("queries", nargs="?", type=Path, help="a judged query set (YAML)")
    parser.add_argument("--only", type=int, help="the first N queries only (a smoke run)")
    parser.add_argument("--sizes", type=int, nargs="+", help="archive sizes to measure")
    arguments = parser.parse_args()
    if arguments.sizes:
        sizes(arguments.sizes)
    if arguments.queries:
        compare(arguments.queries, arguments.only)
