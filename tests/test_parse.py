from __future__ import annotations

import pytest
from conftest import SAMPLE
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.parse import NOT_A_REPEAT, clean_line, parse_text, split_lines
from digest.problems import error, printable


def summaries_and_analyses(text: str) -> list[tuple[str, str | None]]:
    return [(item.summary, item.analysis) for item in parse_text(text, "f.txt").items]


def messages(text: str) -> list[str]:
    return [str(p) for p in parse_text(text, "f.txt").problems]


@pytest.mark.parametrize(
    "line",
    [
        "Analysis — text",
        "Analysis – text",
        "Analysis - text",
        "Analysis: text",
        "analysis—text",
        "ANALYSIS :text",
        "Analysis    —    text",
        "  Analysis — text  ",
        "Analysis -text",
        "Analysis- text",
        "Analyse — text",
        "analyse: text",
        "Analyse\u00a0: text",  # French sets a non-breaking space before a colon
        "Analyse\u202f: text",
        "ANALYSE – text",
    ],
)
def test_analysis_marker_forms(line: str) -> None:
    assert summaries_and_analyses(f"A summary.\n{line}\n") == [("A summary.", "text")]
    assert messages(f"A summary.\n{line}\n") == []


@pytest.mark.parametrize(
    "summary",
    [
        "Analysis of 2,000 job postings shows a shift to AI skills.",
        "An analysis of the 100 most popular local AI configurations.",
        "Analysis-driven tools are spreading in newsrooms.",
        "Analysts say the round is large.",
        "Analyse de 2 000 offres d’emploi : l’IA s’impose.",
        "Analyses and forecasts disagree on the size of the round.",
        "Analyse-t-on assez les risques ? Une étude répond.",
    ],
)
def test_a_summary_that_starts_with_the_word_is_a_summary(summary: str) -> None:
    assert summaries_and_analyses(f"{summary}\nAnalysis — Why it matters.\n") == [
        (summary, "Why it matters.")
    ]


def test_marker_is_not_stored_and_inner_dashes_are_kept() -> None:
    text = "S.\nAnalysis — The 'French model'—coupling defense — and rights.\n"
    assert summaries_and_analyses(text) == [
        ("S.", "The 'French model'—coupling defense — and rights.")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "One.\nAnalysis — A.\n\n\nTwo.\nAnalysis — B.\n",
        "One.\nAnalysis — A.\n   \t \nTwo.\nAnalysis — B.",
        "One.   \nAnalysis — A.  \t\nTwo.\nAnalysis — B.\n",
        "One.\r\nAnalysis — A.\r\nTwo.\r\nAnalysis — B.\r\n",
        "One.\rAnalysis — A.\rTwo.\rAnalysis — B.",
        "\ufeffOne.\nAnalysis — A.\nTwo.\nAnalysis — B.\n",
        "\n\nOne.\nAnalysis — A.\nTwo.\nAnalysis — B.\n\n\n",
    ],
)
def test_layout_variations_are_accepted_silently(text: str) -> None:
    parsed = parse_text(text, "f.txt")
    assert [(i.summary, i.analysis) for i in parsed.items] == [("One.", "A."), ("Two.", "B.")]
    assert parsed.problems == ()


def test_line_numbers_count_every_kind_of_line_break() -> None:
    parsed = parse_text("\r\nOne.\rAnalysis — A.\r\n\nTwo.\nAnalysis — B.", "f.txt")
    assert [(i.line, i.analysis_line) for i in parsed.items] == [(2, 3), (5, 6)]


def test_summary_without_analysis_is_published_and_warned() -> None:
    text = "One.\nTwo.\nAnalysis — B.\nThree.\n"
    assert summaries_and_analyses(text) == [("One.", None), ("Two.", "B."), ("Three.", None)]
    assert messages(text) == [
        "f.txt:1: warning: summary has no analysis line after it; published without analysis",
        "f.txt:4: warning: summary has no analysis line after it; published without analysis",
    ]


