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

import heapq
import math
from array import array
from collections import Counter
from collections.abc import Sequence

from .model import Item
from .words import stem, words_of

SIMILARITY = 0.40  # weighted cosine from which two summaries tell the same story
MIN_SHARED = 3  # rare stems two summaries must share before they are compared at all
CANDIDATES = 8  # at most this many earlier items, those sharing the most rare stems, are compared
RARE_SHARE = 0.002  # a stem in more than this share of earlier items is too common to index
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


class DuplicateFinder:
    """Items fed in edition order; each is checked against those fed before it.

    Stems are kept as numbers in flat arrays rather than as sets of strings: the finder
    is kept between builds, and at 50,000 items the sets took ten times the memory and
    most of the time it took to load."""

    def __init__(self, language: str = "en") -> None:
        self.language = language
        self.vocabulary: dict[str, int] = {}  # stem -> number
        self.words: list[str] = []  # number -> stem
        self.postings: list[array[int]] = []  # per stem number, the items that have it
        self._stems = array("I")  # every item's stem numbers, one item after another
        self._ends = array("I")  # where each item's stem numbers end in _stems
        self.ids: list[str] = []
        self.first_of = array("I")  # index of the story's first item, per item

    def stems(self, index: int) -> frozenset[str]:
        """The stems of the `index`th item fed."""
        return frozenset(self.words[n] for n in self._numbers(index))

    def add(self, item: Item, mine: frozenset[str] | None = None) -> str | None:
        """Record `item`; return the id of the first report of its story, if it repeats one.

        `mine` is the item's `features`, when they are already known."""
        if mine is None:
            mine = features(item.summary, self.language)
        numbers = set()
        for word in mine:
            number = self.vocabulary.get(word)
            if number is None:
                number = self.vocabulary[word] = len(self.words)
                self.words.append(word)
                self.postings.append(array("I"))
            numbers.add(number)
        best = self._best_match(numbers)
        index = len(self.ids)
        self.first_of.append(self.first_of[best] if best is not None else index)
        self._stems.extend(sorted(numbers))
        self._ends.append(len(self._stems))
        self.ids.append(item.id)
        for number in numbers:
            self.postings[number].append(index)
        return self.ids[self.first_of[best]] if best is not None else None

    def _numbers(self, index: int) -> array[int]:
        return self._stems[self._ends[index - 1] if index else 0 : self._ends[index]]

    def _best_match(self, mine: set[int]) -> int | None:
        count = len(self.ids)
        rare_limit = max(RARE_FLOOR, int(count * RARE_SHARE))
        shared: Counter[int] = Counter()
        for number in mine:
            earlier = self.postings[number]
            if 0 < len(earlier) <= rare_limit:
                shared.update(earlier)
        enough = [(-count, other) for other, count in shared.items() if count >= MIN_SHARED]
        best, best_score = None, SIMILARITY
        for other in sorted(other for _, other in heapq.nsmallest(CANDIDATES, enough)):
            score = self._similarity(mine, set(self._numbers(other)), count)
            if score > best_score or (best is None and score >= best_score):
                best, best_score = other, score
        return best

    def _similarity(self, a: set[int], b: set[int], count: int) -> float:
        """Cosine of the two stem sets, each stem weighted by its IDF over the earlier items."""
        weights = {n: (math.log((count + 1) / (len(self.postings[n]) + 1)) + 1) ** 2 for n in a | b}
        # fsum: exact, so the score does not depend on the order the sets are walked in.
        common = math.fsum(weights[n] for n in a & b)
        norm = math.sqrt(math.fsum(weights[n] for n in a) * math.fsum(weights[n] for n in b))
        return common / norm if norm else 0.0


def find_duplicates(items: Sequence[Item], language: str = "en") -> dict[str, str]:
    """{id of a later item: id of the first item of its story}, for items in edition order."""
    finder = DuplicateFinder(language)
    found = {item.id: finder.add(item) for item in items}
    return {later: first for later, first in found.items() if first is not None}
