"""What the content folder may hold, and what digest reads of it: only its own regular files.

Every hostile entry (a link out of the folder, into /proc, to a device; a FIFO; a dangling
or looping link; a folder or a name with invisible characters where an item file is
expected) is an error with its real reason, nothing of it is read, and no input gets the
internal-error exit code 70.
"""

from __future__ import annotations

import os
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import TWO_ITEMS, config_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.ledger import format_ledger, parse_ledger
from digest.load import ITEM_FILE, load
from digest.problems import ConfigErrors, UsageError, display
from digest.reading import NotRead, _open_below, read_file

ONE = "One.\nAnalysis — A.\n"
PASSWD = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace")
# A line of /etc/passwd that no digest page would hold by chance.
SECRET = next(line for line in PASSWD.splitlines() if line.startswith("root:"))


def hostile(folder: Path, kind: str, name: str = "002_x.txt") -> None:
    """Put one hostile entry called `name` in `folder`."""
    entry = folder / name
    if kind == "passwd":
        entry.symlink_to("/etc/passwd")
    elif kind == "environ":
        entry.symlink_to("/proc/self/environ")
    elif kind == "devnull":
        entry.symlink_to("/dev/null")
    elif kind == "fifo":
        os.mkfifo(entry)
    elif kind == "dangling":
        entry.symlink_to("nowhere.txt")
    elif kind == "loop":
        entry.symlink_to(name)
    elif kind == "folder":
        entry.mkdir()
    elif kind == "link-to-folder":
        (folder / "drafts").mkdir()
        entry.symlink_to("drafts")
    elif kind == "link-to-fifo":
        os.mkfifo(folder / "pipe")
        entry.symlink_to("pipe")
    elif kind == "dotdot":
        entry.symlink_to("../outside.txt")
        (folder.parent / "outside.txt").write_text("Outside.\nAnalysis — leak.\n")


CASES = {
    "passwd": "a symbolic link to '/etc/passwd', outside the content folder",
    "environ": "a symbolic link to '/proc/self/environ', outside the content folder",
    "devnull": "a symbolic link to '/dev/null', outside the content folder",
    "fifo": "a named pipe (FIFO), not a regular file",
    "dangling": "a symbolic link to 'nowhere.txt', which does not exist",
    "loop": "a symbolic link that loops (it leads back to itself)",
    "folder": "a folder, not a regular file",
    "link-to-folder": "a symbolic link to a folder, not to a regular file",
    "link-to-fifo": "a symbolic link to a named pipe (FIFO), not to a regular file",
    "dotdot": "a symbolic link to '../outside.txt', outside the content folder",
}


@pytest.mark.parametrize("kind", CASES)
def test_a_hostile_item_entry_is_an_error_with_its_reason_and_nothing_is_read(
    kind: str, cli, content, tmp_path: Path
) -> None:
    folder = content({"001_a.txt": TWO_ITEMS})
    hostile(folder, kind)
    run = cli("build", "--content", "content", "--output", "site")
    assert run.code == 1
    assert run.err.splitlines() == [
        f"content/002_x.txt: error: not read: {CASES[kind]}",
        "digest: 1 error, 0 warnings",
        "digest: nothing was written; the previous site is unchanged",
    ]
    assert not (tmp_path / "site").exists()
    assert not (folder / "dates.yaml").exists()


@pytest.mark.parametrize("kind", ["passwd", "environ", "fifo"])
def test_a_hostile_entry_elsewhere_in_the_folder_is_never_read(
    kind: str, cli, content, tmp_path: Path
) -> None:
    # Named like nothing digest reads: ignored, and not even opened (a FIFO would block).
    folder = content({"001_a.txt": TWO_ITEMS})
    hostile(folder, kind)
    (folder / "002_x.txt").rename(folder / "notes")  # a link's target is kept by a rename
    run = cli("build", "-v", "--content", "content", "--output", "site")
    assert run.code == 0, run.err
    assert "content/notes: ignored (not an item file)" in run.out
    site = b"".join(p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file())
    assert SECRET.encode() not in site