def test_analysis_without_summary_is_an_error() -> None:
    text = "Analysis — Orphan.\nOne.\nAnalysis — A.\nAnalysis — Another orphan.\n"
    assert summaries_and_analyses(text) == [("One.", "A.")]
    assert messages(text) == [
        "f.txt:1: error: analysis with no summary before it: 'Orphan.'",
        "f.txt:4: error: analysis with no summary before it: 'Another orphan.'",
    ]


def test_empty_analysis_is_warned() -> None:
    text = "One.\nAnalysis —\n"
    assert summaries_and_analyses(text) == [("One.", None)]
    assert messages(text) == [
        "f.txt:2: warning: analysis line is empty; published without analysis"
    ]


def test_control_characters_are_removed_with_a_warning() -> None:
    text = "One\x07 bell.\x00\nAnalysis — tab\tkept.\n"
    assert summaries_and_analyses(text) == [("One bell.", "tab\tkept.")]
    assert messages(text) == ["f.txt:1: warning: removed control character(s) U+0000, U+0007"]


def test_front_matter_sets_title_and_date() -> None:
    parsed = parse_text(
        "---\ntitle: Week 48\ndate: 2026-11-26\n---\nOne.\nAnalysis — A.\n", "f.txt"
    )
    assert parsed.title == "Week 48"
    assert str(parsed.date) == "2026-11-26"
    assert [(i.summary, i.line) for i in parsed.items] == [("One.", 5)]
    assert parsed.problems == ()


def test_front_matter_reports_unknown_keys_and_bad_values_with_their_lines() -> None:
    text = "---\ntitle: W\nauthor: Ann\ndate: next tuesday\n---\nOne.\nAnalysis — A.\n"
    assert messages(text) == [
        "f.txt:3: warning: unknown front-matter key 'author' is ignored (known: date, draft, title)",
        "f.txt:4: error: date: expected a date such as 2026-11-26 or "
        "2026-11-26T08:00:00+01:00, got 'next tuesday'",
    ]


def test_unclosed_front_matter_is_an_error_and_the_rest_still_parses() -> None:
    parsed = parse_text("---\nOne.\nAnalysis — A.\n", "f.txt")
    assert [str(p) for p in parsed.problems] == [
        "f.txt:1: error: front matter opened with '---' is never closed by a '---' line"
    ]
    assert [(i.summary, i.analysis) for i in parsed.items] == [("One.", "A.")]


def test_front_matter_that_is_not_yaml_is_reported() -> None:
    assert messages("---\ntitle: [unclosed\n---\nOne.\nAnalysis — A.\n")[0].startswith(
        "f.txt:2: error: not valid YAML"
    )


def test_the_sample_edition_parses_into_twenty_pairs(sample_text: str) -> None:
    parsed = parse_text(sample_text, "000.txt")
    assert len(parsed.items) == 20
    assert all(item.analysis for item in parsed.items)
    assert parsed.problems == ()
    assert parsed.items[-2].summary.startswith("An analysis of the 100 most popular")


@pytest.fixture
def sample_text() -> str:
    return SAMPLE.read_text(encoding="utf-8")


LINE_PIECES = st.sampled_from(
    [
        "Headline — h",
        "Titre\u00a0: t",
        "Titre-service",
        "Pas un doublon",
        "pas un doublon — suite",
        "Analyse — a",
        "Analyse\u202f:",
        "Analyse de",
        "\u00a0",
        "«",
        "headline:",
        "Headline-grabbing",
        "Headline - x",
        "Not a repeat",
        "not a repeat: why",
        "NOT A REPEAT.",
        "Analysis — x",
        "analysis:",
        "Analysis-driven",
        "---",
        "title: t",
        "date: 2026-01-01",
        "",
        "  ",
        "\t",
        "Summary.",
        "\x00",
        "\r",
        "\n",
        "\r\n",
        "\ufeff",
        "é",
        "—",
        "Analysis",
        ":",
        "-",
        "[",
        "{",
    ]
)
TEXTS = st.one_of(
    st.text(),
    st.lists(LINE_PIECES).map("".join),
    st.lists(st.one_of(LINE_PIECES, st.text(max_size=5))).map("\n".join),
)


