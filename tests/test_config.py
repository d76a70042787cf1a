from __future__ import annotations

import re
from dataclasses import MISSING, fields
from pathlib import Path

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.config import (
    NEWSLETTER_OPTIONS,
    OPTIONS,
    Newsletter,
    SiteConfig,
    load_config,
    parse_config,
)


def test_defaults_when_there_is_no_site_yaml(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    config, problems = load_config(None)
    assert problems == []
    assert config == SiteConfig()


def test_a_named_config_file_must_exist(tmp_path: Path) -> None:
    _, problems = load_config(tmp_path / "missing.yaml")
    assert [p.message for p in problems] == ["configuration file not found"]


def test_values_are_checked_and_every_bad_one_reported_with_its_line(tmp_path: Path) -> None:
    text = (
        "title: My digest\n"
        "base_url: example.org\n"
        "feed_size: many\n"
        "items_per_page: 0\n"
        "timezone: Mars/Olympus\n"
        "language: English!\n"
        "colour: blue\n"
    )
    config, problems = parse_config(text, "site.yaml", tmp_path)
    assert [str(p) for p in problems] == [
        "site.yaml:2: error: base_url: expected an absolute http(s) URL such as "
        "https://example.org/, got 'example.org'",
        "site.yaml:3: error: feed_size: expected a whole number of at least 1, got 'many'",
        "site.yaml:4: error: items_per_page: expected a whole number of at least 1, got 0",
        "site.yaml:5: error: timezone: unknown time zone 'Mars/Olympus'; use a name such as "
        "'Europe/Paris' or 'UTC'",
        "site.yaml:6: error: language: expected a language tag such as 'en' or 'fr-FR', got 'English!'",
        f"site.yaml:7: error: unknown setting 'colour' (known: {', '.join(OPTIONS)})",
    ]
    assert config.title == "My digest"


def test_folders_are_relative_to_the_config_file_and_base_url_gets_a_slash(tmp_path: Path) -> None:
    (tmp_path / "items").mkdir()
    config, problems = parse_config("base_url: https://a.b/news\ncontent: items\n", "x", tmp_path)
    assert problems == []
    assert config.base_url == "https://a.b/news/"
    assert config.content == tmp_path / "items"
    assert config.output == tmp_path / "site"


def test_yaml_that_is_not_a_mapping_is_reported(tmp_path: Path) -> None:
    _, problems = parse_config("- a\n- b\n", "site.yaml", tmp_path)
    assert [str(p) for p in problems] == ["site.yaml:1: error: expected 'key: value' lines"]
    _, problems = parse_config("title: 'x\n", "site.yaml", tmp_path)
    assert problems[0].message.startswith("not valid YAML")


def test_the_shipped_site_yaml_is_valid() -> None:
    config, problems = load_config(ROOT / "site.yaml")
    assert problems == []
    assert config.content == ROOT / "content"


@pytest.mark.parametrize("kind", [SiteConfig, Newsletter])
def test_each_setting_is_declared_once_with_its_default_check_and_documentation(
    kind: type,
) -> None:
    options = OPTIONS if kind is SiteConfig else NEWSLETTER_OPTIONS
    declared = [f for f in fields(kind) if "check" in f.metadata]
    keys = [f.metadata["key"] or f.name for f in declared]
    assert keys == list(options)  # the settings, in the order of their fields
    others = {f.name for f in fields(kind)} - {f.name for f in declared}
    assert others == (set() if kind is SiteConfig else {"file", "line"})  # not settings
    for f in declared:
        option = options[f.metadata["key"] or f.name]
        assert option.doc.endswith(".") and option.default, f.name
        if f.default is MISSING or f.default in (None, (), ""):
            continue
        # The default is a value its own check accepts, as site.yaml would write it.
        written = str(f.default) if isinstance(f.default, Path) else f.default
        assert option.check(written) == f.default, f.name


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", readme, flags=re.MULTILINE))
    assert set(OPTIONS) <= documented


def yaml_string(text: str) -> str:
    """`text` as a double-quoted YAML scalar, so that any character can be written."""
    return (
        '"' + "".join(c if c.isalnum() or c in " :/.-_" else f"\\U{ord(c):08x}" for c in text) + '"'
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://example.org/\nDisallow: /\n#", "expected a single line"),
        ("https://example.org/a b", "expected a URL without spaces"),
        ('https://example.org/"onload', "may not hold quotes"),
        ("https://example.org/'x", "may not hold quotes"),
        ("https://example.org/<script>", "may not hold quotes or any of < >"),
        ("https://example.org/a\\b", "may not hold quotes"),
        ("https://example.org/{x}|`", "may not hold quotes"),
        ("https://example.org/\x01", "control character U+0001"),
        ("https://user:secret@example.org/", "without user:password@"),
        ("https://example.org:99999/", "a port is a number from 1 to 65535"),
        ("https://example.org:0/", "a port is a number from 1 to 65535"),
        ("https://example.org:x/", "a port is a number from 1 to 65535"),
        ("https://exa_mple.org/", "expected a host name"),
        ("https://-example.org/", "expected a host name"),
        ("https://a..b/", "expected a host name"),
        ("https:///path", "expected a host name"),
        ("https://[::g]/", "is not an IPv6 address"),
        ("https://example.org/é/", "a URL's path may hold"),
        ("https://example.org/a'b", "may not hold quotes"),
        ("https://example.org/?q=1", "without ?query"),
        ("javascript://alert(1)", "expected an absolute http(s) URL"),
        ("//example.org/", "expected an absolute http(s) URL"),
    ],
)  # fmt: skip
def test_base_url_is_a_url_that_can_be_pasted_anywhere(
    tmp_path: Path, url: str, reason: str
) -> None:
    text = f"title: x\nbase_url: {yaml_string(url)}\n"
    _, problems = parse_config(text, "site.yaml", tmp_path)
    assert len(problems) == 1 and problems[0].line == 2, problems
    assert problems[0].message.startswith("base_url: ") and reason in problems[0].message


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/digest/", "http://localhost:8000/", "https://bücher.example/",
        "http://127.0.0.1:8080/a%20b/", "http://[::1]:8000/", "HTTPS://Example.ORG/x_y~z/",
        "https://example.org./", "https://xn--bcher-kva.example/news", "https://example.org/a&b/",
    ],
)  # fmt: skip
def test_ordinary_base_urls_are_accepted(tmp_path: Path, url: str) -> None:
    config, problems = parse_config(f"base_url: {url}\n", "site.yaml", tmp_path)
    assert problems == [] and config.base_url == url.rstrip("/") + "/"


