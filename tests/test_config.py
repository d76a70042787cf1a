from __future__ import annotations

import re
from pathlib import Path

from conftest import ROOT

from digest.config import OPTIONS, SiteConfig, load_config, parse_config


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


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)` \|", readme, flags=re.MULTILINE))
    assert set(OPTIONS) <= documented