def test_a_link_to_a_file_inside_the_folder_is_followed(cli, content, tmp_path: Path) -> None:
    folder = content({"001_a.txt": TWO_ITEMS})
    (folder / "drafts").mkdir()
    (folder / "drafts" / "b.txt").write_text("Three.\nAnalysis — C.\n")
    (folder / "002_b.txt").symlink_to("drafts/b.txt")
    run = cli("build", "--content", "content", "--output", "site")
    assert run.code == 0, run.err
    assert "Built 3 items in 2 editions" in run.out
    assert "Three." in (tmp_path / "site" / "items.json").read_text()


@pytest.mark.parametrize("kind", ["passwd", "environ", "fifo", "dangling", "loop", "folder"])
def test_the_date_ledger_and_the_topics_file_follow_the_folder_policy(
    kind: str, cli, content, tmp_path: Path
) -> None:
    folder = content({"001_a.txt": TWO_ITEMS})
    hostile(folder, kind, "dates.yaml")
    run = cli("check", "--content", "content")
    assert (run.code, run.err.splitlines()[0]) == (
        1,
        f"content/dates.yaml: error: date ledger not read: {CASES[kind]}",
    )
    hostile(content({"001_a.txt": TWO_ITEMS}, "other"), kind, "topics.yaml")
    run = cli("check", "--content", "other")
    assert (run.code, run.err.splitlines()[0]) == (
        2,
        f"other/topics.yaml: error: not read: {CASES[kind]}",
    )


def test_a_topics_file_named_elsewhere_may_be_outside_but_must_be_a_regular_file(
    cli, content, tmp_path: Path
) -> None:
    content({"001_a.txt": TWO_ITEMS})
    (tmp_path / "topics.yaml").write_text(
        "topics:\n  ai:\n    name: AI\n    terms:\n      startup: 2\n"
    )
    assert cli("check", "--content", "content", "--taxonomy", "topics.yaml").code == 0
    os.mkfifo(tmp_path / "pipe.yaml")
    for name, reason in [
        ("pipe.yaml", "a named pipe (FIFO), not a regular file"),
        ("/dev/null", "a device, not a regular file"),
        ("/proc/self/environ", "it is under /proc, which holds the system's state, not content"),
    ]:
        run = cli("check", "--content", "content", "--taxonomy", name)
        assert (run.code, run.err.splitlines()[0]) == (2, f"{name}: error: not read: {reason}")


@pytest.mark.parametrize("folder", ["/proc/self", "/sys/kernel", "/dev"])
def test_a_content_folder_under_proc_sys_or_dev_is_a_usage_error(folder: str, cli) -> None:
    run = cli("check", "--content", folder)
    assert run.code == 2
    assert "which holds the system's state, not content: digest does not read there" in run.err


def test_a_content_folder_that_links_into_proc_is_refused(tmp_path: Path) -> None:
    (tmp_path / "content").symlink_to("/proc/self")
    with pytest.raises(UsageError, match="is under /proc"):
        load(tmp_path / "content", config_for(tmp_path))


