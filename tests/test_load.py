from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import TWO_ITEMS, config_for
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.ledger import format_ledger, parse_ledger
from digest.load import load
from digest.problems import UsageError

ONE = "One.\nAnalysis — A.\n"


def test_editions_are_ordered_by_number_and_other_files_ignored(content, tmp_path: Path) -> None:
    folder = content(
        {
            "10_b.txt": ONE,
            "9_a.txt": ONE,
            "0001_c.txt": ONE,
            "README.md": "notes",
            ".DS_Store": b"\x00\x01",
            "9_a.txt~": ONE,
            "topics.yaml": "{}",
        }
    )
    (folder / "drafts").mkdir()
    loaded = load(folder, config_for(tmp_path))
    assert [e.name for e in loaded.editions] == ["0001_c.txt", "9_a.txt", "10_b.txt"]
    assert [e.number for e in loaded.editions] == [1, 9, 10]
    ignored = sorted(line.split("/")[-1] for line in loaded.ignored)
    assert ignored == [
        ".DS_Store: ignored (a hidden file)",
        "9_a.txt~: ignored (not an item file)",
        "README.md: ignored (not an item file)",
        "drafts: ignored (a folder)",
    ]
    assert loaded.problems == ()


def test_a_txt_file_without_a_number_is_reported_not_dropped(content, tmp_path: Path) -> None:
    folder = content({"news.txt": ONE})
    loaded = load(folder, config_for(tmp_path))
    assert loaded.editions == ()
    assert [p.message for p in loaded.problems] == [
        "not read: item files are named NNN_name.txt (e.g. 001_news.txt)"
    ]


