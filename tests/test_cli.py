from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE, TWO_ITEMS, tree
from test_serve import CHECKOUT, NEW, Preview

from digest.config import OPTIONS
from digest.problems import ConfigErrors, UsageError, error
from digest.write import WriteError


def test_build_succeeds_and_says_what_it_did(cli, content, tmp_path: Path) -> None:
    folder = content({"1_a.txt": TWO_ITEMS})
    run = cli("build", "--content", folder, "--output", tmp_path / "out")
    assert run.code == 0, run.err
    assert run.err == ""
    assert "Built 2 items in 1 edition into out/" in run.out
    assert "recorded the date of 1_a.txt in content/dates.yaml (commit it)" in run.out
    assert (tmp_path / "out" / "index.html").is_file()


def test_check_reports_an_orphan_analysis_and_exits_1(cli, content, tmp_path: Path) -> None:
    content({"1_a.txt": "One.\nAnalysis — A.\n\nAnalysis — Lost?\n"})
    run = cli("check", "--content", "content")
    assert run.code == 1
    assert run.err.splitlines() == [
        "content/1_a.txt:4: error: analysis with no summary before it: 'Lost?'",
        "digest: 1 error, 0 warnings",
    ]
    assert not (tmp_path / "site").exists()


def test_a_build_with_errors_writes_nothing(cli, content, tmp_path: Path) -> None:
    content({"1_a.txt": "Analysis — orphan\n"})
    run = cli("build", "--content", "content", "--output", "out")
    assert run.code == 1
    assert "nothing was written" in run.err
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "content" / "dates.yaml").exists()


def test_warnings_pass_unless_strict(cli, content) -> None:
    content({"1_a.txt": "One.\n"})
    run = cli("check", "--content", "content")
    assert run.code == 0
    assert "content/1_a.txt:1: warning: summary has no analysis line after it" in run.err
    assert cli("check", "--content", "content", "--strict").code == 1
    assert cli("build", "--content", "content", "--strict", "--output", "out").code == 1


def test_quiet_prints_problems_only_and_verbose_lists_ignored_files(cli, content) -> None:
    content({"1_a.txt": TWO_ITEMS, "notes.md": "x"})
    quiet = cli("build", "-q", "--content", "content", "--output", "out")
    assert (quiet.code, quiet.out, quiet.err) == (0, "", "")
    verbose = cli("check", "-v", "--content", "content")
    assert "content/notes.md: ignored (not an item file)" in verbose.out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["build", "--content", "nowhere"],
            "digest: error: content folder 'nowhere' does not exist",
        ),
        (["build", "--frobnicate"], "unrecognized arguments: --frobnicate"),
        (["check", "-q", "-v"], "not allowed with argument"),
        (["publish"], "invalid choice: 'publish'"),
        (
            ["build", "--config", "missing.yaml"],
            "missing.yaml: error: configuration file not found",
        ),
    ],
)
def test_usage_errors_exit_2(cli, args: list[str], message: str) -> None:
    run = cli(*args)
    assert run.code == 2
    assert message in run.err
    assert "Traceback" not in run.err


def test_bad_config_exits_2_with_file_and_line(cli, content, tmp_path: Path) -> None:
    content({"1_a.txt": TWO_ITEMS})
    (tmp_path / "site.yaml").write_text("title: X\nfeed_size: -3\nthemes: dark\n")
    run = cli("build")
    assert run.code == 2
    assert run.err.splitlines()[:2] == [
        "site.yaml:2: error: feed_size: expected a whole number of at least 1, got -3",
        f"site.yaml:3: error: unknown setting 'themes' (known: {', '.join(OPTIONS)})",
    ]


def test_site_yaml_in_the_working_folder_is_used(cli, content, tmp_path: Path) -> None:
    content({"1_a.txt": TWO_ITEMS}, folder="news")
    (tmp_path / "site.yaml").write_text("title: Le Digest\ncontent: news\noutput: public\n")
    assert cli("build", "-q").code == 0
    assert "<title>Le Digest</title>" in (tmp_path / "public" / "index.html").read_text()