def test_read_file_anywhere_checks_what_it_opened(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text("a: 1\n")
    (tmp_path / "link.yaml").symlink_to(tmp_path / "real.yaml")
    assert read_file(tmp_path / "link.yaml") == b"a: 1\n"
    (tmp_path / "environ").symlink_to("/proc/self/environ")
    with pytest.raises(NotRead, match="under /proc"):
        read_file(tmp_path / "environ")
    with pytest.raises(FileNotFoundError):
        read_file(tmp_path / "absent.yaml")


def test_a_link_swapped_in_below_the_folder_is_refused_not_followed(tmp_path: Path) -> None:
    # What the walk meets if a folder became a link after the target was checked.
    folder = tmp_path / "content"
    folder.mkdir()
    (folder / "sub").symlink_to("/etc")
    with pytest.raises(NotRead, match="changed while it was being read"):
        _open_below(str(folder), ("sub", "passwd"))
    with pytest.raises(NotRead, match="outside the content folder"):
        read_file(folder / "sub" / "passwd", folder)


# File names as os.listdir gives them: any bytes but "/" and NUL, often shaped like an item.
RAW_NAMES = st.binary(min_size=1, max_size=24).filter(lambda b: b"/" not in b and b"\0" not in b)
NAMES = st.one_of(
    RAW_NAMES,
    st.tuples(st.sampled_from([b"", b" ", b"\t", b"001", b"7_", b"001_"]), RAW_NAMES).map(
        lambda parts: parts[0] + parts[1] + b".txt"
    ),
    st.tuples(RAW_NAMES, st.sampled_from([b"", b" ", b"\n", b"\xe2\x80\xa8", b"\xc2\x85"])).map(
        lambda parts: b"001_" + parts[0] + b".txt" + parts[1]
    ),
).filter(lambda b: b not in (b".", b"..") and len(b) < 250)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(NAMES, max_size=6, unique=True))
def test_any_file_names_load_is_an_item_or_a_reported_problem(
    tmp_path: Path, names: list[bytes]
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        folder = Path(scratch) / "content"
        folder.mkdir()
        for raw in names:
            (folder / os.fsdecode(raw)).write_text(ONE.replace("One", f"Story {raw!r}"))
        loaded = load(folder, config_for(Path(scratch)))
        for problem in loaded.problems:
            assert str(problem).isprintable()  # one line, whatever the name
        for line in loaded.ignored:
            assert line.isprintable()
        read = {edition.name for edition in loaded.editions}
        errors = {p.file for p in loaded.problems if p.severity == "error"}
        for raw in names:
            name = os.fsdecode(raw)
            if name in ("dates.yaml", "topics.yaml") or name.startswith("."):
                continue
            visible = "".join(c for c in name if c.isprintable() and not c.isspace())
            if ITEM_FILE.fullmatch(name) and name.isprintable():
                assert name in read or display(folder / name) in errors
            elif ITEM_FILE.fullmatch(visible):  # meant as an item: never lost unnoticed
                assert display(folder / name) in errors and name not in read
        assert all(name.isprintable() for name in read)
        # Whatever was read can be recorded, and read back as it was.
        text = format_ledger(loaded.new_dates)
        assert parse_ledger(text, "dates.yaml") == (loaded.new_dates, [])


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(NAMES, min_size=1, max_size=3, unique=True))
def test_any_file_names_never_break_a_build_nor_the_next_one(
    cli, tmp_path: Path, names: list[bytes]
) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as scratch:
        folder = Path(scratch) / "content"
        folder.mkdir()
        (folder / "000_base.txt").write_text(TWO_ITEMS)
        for raw in names:
            (folder / os.fsdecode(raw)).write_text(ONE.replace("One", f"Story {raw!r}"))
        first = cli("build", "--content", folder, "--output", Path(scratch) / "site")
        assert first.code in (0, 1), first.err
        assert all(line.isprintable() for line in first.err.splitlines())
        if first.code == 0:  # the ledger it wrote must be readable by the next build
            again = cli("build", "--content", folder, "--output", Path(scratch) / "site")
            assert again.code == 0, again.err