# What a URL may hold once accepted: nothing that ends it in HTML, XML, robots.txt or
# JSON (an & is escaped in every markup template, which all autoescape).
SAFE_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f-\x9f\"'<>\\`{}|^?#]+/", re.IGNORECASE)


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        st.sampled_from(list("aé-.:/[]@%1_ \n\t\"'<>&?#\\`{|}^\x00\u2028")) | st.characters(),
        max_size=30,
    )
)
def test_an_accepted_base_url_is_always_safe(tail: str) -> None:
    for url in ("https://" + tail, "http://example.org/" + tail):
        config, problems = parse_config(f"base_url: {yaml_string(url)}\n", "site.yaml", Path("."))
        if not problems:
            assert SAFE_URL.fullmatch(config.base_url), config.base_url
        else:
            assert [p.line for p in problems] == [1]


@pytest.mark.parametrize("key", ["title", "description", "author"])
def test_one_line_settings_refuse_line_breaks(tmp_path: Path, key: str) -> None:
    _, problems = parse_config(f'{key}: "News\\nand more"\n', "site.yaml", tmp_path)
    assert [str(p) for p in problems] == [
        f"site.yaml:1: error: {key}: expected a single line, got 'News\\nand more'"
    ]
    _, problems = parse_config(f"{key}: |\n  News\n  and more\n", "site.yaml", tmp_path)
    assert [p.line for p in problems] == [1]


def test_folders_named_in_site_yaml_must_exist(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    (tmp_path / "topics").mkdir()
    text = (
        "title: x\n"
        "templates: no-such-folder\n"
        "content: a-file\n"
        "taxonomy: topics\n"
        "output: not-yet\n"
        "cache: not-yet-either\n"
    )
    _, problems = parse_config(text, "site.yaml", tmp_path)
    assert [str(p) for p in problems] == [
        "site.yaml:2: error: templates: folder 'no-such-folder' does not exist "
        "(paths are relative to site.yaml's folder)",
        "site.yaml:3: error: content: 'a-file' is a file, not a folder",
        "site.yaml:4: error: taxonomy: 'topics' is a folder, not the topics file",
    ]
    _, problems = parse_config("templates: " + "x" * 300 + "\n", "site.yaml", tmp_path)
    assert problems[0].line == 1 and "file name too long" in problems[0].message
    assert parse_config(text, "site.yaml", tmp_path, check_folders=False)[1] == []


def test_load_config_reports_a_missing_templates_folder_on_its_line(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    path.write_text("title: x\ntemplates: mine\n", encoding="utf-8")
    _, problems = load_config(path)
    assert [(p.file, p.line) for p in problems] == [(str(path), 2)]
    (tmp_path / "mine").mkdir()
    config, problems = load_config(path)
    assert problems == [] and config.templates == tmp_path / "mine"


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("timezone: " + "A" * 5000, "unknown time zone 'AAAA"),
        ("feed_icon: javascript:alert(1)", "expected an http(s) URL or a path"),
        ('feed_icon: "icon.png\\"x"', "expected an http(s) URL or a path"),
        ("feed_icon: https://cdn.example/i.png?v=2", None),
        ("feed_icon: /img/icon.png", None),
        ("feed_size: " + "9" * 400, None),
        (
            "items_per_page: [" + "1, " * 2000 + "]",
            "expected a whole number of at least 1, got [1, 1,",
        ),
    ],
)
def test_other_values_are_checked_and_quoted_briefly(
    tmp_path: Path, setting: str, reason: str | None
) -> None:
    _, problems = parse_config(setting + "\n", "site.yaml", tmp_path)
    # (A path that nothing in the site provides is a warning of its own: not this test's.)
    problems = [p for p in problems if p.severity == "error"]
    if reason is None:
        assert problems == []
    else:
        assert len(problems) == 1 and reason in problems[0].message
        assert len(problems[0].message) < 200
