"""`digest eval`: how well the taxonomy tags items, or digest derives headlines, against
an editor's labels.

Topic labels are a YAML mapping of item id to the topics a careful editor would give it.
The report gives precision, recall and F1 per topic and overall (micro-averaged over
every item-topic decision), and lists the items where tagger and editor disagree.

Headline labels (`digest eval --headlines`) map an item id to the headlines an editor
would accept for it. The report counts the derived headlines in the right form (at most
80 characters, no ellipsis, no final full stop), the faithful ones (every content word,
stop words aside, is a word of the summary, compared by stem), and gives the mean
content-word F1 with each item's closest label.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .headline import verb_lemma
from .markup import to_plain
from .model import Item
from .problems import Problem, error
from .words import compared_stem, primary, stem, stopwords, words_of
from .yamlfile import load_mapping


@dataclass(frozen=True)
class Score:
    topic: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True)
class Report:
    per_topic: tuple[Score, ...]
    overall: Score
    items: int
    disagreements: tuple[tuple[Item, tuple[str, ...]], ...]  # item, its labels
    unlabelled: tuple[Item, ...] = field(default=())
    missing: tuple[str, ...] = field(default=())  # labelled ids with no item


def parse_labels(
    text: str, file: str, topics: Sequence[str]
) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    entries, problems = load_mapping(text, file)
    labels: dict[str, tuple[str, ...]] = {}
    known = set(topics)
    for item_id, entry in entries.items():
        value = entry.value if entry.value is not None else []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            problems.append(
                error(
                    file,
                    entry.line,
                    f"{item_id}: expected a list of topics such as [regulation, funding]",
                )
            )
            continue
        unknown = [v for v in value if v not in known]
        if unknown:
            problems.append(
                error(
                    file,
                    entry.line,
                    f"{item_id}: unknown topic(s) {', '.join(unknown)} (known: {', '.join(topics)})",
                )
            )
            continue
        labels[item_id] = tuple(value)
    return labels, problems


def evaluate(
    items: Sequence[Item], labels: dict[str, tuple[str, ...]], topics: Sequence[str]
) -> Report:
    counts = {topic: [0, 0, 0] for topic in topics}
    disagreements = []
    labelled = [item for item in items if item.id in labels]
    for item in labelled:
        wanted, got = set(labels[item.id]), set(item.topics)
        for topic in got & wanted:
            counts[topic][0] += 1
        for topic in got - wanted:
            counts[topic][1] += 1
        for topic in wanted - got:
            counts[topic][2] += 1
        if wanted != got:
            disagreements.append((item, labels[item.id]))
    per_topic = tuple(Score(topic, *counts[topic]) for topic in topics)
    overall = Score("overall", *(sum(c[k] for c in counts.values()) for k in range(3)))
    found = {item.id for item in items}
    return Report(
        per_topic=per_topic,
        overall=overall,
        items=len(labelled),
        disagreements=tuple(disagreements),
        unlabelled=tuple(item for item in items if item.id not in labels),
        missing=tuple(sorted(set(labels) - found)),
    )


def format_report(report: Report, details: bool = False) -> list[str]:
    lines = [
        f"{'topic':<16} {'precision':>9} {'recall':>7} {'F1':>6}  {'tp':>4} {'fp':>4} {'fn':>4}"
    ]
    for score in (*report.per_topic, report.overall):
        lines.append(
            f"{score.topic:<16} {score.precision:>9.3f} {score.recall:>7.3f} {score.f1:>6.3f}  "
            f"{score.tp:>4} {score.fp:>4} {score.fn:>4}"
        )
    lines.append(
        f"{report.items} labelled items, {len(report.disagreements)} with other topics than their labels"
    )
    if report.unlabelled:
        lines.append(f"{len(report.unlabelled)} item(s) have no label and were not scored")
    if report.missing:
        lines.append(f"{len(report.missing)} label(s) name no item: {', '.join(report.missing)}")
    if details:
        for item, wanted in report.disagreements:
            got = ", ".join(item.topics) or "none"
            lines.append(
                f"  {item.source.file}:{item.source.line}: got {got}; labelled {', '.join(wanted) or 'none'}: {item.title}"
            )
    return lines


# Headlines -----------------------------------------------------------------------------

HEADLINE_LIMIT = 80  # characters, as digest/headline.py promises


@dataclass(frozen=True)
class HeadlineScore:
    item: Item
    headline: str
    labels: tuple[str, ...]
    right_form: bool
    faithful: bool
    f1: float  # content-word F1 with the closest label
    closest: str


@dataclass(frozen=True)
class HeadlineReport:
    scores: tuple[HeadlineScore, ...]
    missing: tuple[str, ...] = field(default=())  # labelled ids with no item

    @property
    def items(self) -> int:
        return len(self.scores)

    @property
    def right_form(self) -> int:
        return sum(score.right_form for score in self.scores)

    @property
    def faithful(self) -> int:
        return sum(score.faithful for score in self.scores)

    @property
    def mean_f1(self) -> float:
        return sum(s.f1 for s in self.scores) / len(self.scores) if self.scores else 0.0


def parse_headline_labels(text: str, file: str) -> tuple[dict[str, tuple[str, ...]], list[Problem]]:
    """Item id -> the headlines an editor would accept for it (one or more)."""
    entries, problems = load_mapping(text, file)
    labels: dict[str, tuple[str, ...]] = {}
    for item_id, entry in entries.items():
        value = entry.value
        if (
            not isinstance(value, list)
            or not value
            or not all(isinstance(v, str) and v.strip() for v in value)
        ):
            problems.append(
                error(
                    file,
                    entry.line,
                    f'{item_id}: expected a list of headlines such as ["CNIL fines a retailer"]',
                )
            )
            continue
        labels[item_id] = tuple(value)
    return labels, problems


def right_form(headline: str) -> bool:
    """At most 80 characters, not empty, no ellipsis, no final full stop."""
    text = headline.strip()
    return (
        bool(text)
        and len(headline) <= HEADLINE_LIMIT
        and "…" not in headline
        and "..." not in headline
        and not text.endswith(".")
    )


def _stem(word: str, language: str) -> str:
    """A word's stem as headlines are compared: in English as ever, in another language
    with its accents folded after stemming (a label typed without them still counts)."""
    return stem(word) if primary(language) == "en" else compared_stem(word, language)


def content_stems(text: str, language: str = "en") -> list[str]:
    """The stems of a text's words that are not stop words, in order."""
    common = stopwords(language)
    return [_stem(w, language) for w in words_of(text, language) if w.casefold() not in common]


