"""`digest eval`: how well the taxonomy tags items, against an editor's labels.

Labels are a YAML mapping of item id to the topics a careful editor would give it.
The report gives precision, recall and F1 per topic and overall (micro-averaged over
every item-topic decision), and lists the items where tagger and editor disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .model import Item
from .problems import Problem, error
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