def test_an_empty_edition_is_reported(content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": "\n  \n", "2_b.txt": "---\ntitle: x\n---\n"})
    loaded = load(folder, config_for(tmp_path))
    assert [(p.file.split("/")[-1], p.message) for p in loaded.problems] == [
        ("1_a.txt", "no items in this file"),
        ("2_b.txt", "no items in this file"),
    ]


def test_two_files_with_one_number_is_an_error(content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": ONE, "001_b.txt": "Two.\nAnalysis — B.\n"})
    loaded = load(folder, config_for(tmp_path))
    assert [(p.severity, p.message) for p in loaded.problems] == [
        ("error", "edition number 1 is also used by 001_b.txt")
    ]


def test_cp1252_text_is_read_and_reported_with_its_line(content, tmp_path: Path) -> None:
    folder = content(
        {
            "1_a.txt": "One.\nAnalysis: A.\nFrance Télévisions moves.\nAnalysis: B.\n".encode(
                "cp1252"
            )
        }
    )
    loaded = load(folder, config_for(tmp_path))
    assert loaded.editions[0].items[1].summary == "France Télévisions moves."
    [problem] = loaded.problems
    assert problem.severity == "warning" and problem.line == 3
    assert "not valid UTF-8 (byte 0xE9); the file was read as Windows-1252" in problem.message
    assert problem.file.endswith("1_a.txt")


def test_utf16_with_a_byte_order_mark_is_read(content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": "\ufeffOne é.\nAnalysis — A.\n".encode("utf-16-le")})
    loaded = load(folder, config_for(tmp_path))
    assert loaded.editions[0].items[0].summary == "One é."
    assert [p.message for p in loaded.problems] == [
        "saved as UTF-16; read as such (save it as UTF-8)"
    ]


def test_missing_content_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load(tmp_path / "nope", config_for(tmp_path))


def test_new_edition_dates_come_from_the_file_and_are_to_be_recorded(
    content, tmp_path: Path
) -> None:
    folder = content({"1_a.txt": TWO_ITEMS})
    os.utime(folder / "1_a.txt", (1_700_000_000.7, 1_700_000_000.7))
    loaded = load(folder, config_for(tmp_path, timezone="Europe/Paris"))
    when = loaded.editions[0].date
    assert when.isoformat() == "2023-11-14T23:13:20+01:00"
    assert loaded.new_dates == {"1_a.txt": when}


def test_recorded_dates_win_over_file_times(content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": TWO_ITEMS, "dates.yaml": '"1_a.txt": 2026-01-02T03:04:05+01:00\n'})
    loaded = load(folder, config_for(tmp_path))
    assert loaded.editions[0].date.isoformat() == "2026-01-02T03:04:05+01:00"
    assert loaded.new_dates == {}


def test_front_matter_date_wins_and_takes_the_site_time_zone(content, tmp_path: Path) -> None:
    folder = content(
        {
            "1_a.txt": "---\ndate: 2026-03-01\ntitle: Spring\n---\n" + ONE,
            "2_b.txt": "---\ndate: 2026-03-08T09:30:00Z\n---\n" + ONE.replace("One", "Two"),
            "dates.yaml": '"1_a.txt": 2020-01-01T00:00:00+00:00\n',
        }
    )
    loaded = load(folder, config_for(tmp_path, timezone="Europe/Paris"))
    first, second = loaded.editions
    assert first.title == "Spring"
    assert first.date.isoformat() == "2026-03-01T00:00:00+01:00"
    assert second.date.isoformat() == "2026-03-08T10:30:00+01:00"
    assert loaded.new_dates == {}


def test_bad_ledger_lines_are_errors_with_their_lines() -> None:
    dates, problems = parse_ledger(
        '"a.txt": 2026-01-01T00:00:00+00:00\n"b.txt": yesterday\n"c.txt": 2026-01-01T10:00:00\n',
        "dates.yaml",
    )
    assert list(dates) == ["a.txt"]
    assert [(p.line, p.severity) for p in problems] == [(2, "error"), (3, "error")]


def test_ledger_round_trips_any_file_name() -> None:
    when = datetime.fromisoformat("2026-11-26T08:00:00+01:00")
    names = {
        '1_a "quoted".txt': when,
        "2_b: colon.txt": when,
        "3_c\\back.txt": when,
        "4_é.txt": when,
    }
    dates, problems = parse_ledger(format_ledger(names), "dates.yaml")
    assert dates == names and problems == []


def test_read_only_folder_is_detected(content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": ONE})
    folder.chmod(0o555)
    try:
        assert load(folder, config_for(tmp_path)).content_writable is False
    finally:
        folder.chmod(0o755)
    assert load(folder, config_for(tmp_path)).content_writable is True


FIXED_OFFSETS = st.integers(-(24 * 3600 - 1), 24 * 3600 - 1).map(
    lambda seconds: timezone(timedelta(seconds=seconds))
)
LEDGER_DATES = st.datetimes(
    min_value=datetime(1900, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.one_of(st.timezones(), FIXED_OFFSETS),
)
# Any text without lone surrogates: quotes, backslashes, controls, U+2028, U+0085, U+FEFF,
# noncharacters, and names long enough to need YAML's explicit key form.
LEDGER_NAMES = st.one_of(
    st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=40),
    st.text(st.sampled_from('\x00\x01\n\r\t\x85\u2028\u2029\ufeff\ufffe"\\: #'), max_size=400),
)


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(LEDGER_NAMES, LEDGER_DATES, max_size=6))
def test_the_ledger_reads_back_exactly_what_it_wrote(dates: dict[str, datetime]) -> None:
    # The ledger is given fixed offsets, as load makes them: a zone's time in a daylight-
    # saving gap or fold never compares equal to another zone's (PEP 495).
    dates = {name: datetime.fromisoformat(when.isoformat()) for name, when in dates.items()}
    text = format_ledger(dates)
    read, problems = parse_ledger(text, "dates.yaml")
    assert problems == []
    assert {k: v.isoformat() for k, v in read.items()} == {
        k: v.isoformat() for k, v in dates.items()
    }
    assert read == dates


def test_a_name_that_was_not_utf8_is_never_recorded() -> None:
    with pytest.raises(ValueError, match="not a name the ledger can record"):
        format_ledger({"1_\udcff.txt": datetime.fromisoformat("2026-01-01T00:00:00+00:00")})
    dates, problems = parse_ledger('"1_\\uDCFF.txt": 2026-01-01T00:00:00+00:00\n', "dates.yaml")
    assert dates == {} and [p.severity for p in problems] == ["error"]


@pytest.mark.parametrize(
    "value",
    ["0001-01-01T00:00:00+05:00", "1899-12-31T23:59:59+00:00", "9999-12-31T23:59:59-23:00"],
)
def test_ledger_dates_outside_the_sane_years_are_errors_on_their_line(value: str) -> None:
    dates, problems = parse_ledger(f'"a.txt": 2026-01-01T00:00:00+00:00\n"b.txt": {value}\n', "d")
    assert list(dates) == ["a.txt"]
    assert [str(p) for p in problems] == [
        f"d:2: error: b.txt: {datetime.fromisoformat(value).isoformat()} is not between "
        "the years 1900 and 9998"
    ]