@settings(max_examples=400, deadline=None)
@given(TEXTS)
def test_parser_never_raises_and_every_line_is_accounted_for(text: str) -> None:
    parsed = parse_text(text, "f.txt")
    covered = {p.line for p in parsed.problems}
    for item in parsed.items:
        covered |= {item.line, item.analysis_line, item.headline_line}
    # A 'Not a repeat' line has no line of its own in the item: it belongs to the next
    # summary, which must then be marked, with no other item's line between them.
    item_lines = sorted((item.line, item.distinct) for item in parsed.items)
    lines = split_lines(text)
    for number, line in enumerate(lines, start=1):
        if number not in covered and NOT_A_REPEAT.fullmatch(clean_line(line)[0].strip()):
            after = [distinct for at, distinct in item_lines if at > number]
            if after and after[0]:
                covered.add(number)
    front_matter_end = 0
    if lines and lines[0].strip() == "---":
        closing = [n for n in range(2, len(lines) + 1) if lines[n - 1].strip() == "---"]
        # A closed block is settings, each used or reported; an unclosed one is an error on line 1.
        front_matter_end = closing[0] if closing else 1
        assert closing or 1 in covered
    for number, line in enumerate(lines, start=1):
        if number > front_matter_end and clean_line(line)[0].strip():
            assert number in covered, (number, line, parsed)


@pytest.mark.parametrize(
    ("value", "title"),
    [
        ("2026-01-01", "2026-01-01"),
        ("1984", "1984"),
        ("3.5", "3.5"),
        ("1.10", "1.10"),
        ("2026-02-30", "2026-02-30"),
        ("true", "true"),
        ("'  Week 48 '", "Week 48"),
    ],
)
def test_a_title_that_yaml_reads_as_another_type_is_taken_as_text(value: str, title: str) -> None:
    parsed = parse_text(f"---\ntitle: {value}\n---\nOne.\nAnalysis — A.\n", "f.txt")
    assert (parsed.title, parsed.problems) == (title, ())


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01 00:00:00+05:00",
        '"0001-01-01T00:00:00+05:00"',
        "1899-12-31",
        "9999-12-31T23:59:59-23:00",
        '"9999-12-31"',
    ],
)
def test_a_front_matter_date_outside_the_sane_years_is_an_error_on_its_line(value: str) -> None:
    [problem] = parse_text(f"---\ndate: {value}\n---\nOne.\nAnalysis — A.\n", "f.txt").problems
    assert str(problem).startswith("f.txt:2: error: date: ")
    assert str(problem).endswith(" is not between the years 1900 and 9998")


def test_noncharacters_are_removed_with_a_warning() -> None:
    text = "One\ufffe \uffff\ufdd0.\x07\nAnalysis — \U0010ffffA.\n"
    assert summaries_and_analyses(text) == [("One .", "A.")]
    assert messages(text) == [
        "f.txt:1: warning: removed control character(s) U+0007 and noncharacter(s) U+FDD0, "
        "U+FFFE, U+FFFF",
        "f.txt:2: warning: removed noncharacter(s) U+10FFFF",
    ]


def _xml_forbidden_or_noncharacter(char: str) -> bool:
    code = ord(char)
    allowed = code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
    allowed = allowed or 0x10000 <= code <= 0x10FFFF
    return (
        not allowed or 0xFDD0 <= code <= 0xFDEF or code & 0xFFFE == 0xFFFE or 0x7F <= code <= 0x9F
    )


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(), max_size=60))
def test_no_item_text_keeps_a_character_xml_forbids(text: str) -> None:
    parsed = parse_text(text, "f.txt")
    kept = "".join(item.summary + (item.analysis or "") for item in parsed.items)
    assert not any(_xml_forbidden_or_noncharacter(c) for c in kept)
    for problem in parsed.problems:
        assert str(problem).isprintable()


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(), st.one_of(st.none(), st.integers(1, 10**6)))
def test_a_problem_is_always_one_printable_line(file: str, message: str, line: int | None) -> None:
    shown = str(error(file, line, message))
    assert shown.isprintable() and printable(shown) == shown