@pytest.mark.parametrize("mtime", [-99_999_999_999, 10**12, 10**20, -5_000_000_000])
def test_an_absurd_modification_time_is_reported_not_a_crash(
    mtime: int, cli, content, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Years -1200, 33658, beyond any, 1811. ext4 clamps what `touch -d` sets to 1901-2446,
    # tmpfs and btrfs keep it: the file system's answer is stood in for here.
    folder = content({"001_a.txt": TWO_ITEMS})
    real_stat = Path.stat

    def stat(self: Path, *args: object, **kwargs: object) -> object:
        found = real_stat(self, *args, **kwargs)  # type: ignore[arg-type]
        if self.name != "001_a.txt":
            return found
        fields = {name: getattr(found, name) for name in dir(found) if name.startswith("st_")}
        return SimpleNamespace(**{**fields, "st_mtime": float(mtime)})

    monkeypatch.setattr(Path, "stat", stat)
    run = cli("check", "--content", "content")
    assert run.code == 1
    assert run.err.splitlines()[0] == (
        f"content/001_a.txt: error: its modification time ({mtime} s after 1970) is not a "
        "date between the years 1900 and 9998: give the edition a 'date:' in its front "
        "matter or in dates.yaml, or touch the file"
    )
    (folder / "001_a.txt").write_text("---\ndate: 2026-01-01\n---\n" + TWO_ITEMS)
    assert cli("check", "--content", "content").code == 0


OFFSETS = st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
    lambda m: f"{'+' if m >= 0 else '-'}{abs(m) // 60:02d}:{abs(m) % 60:02d}"
)
YAML_DATES = st.builds(
    lambda y, mo, d, time, offset: f"{y:04d}-{mo:02d}-{d:02d}{time}{offset}",
    st.integers(1, 9999),
    st.integers(1, 12),
    st.integers(1, 28),
    st.sampled_from(["", "T00:00:00", "T23:59:59", " 12:00:00"]),
    st.one_of(st.just(""), st.just("Z"), OFFSETS),
).filter(lambda s: "T" in s or " " in s or not s[10:])
# Quoted, a date reaches digest as text, for datetime.fromisoformat: anything goes.
QUOTED_DATES = st.one_of(
    YAML_DATES,
    # Printable: YAML's reader rejecting a control character is the YAML layer's to report.
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30),
    st.just("0001-01-01T00:00:00+23:00"),
    st.just("9999-12-31T23:59:59-23:59"),
).map(lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"')


@settings(max_examples=200, deadline=None)
@given(st.one_of(YAML_DATES, QUOTED_DATES))
def test_any_front_matter_date_is_a_sane_date_or_an_error_on_its_line(value: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "001_a.txt").write_text(f"---\ndate: {value}\n---\n{TWO_ITEMS}")
        (folder / "dates.yaml").write_text(f'"002_b.txt": {value}\n')
        (folder / "002_b.txt").write_text(TWO_ITEMS.replace("French", "Belgian"))
        loaded = load(folder, config_for(folder))
        for problem in loaded.problems:
            assert problem.severity == "error" and problem.line == (
                2 if problem.file.endswith("001_a.txt") else 1
            ), problem
        for edition in loaded.editions:
            # What the feeds and sorting do later must not overflow.
            edition.date.astimezone(__import__("datetime").timezone.utc)
            assert 1900 <= edition.date.year <= 9998


NONCHARACTERS = st.sampled_from(
    ["\ufffe", "\uffff", "\ufdd0", "\ufdef", "\U0001fffe", "\U0010ffff", "\x00", "\x85"]
)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(NONCHARACTERS, st.text(max_size=3)), min_size=1, max_size=8))
def test_noncharacters_never_reach_the_feeds(pieces: list[str]) -> None:
    from digest.cli import main

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "content"
        folder.mkdir()
        summary = "Story " + "".join(pieces).replace("\r", " ").replace("\n", " ")
        (folder / "001_a.txt").write_text(f"{summary}.\nAnalysis — A.\n", encoding="utf-8")
        code = main(["build", "-q", "--content", str(folder), "--output", f"{scratch}/site"])
        assert code in (0, 1)
        if code == 0:
            for feed in ("feed.xml", "atom.xml"):
                ET.parse(Path(scratch) / "site" / feed)  # well-formed, or this raises


def test_a_dangling_topics_file_named_by_the_editor_is_a_config_error(tmp_path: Path) -> None:
    folder = tmp_path / "content"
    folder.mkdir()
    (tmp_path / "topics.yaml").symlink_to("gone.yaml")
    with pytest.raises(ConfigErrors) as caught:
        load(folder, config_for(tmp_path, taxonomy=tmp_path / "topics.yaml"))
    assert [p.message for p in caught.value.problems] == [
        "not read: a symbolic link to 'gone.yaml', which does not exist"
    ]