def faithful(
    headline: str, summary: str, language: str = "en", lemma: Callable[[str], str] = verb_lemma
) -> bool:
    """Whether every content word of the headline is a word of the summary, stems compared.

    An irregular verb's forms have different stems (began, begins): those count as one
    word when `lemma` says they are forms of one verb (lemminflect's lexicon by default;
    French passes its own: levé, lève).
    """
    stems = {_stem(w, language) for w in words_of(summary, language)}
    common = stopwords(language)
    lemmas: set[str] | None = None
    for word in words_of(headline, language):
        if word.casefold() in common or _stem(word, language) in stems:
            continue
        if lemmas is None:
            lemmas = {lemma(w) for w in words_of(summary, language)} - {""}
        if lemma(word) not in lemmas:
            return False
    return True


def content_f1(headline: str, label: str, language: str = "en") -> float:
    """F1 of the headline's content stems against the label's, as bags of words."""
    got = Counter(content_stems(headline, language))
    wanted = Counter(content_stems(label, language))
    overlap = sum((got & wanted).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(got.values()), overlap / sum(wanted.values())
    return 2 * precision * recall / (precision + recall)


def evaluate_headlines(
    items: Sequence[Item],
    labels: dict[str, tuple[str, ...]],
    derive: Callable[[str], str],
    lemma: Callable[[str], str] = verb_lemma,
    language: str = "en",
) -> HeadlineReport:
    """Derive each labelled item's headline from its summary's plain text and score it."""
    scores = []
    for item in items:
        wanted = labels.get(item.id)
        if wanted is None:
            continue
        summary = to_plain(item.summary)
        headline = derive(summary)
        f1, closest = max((content_f1(headline, label, language), label) for label in wanted)
        scores.append(
            HeadlineScore(
                item=item,
                headline=headline,
                labels=wanted,
                right_form=right_form(headline),
                faithful=faithful(headline, summary, language, lemma),
                f1=f1,
                closest=closest,
            )
        )
    found = {item.id for item in items}
    return HeadlineReport(scores=tuple(scores), missing=tuple(sorted(set(labels) - found)))


def format_headline_report(report: HeadlineReport, details: bool = False) -> list[str]:
    lines = [
        f"{'items':>5} {'right form':>10} {'faithful':>8} {'mean F1':>7}",
        f"{report.items:>5} {report.right_form:>10} {report.faithful:>8} {report.mean_f1:>7.3f}",
    ]
    if report.missing:
        lines.append(f"{len(report.missing)} label(s) name no item: {', '.join(report.missing)}")
    if details:
        for score in report.scores:
            flags = ("" if score.right_form else " WRONG FORM") + (
                "" if score.faithful else " UNFAITHFUL"
            )
            lines.append(
                f"  {score.item.source.file}:{score.item.source.line}: F1 {score.f1:.2f}{flags}"
            )
            lines.append(f"      derived: {score.headline}")
            for label in score.labels:
                mark = "*" if label == score.closest else "-"
                lines.append(f"      {mark} {label}")
    return lines