HEADLINE_ITEM = "Headline {marker} AMI raises $1 billion\nThe startup AMI has raised $1 billion.\nAnalysis — A.\n"


@pytest.mark.parametrize("marker", ["—", "–", ":", " —", " :", " -", "  —  "])
def test_a_headline_line_gives_the_next_summary_its_headline(marker: str) -> None:
    for case in (str.lower, str.upper, str):
        text = HEADLINE_ITEM.replace("Headline", case("Headline")).format(marker=marker)
        [item] = parse_text(text, "f.txt").items
        assert (item.headline, item.headline_line, item.line) == ("AMI raises $1 billion", 1, 2)
        assert (item.summary, item.analysis, item.distinct) == (
            "The startup AMI has raised $1 billion.",
            "A.",
            False,
        )
        assert messages(text) == []


@pytest.mark.parametrize(
    "summary",
    [
        "Headline-grabbing results came from the new model.",
        "Headlines were dominated by the funding round.",
        "Headline inflation: prices of GPUs rose again.",
        "Title — a summary that starts with the word Title.",
        "# 1 in the rankings, Mistral's model leads.",
        "Not a repeat of last year's record, the round is smaller.",
        "Not a repeat performance. The startup changed course.",
        "Titres de presse : les éditeurs attaquent un moteur d’IA.",
        "Titre-service, le chèque emploi s’ouvre à l’IA.",
        "Pas un doublon de plus : la CNIL publie un nouveau référentiel.",
    ],
)
def test_a_summary_that_starts_like_a_marker_is_a_summary(summary: str) -> None:
    [item] = parse_text(f"{summary}\nAnalysis — A.\n", "f.txt").items
    assert (item.summary, item.headline, item.distinct) == (summary, None, False)


def test_a_headline_keeps_its_inner_dashes_and_is_stripped() -> None:
    [item] = parse_text("Headline —  Paris – Berlin: a pact  \nS.\nAnalysis — A.\n", "f.txt").items
    assert item.headline == "Paris – Berlin: a pact"


@pytest.mark.parametrize(
    "mark",
    ["Not a repeat", "not a repeat.", "NOT A REPEAT — a follow-up", "Not a repeat: new round"],
)
@pytest.mark.parametrize("headline_first", [True, False])
def test_not_a_repeat_before_or_after_the_headline_marks_the_item(
    mark: str, headline_first: bool
) -> None:
    head = ["Headline — H"]
    before = [*head, mark] if headline_first else [mark, *head]
    text = "\n".join(["One.", "Analysis — A.", *before, "Two.", "Analysis — B.", "Three."]) + "\n"
    parsed = parse_text(text, "f.txt")
    assert [(i.summary, i.headline, i.distinct) for i in parsed.items] == [
        ("One.", None, False),
        ("Two.", "H", True),
        ("Three.", None, False),
    ]
    assert [str(p) for p in parsed.problems] == [
        "f.txt:7: warning: summary has no analysis line after it; published without analysis"
    ]


def test_a_headline_with_no_summary_after_it_is_an_error_at_its_line() -> None:
    text = (
        "Headline — First\n"  # another headline follows
        "Headline — Second\n"
        "Analysis — orphan\n"  # the second has an analysis after it, not a summary
        "One.\n"
        "Analysis — A.\n"
        "Headline — Last\n"  # the file ends
    )
    parsed = parse_text(text, "f.txt")
    assert [(i.summary, i.headline) for i in parsed.items] == [("One.", None)]
    assert sorted(str(p) for p in parsed.problems) == [
        "f.txt:1: error: headline with no summary after it (another headline line follows it)",
        "f.txt:2: error: headline with no summary after it (an analysis line follows it; "
        "these lines go before the summary)",
        "f.txt:3: error: analysis with no summary before it: 'orphan'",
        "f.txt:6: error: headline with no summary after it (the file ends)",
    ]


