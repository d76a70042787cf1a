"""Near-duplicate stories: the same news reported twice in other words.

Items are compared by the stems of their summaries, each weighted by its rarity (IDF),
so that boilerplate shared by different stories ("The French data protection authority
(CNIL) has issued new guidance …") weighs little and the words that make a story its
own weigh a lot. Candidates are found through an index of rare stems, never by
comparing all pairs.

Each item is compared only with the items before it (in edition order), and word
rarity is counted over those items only: so a new edition never changes what was
decided for older ones, and a published item's place never moves.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from .model import Item
from .words import stem, words_of

SIMILARITY = 0.40  # weighted cosine from which two summaries tell the same story
MIN_SHARED = 3  # rare stems two summaries must share before they are compared at all
RARE_SHARE = 0.02  # a stem in more than this share of earlier items is too common to index
RARE_FLOOR = 50  # ... but every stem seen fewer times than this is indexed

STOPWORDS = frozenset(
    """a about above across after again against all also am an and any are as at be been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its itself just
    more most my new no nor not now of off on once only or other our out over own same she
    should so some such than that the their them then there these they this those through to
    too under until up very via was we were what when where which while who whom why will with
    would you your""".split()
)


def features(summary: str, language: str = "en") -> frozenset[str]:
    return frozenset(stem(w, language) for w in words_of(summary) if w.casefold() not in STOPWORDS)


def find_duplicates(items: Sequence[Item], language: str = "en") -> dict[str, str]:
    """{id of a later item: id of the first item of its story}, for items in edition order."""
    postings: dict[str, list[int]] = {}
    seen: list[frozenset[str]] = []
    first_of: list[int] = []  # index of the story's first item, per item
    duplicates: dict[str, str] = {}
    for index, item in enumerate(items):
        mine = features(item.summary, language)
        best = _best_match(mine, seen, postings, index)
        first_of.append(first_of[best] if best is not None else index)
        if best is not None:
            duplicates[item.id] = items[first_of[best]].id
        seen.append(mine)
        for feature in mine:
            postings.setdefault(feature, []).append(index)
    return duplicates


def _best_match(
    mine: frozenset[str], seen: list[frozenset[str]], postings: dict[str, list[int]], count: int
) -> int | None:
    rare_limit = max(RARE_FLOOR, int(count * RARE_SHARE))
    shared: Counter[int] = Counter()
    for feature in mine:
        earlier = postings.get(feature)
        if earlier is not None and len(earlier) <= rare_limit:
            shared.update(earlier)
    best, best_score = None, SIMILARITY
    for other, rare_shared in shared.items():
        if rare_shared < MIN_SHARED:
            continue
        score = _similarity(mine, seen[other], postings, count)
        if score >= best_score and (best is None or score > best_score or other < best):
            best, best_score = other, score
    return best


def _similarity(
    a: frozenset[str], b: frozenset[str], postings: dict[str, list[int]], count: int
) -> float:
    """Cosine of the two stem sets, each stem weighted by its IDF over the earlier items."""

    def weight(feature: str) -> float:
        frequency = len(postings.get(feature, ()))
        return math.log((count + 1) / (frequency + 1)) + 1

    weights = {f: weight(f) ** 2 for f in a | b}
    common = sum(weights[f] for f in a & b)
    norm = math.sqrt(sum(weights[f] for f in a) * sum(weights[f] for f in b))
    return common / norm if norm else 0.0
