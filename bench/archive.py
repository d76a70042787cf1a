"""Make an archive of N items in editions of 20, derived from the sample edition.

Each item takes a sentence of a sample item (so that topics and length stay
realistic), replaces its names and amounts with generated ones, and adds a sentence
of words drawn from a large generated vocabulary, so that items are different stories
rather than copies (the near-duplicate detector would rightly group copies).

    python bench/archive.py 10000 /tmp/archive-10k
"""

from __future__ import annotations

import random
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "content" / "000_e808da6115982e84.txt"
PER_EDITION = 20
SYLLABLES = "ka lo mi ra ve no sa tu re li qua xen dor bel fin mar tis vo lum pra".split()
PLACES = "Lyon Lille Nantes Bordeaux Toulouse Nice Rennes Grenoble Strasbourg Montpellier Berlin Madrid Milan Lisbon Warsaw Vienna Oslo Dublin".split()
NAMES = re.compile(
    r"\b(AMI|Novita AI|Hugging Face|Scaleway|Mistral|Lovable|Pollen Robotics|OpenAI|TechCrunch|Reachy Mini|CNIL)\b"
)
AMOUNT = re.compile(r"[$€]\d+ billion|\b\d+\b")


def sample_pairs() -> list[tuple[str, str]]:
    lines = [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return list(zip(lines[0::2], lines[1::2], strict=True))


def name(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def vary(text: str, rng: random.Random, names: dict[str, str]) -> str:
    text = NAMES.sub(lambda m: names.setdefault(m.group(0), name(rng)), text)
    text = AMOUNT.sub(
        lambda m: (
            f"€{rng.randint(2, 900)} million"
            if "billion" in m.group(0)
            else str(rng.randint(2, 400))
        ),
        text,
    )
    return text.replace("France", rng.choice(PLACES)) if rng.random() < 0.3 else text


def vocabulary(rng: random.Random, size: int = 20000) -> list[str]:
    return ["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)]


def filler(rng: random.Random, words: list[str]) -> str:
    # A few common words, most rare, as in news text.
    picked = [
        rng.choice(words[:50]) if rng.random() < 0.2 else rng.choice(words)
        for _ in range(rng.randint(20, 30))
    ]
    return " ".join(picked).capitalize() + "."


def make_archive(count: int, folder: Path, seed: int = 1) -> list[Path]:
    rng = random.Random(seed)
    pairs = sample_pairs()
    words = vocabulary(rng)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for edition in range((count + PER_EDITION - 1) // PER_EDITION):
        lines = [
            "---",
            f"date: {2000 + edition // 365:04d}-{1 + edition % 365 // 31 % 12:02d}-{1 + edition % 28:02d}T08:00:00+01:00",
            "---",
        ]
        for _ in range(min(PER_EDITION, count - edition * PER_EDITION)):
            summary, analysis = rng.choice(pairs)
            names: dict[str, str] = {}
            first = vary(summary.split(". ")[0].rstrip(".") + ".", rng, names)
            lines += [f"{first} {filler(rng, words)}", vary(analysis, rng, names)]
        path = folder / f"{edition:05d}_edition.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        files.append(path)
    return files


@dataclass(frozen=True)
class BenchSite:
    """A site to build in `work`: site.yaml, content/ with N items, and one more edition."""

    work: Path
    content: Path
    site_yaml: Path
    new_edition: Path  # outside content/; copied in as "one more edition"

    @property
    def dropped(self) -> Path:
        return self.content / self.new_edition.name

    def add_edition(self) -> None:
        shutil.copy(self.new_edition, self.dropped)

    def remove_edition(self) -> None:
        self.dropped.unlink(missing_ok=True)

    def wipe(self) -> None:
        """What a clean build starts without: the sites, the kept previous ones, the caches."""
        for pattern in ("site*", ".site*", ".digest-*"):
            for path in self.work.glob(pattern):
                if path.is_dir():
                    shutil.rmtree(path)
                elif path.suffix != ".yaml":  # site.yaml and its variants stay
                    path.unlink()


def make_site(count: int, work: Path) -> BenchSite:
    """An archive of `count` items in work/content with the shipped topics, a site.yaml
    building it into work/site, and one more edition of 20 kept aside."""
    content = work / "content"
    make_archive(count, content)
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    extra = work / "extra"
    make_archive(count + PER_EDITION, extra)  # its last file is one more edition of 20
    new_edition = sorted(extra.glob("*.txt"))[-1]
    site_yaml = work / "site.yaml"
    site_yaml.write_text(
        "base_url: https://example.org/\ntimezone: Europe/Paris\ncontent: content\noutput: site\n"
    )
    return BenchSite(work, content, site_yaml, new_edition)


if __name__ == "__main__":
    make_archive(int(sys.argv[1]), Path(sys.argv[2]))
