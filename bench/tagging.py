"""Time topic tagging and near-duplicate detection at archive scale.

    python bench/tagging.py [N ...]        (default: 10000 50000)

For each N it makes an archive (bench/archive.py), then times, as the median of
three runs: tagging every item on one core and on all cores; grouping duplicates over the whole archive; and
checking one new edition of 20 items against the archive already indexed, which is
what a regeneration after dropping in a file costs.
"""

from __future__ import annotations

import pickle
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from archive import make_archive

from digest.config import SiteConfig
from digest.dedupe import DuplicateFinder
from digest.enrich import identify, tag, tag_all
from digest.load import load, load_taxonomy
from digest.taxonomy import Taxonomy

ROOT = Path(__file__).resolve().parent.parent
RUNS = 3


def median_time(action, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def copy_of(finder: DuplicateFinder) -> DuplicateFinder:
    # Through pickle, as a build gets its finder back from the cache: whatever the finder
    # holds is copied, so this cannot fall behind its fields again.
    return pickle.loads(pickle.dumps(finder, protocol=pickle.HIGHEST_PROTOCOL))


def measure(size: int, config: SiteConfig, taxonomy: Taxonomy) -> str:
    with tempfile.TemporaryDirectory() as folder:
        make_archive(size, Path(folder))
        loaded = load(Path(folder), replace(config, content=Path(folder)))
        items, _ = identify(loaded.editions)
    archive, edition = items[:-20], items[-20:]

    def group_all() -> None:
        finder = DuplicateFinder()
        for item in items:
            finder.add(item)

    one_core = median_time(lambda: [tag(item, taxonomy) for item in items])
    tagging = median_time(lambda: tag_all(items, taxonomy))
    group = median_time(group_all)
    indexed = DuplicateFinder()
    for item in archive:
        indexed.add(item)
    timings = []
    for _ in range(RUNS):
        probe = copy_of(indexed)  # the copy is not timed: a build has its index already
        started = time.perf_counter()
        for item in edition:
            probe.add(item)
        timings.append(time.perf_counter() - started)
    new_edition = statistics.median(timings)
    return (
        f"{size:>7} {one_core:>9.2f}s {one_core / size * 1e6:>7.0f}µs {tagging:>9.2f}s"
        f" {group:>9.2f}s {new_edition * 1000:>10.1f}ms"
    )


def main(sizes: list[int]) -> None:
    config = SiteConfig(taxonomy=ROOT / "content" / "topics.yaml")
    taxonomy = load_taxonomy(config)
    print(
        f"{'items':>7} {'tag 1 core':>10} {'per item':>9} {'tag, all':>9} {'group all':>9} {'new edition':>12}"
    )
    for size in sizes:
        print(measure(size, config, taxonomy), flush=True)


if __name__ == "__main__":
    main([int(n) for n in sys.argv[1:]] or [10000, 50000])