def test_a_not_a_repeat_mark_with_no_summary_after_it_is_an_error() -> None:
    assert messages("One.\nAnalysis — A.\nNot a repeat\n") == [
        "f.txt:3: error: 'Not a repeat' with no summary (the file ends)"
    ]
    assert sorted(messages("Not a repeat\nAnalysis — orphan\n")) == [
        "f.txt:1: error: 'Not a repeat' with no summary (an analysis line follows it; "
        "these lines go before the summary)",
        "f.txt:2: error: analysis with no summary before it: 'orphan'",
    ]


def test_a_headline_after_a_summary_opens_the_next_item() -> None:
    text = "One.\nHeadline — H\nTwo.\nAnalysis — B.\n"
    parsed = parse_text(text, "f.txt")
    assert [(i.summary, i.analysis, i.headline) for i in parsed.items] == [
        ("One.", None, None),
        ("Two.", "B.", "H"),
    ]
    assert [str(p) for p in parsed.problems] == [
        "f.txt:1: warning: summary has no analysis line after it; published without analysis"
    ]


def test_an_empty_headline_is_an_error_and_a_long_one_a_warning() -> None:
    parsed = parse_text("Headline —\nOne.\nAnalysis — A.\n", "f.txt")
    assert [(i.summary, i.headline) for i in parsed.items] == [("One.", None)]
    assert [str(p) for p in parsed.problems] == ["f.txt:1: error: headline line is empty"]
    long = "word " * 17 + "end"  # 88 characters
    parsed = parse_text(f"Headline: {long}\nOne.\nAnalysis — A.\n", "f.txt")
    assert [i.headline for i in parsed.items] == [long]
    assert [str(p) for p in parsed.problems] == [
        "f.txt:1: warning: headline is 88 characters long (more than 80); published as written"
    ]
    exactly = "x" * 80
    assert parse_text(f"Headline: {exactly}\nOne.\n", "f.txt").items[0].headline == exactly


def test_a_repeated_mark_is_warned() -> None:
    parsed = parse_text("Not a repeat\nnot a repeat.\nOne.\nAnalysis — A.\n", "f.txt")
    assert [i.distinct for i in parsed.items] == [True]
    assert [str(p) for p in parsed.problems] == ["f.txt:2: warning: 'Not a repeat' given twice"]


def test_a_french_item_reads_like_an_english_one() -> None:
    text = (
        "Titre\u00a0: La CNIL sanctionne une enseigne\n"
        "Pas un doublon — une autre enseigne que la semaine dernière\n"
        "La CNIL a infligé une amende de 600\u202f000 € à une enseigne de bricolage.\n"
        "Analyse — « Sans en informer ses clients » : la formule revient souvent.\n"
    )
    parsed = parse_text(text, "f.txt")
    assert parsed.problems == ()
    [item] = parsed.items
    assert (item.headline, item.headline_line, item.distinct, item.line, item.analysis_line) == (
        "La CNIL sanctionne une enseigne",
        1,
        True,
        3,
        4,
    )
    assert item.analysis == "« Sans en informer ses clients » : la formule revient souvent."


def test_french_markers_are_reported_as_the_english_ones_are() -> None:
    assert messages("Analyse — orpheline\n") == [
        "f.txt:1: error: analysis with no summary before it: 'orpheline'"
    ]
    assert messages("Un.\nAnalyse — A.\nPas un doublon\n") == [
        "f.txt:3: error: 'Not a repeat' with no summary (the file ends)"
    ]