def test_refuses_to_replace_a_folder_it_did_not_write(cli, content, tmp_path: Path) -> None:
    content({"1_a.txt": TWO_ITEMS})
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    run = cli("build", "--content", "content", "--output", "docs")
    assert run.code == 2
    assert "refusing to replace" in run.err
    assert tree(precious) == {"thesis.tex": b"years of work"}


def test_help_for_every_command(cli) -> None:
    for args in (["--help"], ["build", "--help"], ["check", "--help"]):
        run = cli(*args)
        assert run.code == 0
        assert "usage: digest" in run.out
    assert "--output DIR" in cli("build", "--help").out


def test_unexpected_failures_are_one_line_not_a_traceback(cli, content, monkeypatch) -> None:
    content({"1_a.txt": TWO_ITEMS})

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("digest.pipeline.render", broken)
    run = cli("build", "--content", "content")
    assert run.code == 70
    assert run.err == (
        "digest: internal error: RuntimeError: boom (a bug in digest; set DIGEST_DEBUG=1 to see where)\n"
    )


def test_build_py_is_digest_build(tmp_path: Path, content) -> None:
    folder = content({"1_a.txt": TWO_ITEMS, "dates.yaml": '"1_a.txt": 2026-11-26T08:00:00+01:00\n'})
    outputs = {}
    for name, command in (
        ("script", [sys.executable, str(ROOT / "build.py")]),
        ("module", [sys.executable, "-m", "digest", "build"]),
    ):
        done = subprocess.run(
            [*command, "--content", str(folder), "--output", str(tmp_path / name)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
            env=CHECKOUT,  # `-m digest` from elsewhere would find the installed copy first
        )
        assert done.returncode == 0, done.stderr
        outputs[name] = tree(tmp_path / name)
    assert outputs["script"] == outputs["module"]
    bad = subprocess.run(
        [sys.executable, str(ROOT / "build.py"), "--nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2 and "usage: digest build" in bad.stderr


def test_check_explains_topics_and_notes_items_without_one(cli, content) -> None:
    content(
        {
            "1_a.txt": "The CNIL fined a retailer under GDPR.\nAnalysis — Regulation matters.\n"
            "A cat sat on a mat.\nAnalysis — Nothing to see.\n",
            "topics.yaml": "topics:\n  regulation:\n    name: Regulation\n    terms:\n      CNIL: 3\n      GDPR: 3\n      regulat*: 2\n",
        }
    )
    run = cli("check", "--content", "content", "--explain")
    assert run.code == 0
    lines = run.out.splitlines()
    assert lines[:3] == [
        "1_a.txt:1: CNIL fines a retailer under GDPR",
        "    topics: regulation",
        "    + regulation 6.5 (summary: CNIL, GDPR; analysis: regulat*)",
    ]
    assert lines[3:5] == ["1_a.txt:3: Cat sits on a mat", "    topics: no topic"]
    assert "content/1_a.txt:3: note: no topic fits this item" in run.err
    assert "Checked 2 items in 1 edition, 1 topic: 0 errors, 0 warnings" in run.out


def test_a_bad_taxonomy_exits_2_with_file_and_line(cli, content) -> None:
    content(
        {
            "1_a.txt": TWO_ITEMS,
            "topics.yaml": "topics:\n  x:\n    name: X\n    terms:\n      law: many\n",
        }
    )
    run = cli("build", "--content", "content")
    assert run.code == 2
    assert (
        run.err.splitlines()[0]
        == "content/topics.yaml:5: error: x.terms: 'law' needs a weight above 0, got 'many'"
    )
    missing = cli("check", "--content", "content", "--taxonomy", "nope.yaml")
    assert missing.code == 2 and "nope.yaml: error: topics file not found" in missing.err


def test_a_long_build_in_a_terminal_shows_its_stage_and_a_pipe_gets_one_line(
    tmp_path: Path,
) -> None:
    import pty

    sys.path.insert(0, str(ROOT / "bench"))
    from archive import make_archive

    make_archive(2000, tmp_path / "content")  # a build of a few seconds
    command = [sys.executable, str(ROOT / "build.py"), "--content", "content", "--output", "out"]
    command += ["--taxonomy", str(ROOT / "content" / "topics.yaml")]
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        command, cwd=tmp_path, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        seen += chunk
    assert process.wait() == 0
    text = seen.decode(errors="replace")
    assert "…" in text and ("rendering" in text or "writing" in text), text[-500:]
    piped = subprocess.run(
        [*command, "--output", "out2"], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    # The generated archive may hold a story told twice: the count says so, in brackets.
    assert piped.stderr == "" and re.match(
        r"Built 2000 items( \(\d+ grouped with an earlier report\))? in 100 editions into out2/",
        piped.stdout,
    )


def test_a_reader_that_stops_reading_is_not_a_bug(tmp_path: Path, content) -> None:
    folder = content({"1_a.txt": TWO_ITEMS})
    process = subprocess.Popen(
        [sys.executable, "-m", "digest", "check", "-v", "--explain", "--content", str(folder)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    process.stdout.close()  # like `| head -0`
    _, err = process.communicate()
    assert process.returncode == 141 and b"internal error" not in err, err


@pytest.mark.parametrize("port", ["99999", "-1", "65536", "http", ""])
def test_a_port_out_of_range_is_a_usage_error(cli, content, port: str) -> None:
    content({"1_a.txt": TWO_ITEMS})
    run = cli("serve", "--content", "content", "--port", port)
    assert run.code == 2
    assert f"argument --port: expected a port from 0 to 65535, got {port!r}" in run.err


@pytest.mark.parametrize(
    "host", ["no-such-host.invalid", "192.0.2.1", "a" * 300, "999.1.1.1", "::1%nope", "x\x00y"]
)
def test_an_address_that_cannot_be_served_on_is_a_usage_error(cli, content, host: str) -> None:
    content({"1_a.txt": TWO_ITEMS})
    run = cli("serve", "--content", "content", "--host", host, "--port", "0")
    assert run.code == 2, run.err
    assert run.err.startswith(f"digest: error: cannot serve on {host}:0: ")
    assert len(run.err.splitlines()) == 1 and "Traceback" not in run.err


def test_serve_without_its_content_folder_is_a_usage_error(cli) -> None:
    run = cli("serve", "--content", "nowhere", "--port", "0")
    assert (run.code, run.err) == (2, "digest: error: content folder 'nowhere' does not exist\n")


@pytest.mark.parametrize("given", [None, "other.yaml"])
def test_the_config_file_goes_to_the_build(cli, content, monkeypatch, tmp_path, given) -> None:
    # pipeline.build refuses an output folder that holds it: it must know which file it is.
    content({"1_a.txt": TWO_ITEMS})
    (tmp_path / (given or "site.yaml")).write_text("title: X\n")
    seen = []

    def build(config, strict=False, stage=None, config_file=None, showing=None):
        seen.append(config_file)
        raise UsageError("stop here")

    monkeypatch.setattr("digest.pipeline.build", build)
    run = cli("build", "--content", "content", *(["--config", given] if given else []))
    assert run.code == 2 and seen == [Path(given or "site.yaml")]
    (tmp_path / (given or "site.yaml")).unlink()
    if given is None:  # no site.yaml: none to protect
        cli("build", "--content", "content")
        assert seen[-1] is None


@pytest.mark.parametrize(
    ("failure", "code", "message"),
    [
        (ConfigErrors([error("t/base.html", 3, "unexpected '}'")]), 2,
         "t/base.html:3: error: unexpected '}'\ndigest: 1 error, 0 warnings\n"),
        (UsageError("content folder 'x' does not exist"), 2,
         "digest: error: content folder 'x' does not exist\n"),
        (WriteError("cannot write 'site': No space left on device"), 2,
         "digest: error: cannot write 'site': No space left on device\n"),
    ],
)  # fmt: skip
def test_each_expected_failure_has_its_exit_code(
    cli, content, monkeypatch, failure: Exception, code: int, message: str
) -> None:
    content({"1_a.txt": TWO_ITEMS})

    def build(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr("digest.pipeline.build", build)
    monkeypatch.setattr("digest.pipeline.check", build)
    for command in ("build", "check"):
        run = cli(command, "--content", "content")
        assert (run.code, run.err) == (code, message)


# --- `digest serve` outlives every failure a build can have ---

BUG = """\
import os
from pathlib import Path

import digest.pipeline

real = digest.pipeline.render


def render(*args, **kwargs):  # a bug in digest, present while the marker file is
    if Path(os.environ["DIGEST_TEST_BUG"]).exists():
        raise RuntimeError("simulated bug")
    return real(*args, **kwargs)


digest.pipeline.render = render
"""


class Events:
    """The preview's server-sent events, read one at a time with a deadline."""

    def __init__(self, url: str) -> None:
        import urllib.request

        self.stream = urllib.request.urlopen(url + "__digest/events", timeout=30)

    def wait_for(self, name: str, timeout: float = 30) -> list[str]:
        import json
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.stream.readline().decode()
            if line == f"event: {name}\n":
                return json.loads(self.stream.readline().decode().removeprefix("data: "))
        raise AssertionError(f"no {name} event")


def _serving(tmp_path: Path, site_yaml: str = "") -> tuple[Preview, Events]:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "000_sample.txt").write_bytes(SAMPLE.read_bytes())
    (tmp_path / "t").mkdir()
    (tmp_path / "site.yaml").write_text("templates: t\n" + site_yaml)
    (tmp_path / "sitecustomize.py").write_text(BUG)
    env = {
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}",
        "DIGEST_TEST_BUG": str(tmp_path / "content" / "bug.md"),
    }
    preview = Preview(tmp_path, env=env)
    events = Events(preview.url)
    assert events.wait_for("problems") == []
    return preview, events


def _last_good_site_then_fixed(preview: Preview, events: Events, fix) -> None:
    status, _, body = preview.get("/")
    assert status == 200 and body.count(b'<article class="item"') == 19  # the last good site
    fix()
    events.wait_for("reload")
    status, _, body = preview.get("/")
    assert status == 200 and b"humanoid robots in Lyon" in body  # and the fix with it


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("content/001_new.txt", "---\ndate: 2026-02-30\n---\n", "content/001_new.txt:2: error: "),
        ("t/base.html", "<!doctype html>\n{% if %}\n", "t/base.html:2: error: "),
        ("t/item.html", "{% extends 'item.html' %}\n", "t/item.html:1: error: "),
        ("site.yaml", "templates: t\nfeed_size: many\n", "site.yaml:2: error: feed_size: "),
    ],
)  # fmt: skip
def test_serve_shows_a_bad_file_and_keeps_the_last_good_site(
    tmp_path: Path, name: str, text: str, where: str
) -> None:
    preview, events = _serving(tmp_path)
    try:
        (tmp_path / name).write_text(text + (NEW if name.endswith(".txt") else ""))
        problems = events.wait_for("problems")
        assert any(line.startswith(where) for line in problems), problems
        preview.wait_for(where)  # in the terminal too

        def fix() -> None:
            (tmp_path / name).write_text("templates: t\n") if name == "site.yaml" else (
                tmp_path / name
            ).unlink()
            (tmp_path / "content" / "002_new.txt").write_text(NEW)

        _last_good_site_then_fixed(preview, events, fix)
    finally:
        assert preview.stop() == 0
    assert "Traceback" not in "".join(preview.output)


def test_serve_shows_a_bug_as_one_and_goes_on(tmp_path: Path) -> None:
    preview, events = _serving(tmp_path)
    try:
        (tmp_path / "content" / "bug.md").write_text("now render fails")
        problems = events.wait_for("problems")
        assert problems == ["internal error: RuntimeError: simulated bug (a bug in digest)"]
        preview.wait_for("digest: internal error: RuntimeError: simulated bug")
        output = "".join(preview.output)
        assert "Traceback (most recent call last)" in output and "in render" in output

        def fix() -> None:
            (tmp_path / "content" / "bug.md").unlink()
            (tmp_path / "content" / "002_new.txt").write_text(NEW)

        _last_good_site_then_fixed(preview, events, fix)
    finally:
        assert preview.stop() == 0
