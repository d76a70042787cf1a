"""site.yaml: every setting declared once, with its default and meaning, and checked on load."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .problems import Problem, error
from .yamlfile import load_mapping

DEFAULT_CONFIG = Path("site.yaml")


@dataclass(frozen=True)
class SiteConfig:
    title: str = "Digest"
    description: str = ""
    base_url: str = "http://localhost:8000/"
    language: str = "en"
    timezone: str = "UTC"
    feed_size: int = 50
    items_per_page: int = 20
    content: Path = Path("content")
    output: Path = Path("site")
    taxonomy: Path | None = None
    author: str = ""
    feed_icon: str | None = None
    search: bool = True
    templates: Path | None = None
    cache: Path | None = Path(".digest-cache")

    @property
    def taxonomy_file(self) -> Path:
        return self.taxonomy if self.taxonomy is not None else self.content / "topics.yaml"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected some text")
    return value.strip()


def _optional_text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("expected text")
    return value.strip()


def _base_url(value: object) -> str:
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(
            f"expected an absolute http(s) URL such as https://example.org/, got {text!r}"
        )
    if parts.query or parts.fragment:
        raise ValueError("expected a URL without ?query or #fragment")
    return text if text.endswith("/") else text + "/"


def _language(value: object) -> str:
    text = _text(value)
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", text):
        raise ValueError(f"expected a language tag such as 'en' or 'fr-FR', got {text!r}")
    return text


def _timezone(value: object) -> str:
    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {text!r}; use a name such as 'Europe/Paris' or 'UTC'"
        ) from None
    return text


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {value!r}")
    return value


def _icon(value: object) -> str:
    text = _text(value)
    parts = urlsplit(text)
    if parts.scheme and parts.scheme not in ("http", "https"):
        raise ValueError(f"expected an http(s) URL or a path inside the site, got {text!r}")
    return text.lstrip("/") if not parts.scheme else text


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


def _path(value: object) -> Path:
    return Path(_text(value))


def _cache(value: object) -> Path | None:
    return None if value is False else _path(value)


@dataclass(frozen=True)
class Option:
    check: Callable[[object], object]
    doc: str


# The one place a setting is declared; README.md documents each (a test holds them in step).
OPTIONS: dict[str, Option] = {
    "title": Option(_text, "The site's name, shown on every page and in the feeds."),
    "description": Option(
        _optional_text, "One sentence about the digest, for feeds and meta tags."
    ),
    "base_url": Option(_base_url, "The absolute URL the site is published at; may end in a path."),
    "language": Option(_language, "The language tag of the content, e.g. 'en' or 'fr'."),
    "timezone": Option(_timezone, "IANA time zone used for edition dates, e.g. 'Europe/Paris'."),
    "feed_size": Option(_positive_int, "How many of the newest items each feed carries."),
    "items_per_page": Option(_positive_int, "How many items a list page shows."),
    "content": Option(_path, "The folder of item files, relative to site.yaml."),
    "output": Option(_path, "The folder the site is written to, relative to site.yaml."),
    "author": Option(
        _optional_text, "Who publishes the digest, named in the feeds (default: the title)."
    ),
    "feed_icon": Option(
        _icon, "An image for the feeds: an absolute URL, or a path inside the site."
    ),
    "search": Option(
        _boolean, "Whether to build the full-text search (its page and index) with the site."
    ),
    "templates": Option(
        _path, "A folder of templates that replace the built-in ones of the same name."
    ),
    "cache": Option(
        _cache,
        "The build cache folder, relative to site.yaml, or false for none "
        "(default: .digest-cache; safe to delete at any time).",
    ),
    "taxonomy": Option(
        _path,
        "The topics file, relative to site.yaml (default: topics.yaml in the content folder).",
    ),
}

assert set(OPTIONS) == {f.name for f in fields(SiteConfig)}


def parse_config(text: str, file: str, base_dir: Path) -> tuple[SiteConfig, list[Problem]]:
    """Check the text of a site.yaml; relative folders are taken from `base_dir`."""
    entries, problems = load_mapping(text, file)
    values: dict[str, object] = {}
    for key, entry in entries.items():
        option = OPTIONS.get(key)
        if option is None:
            known = ", ".join(OPTIONS)
            problems.append(error(file, entry.line, f"unknown setting '{key}' (known: {known})"))
            continue
        try:
            value = option.check(entry.value)
        except ValueError as exc:
            problems.append(error(file, entry.line, f"{key}: {exc}"))
            continue
        if isinstance(value, Path) and not value.is_absolute():
            value = base_dir / value
        values[key] = value
    config = SiteConfig(**values)  # type: ignore[arg-type]
    for key in ("content", "output", "cache"):
        if key not in values:
            config = replace(config, **{key: base_dir / getattr(SiteConfig, key)})
    return config, problems


def load_config(path: Path | None) -> tuple[SiteConfig, list[Problem]]:
    """Read `path`, or ./site.yaml when it exists, or fall back to the defaults."""
    explicit = path is not None
    path = path if path is not None else DEFAULT_CONFIG
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        if explicit:
            return SiteConfig(), [error(str(path), None, "configuration file not found")]
        return SiteConfig(), []
    except (OSError, UnicodeDecodeError) as exc:
        return SiteConfig(), [error(str(path), None, f"cannot read: {_reason(exc)}")]
    return parse_config(text, str(path), path.parent)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)
