"""site.yaml: every setting declared once, with its default and meaning, and checked on load."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .problems import Problem, display, error
from .reading import NotRead, read_file
from .yamlfile import load_mapping, shorten

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
    return _one_line(value.strip())


def _optional_text(value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("expected text")
    return _one_line(value.strip())


# Every setting is one line of text: a line break in a title or a URL would split what
# the feeds, robots.txt and the pages say. YAML's reader refuses these characters when
# written as they are, but its escapes ("\x01", "\u2028") still make them.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def _one_line(text: str) -> str:
    if any(c in LINE_BREAKS for c in text):
        raise ValueError(f"expected a single line, got {shorten(text)}")
    odd = next((c for c in text if _unwritable(c)), None)
    if odd is not None:
        raise ValueError(f"contains the control character U+{ord(odd):04X}")
    return text


def _unwritable(char: str) -> bool:
    # Controls, lone surrogates and U+FFFE/U+FFFF: not characters an XML feed can hold.
    return unicodedata.category(char) in ("Cc", "Cs") or char in "\ufffe\uffff"


# An http(s) URL that stays one token in HTML, XML, robots.txt and JSON: a host, an
# optional port and a path of RFC 3986's characters without quotes (an & is escaped by
# the templates, which all autoescape, and is harmless in robots.txt).
URL = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://(?P<authority>[^/?#]*)(?P<path>[^?#]*)")
PATH_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~!$&()*+,;=:@/]|%[0-9A-Fa-f]{2})*")
QUERY_CHARACTERS = re.compile(r"(?:[A-Za-z0-9\-._~!$()*+,;=:@/?#]|%[0-9A-Fa-f]{2})*")
HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
UNSAFE = set("\"'<>\\`{}|^")


def _base_url(value: object) -> str:
    text = _text(value)
    url = _url(text, "such as https://example.org/")
    if "?" in text or "#" in text:
        raise ValueError("expected a URL without ?query or #fragment")
    return url if url.endswith("/") else url + "/"


def _url(text: str, example: str) -> str:
    """`text` checked as an absolute http(s) URL (a ?query or #fragment is left to the caller)."""
    match = URL.match(text)
    if match is None or match["scheme"].lower() not in ("http", "https"):
        raise ValueError(f"expected an absolute http(s) URL {example}, got {shorten(text)}")
    if any(c.isspace() for c in text):
        raise ValueError(f"expected a URL without spaces, got {shorten(text)}")
    unsafe = sorted(UNSAFE.intersection(text))
    if unsafe:
        shown = " ".join(unsafe)
        raise ValueError(f"a URL may not hold quotes or any of < > \\ ` {{ }} | ^ (found {shown})")
    authority = match["authority"]
    if "@" in authority:
        raise ValueError("expected a URL without user:password@")
    host, port = _host_and_port(authority)
    _check_host(host)
    if port is not None and not (port.isascii() and port.isdigit() and 1 <= int(port) <= 65535):
        raise ValueError(f"a port is a number from 1 to 65535, got {shorten(port)}")
    if not PATH_CHARACTERS.fullmatch(match["path"]):
        raise ValueError(
            "a URL's path may hold letters, digits, - . _ ~ / ! $ & ( ) * + , ; = : @ and "
            f"%XX escapes, got {shorten(match['path'])}"
        )
    if not QUERY_CHARACTERS.fullmatch(text[match.end() :]):  # & is for HTML to escape: not here
        raise ValueError(f"a URL's ?query may hold the path's characters, got {shorten(text)}")
    return text


def _host_and_port(authority: str) -> tuple[str, str | None]:
    if authority.startswith("["):  # [IPv6]:port
        end = authority.find("]")
        if end == -1:
            raise ValueError(f"an IPv6 address is closed by ], got {shorten(authority)}")
        rest = authority[end + 1 :]
        if rest and not rest.startswith(":"):
            raise ValueError(f"expected :port after the IPv6 address, got {shorten(rest)}")
        return authority[: end + 1], rest[1:] if rest else None
    host, colon, port = authority.partition(":")
    return host, port if colon else None


def _check_host(host: str) -> None:
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise ValueError(f"{shorten(host)} is not an IPv6 address") from None
        return
    try:
        ascii_host = host.encode("idna").decode("ascii")  # an international name: its xn-- form
    except UnicodeError:
        ascii_host = ""
    labels = ascii_host.removesuffix(".").split(".")
    if len(ascii_host) > 253 or not all(HOST_LABEL.fullmatch(label) for label in labels):
        raise ValueError(
            f"expected a host name such as example.org (letters, digits, hyphens and dots) "
            f"or an IP address, got {shorten(host)}"
        )


def _language(value: object) -> str:
    text = _text(value)
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", text):
        raise ValueError(f"expected a language tag such as 'en' or 'fr-FR', got {shorten(text)}")
    return text


def _timezone(value: object) -> str:
    text = _text(value)
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        raise ValueError(
            f"unknown time zone {shorten(text)}; use a name such as 'Europe/Paris' or 'UTC'"
        ) from None
    return text


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"expected a whole number of at least 1, got {shorten(value)}")
    return value


def _icon(value: object) -> str:
    text = _text(value)
    if "://" in text or URL.match(text):
        return _url(text, "or a path inside the site")
    path = text.lstrip("/")
    if not PATH_CHARACTERS.fullmatch(path) or ":" in path:
        raise ValueError(f"expected an http(s) URL or a path inside the site, got {shorten(text)}")
    return path


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {shorten(value)}")
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


def parse_config(
    text: str,
    file: str,
    base_dir: Path,
    check_folders: bool = True,
    overridden: Collection[str] = (),
) -> tuple[SiteConfig, list[Problem]]:
    """Check the text of a site.yaml; relative folders are taken from `base_dir`.

    With `check_folders`, the folders and files it names are looked at too, so that a
    missing one is reported on its line rather than later without one; except those of
    the settings in `overridden`, which the command line replaces.
    """
    entries, problems = load_mapping(text, file)
    values: dict[str, object] = {}
    for key, entry in entries.items():
        option = OPTIONS.get(key)
        if option is None:
            known = ", ".join(OPTIONS)
            problems.append(
                error(file, entry.line, f"unknown setting {shorten(key)} (known: {known})")
            )
            continue
        try:
            value = option.check(entry.value)
        except ValueError as exc:
            problems.append(error(file, entry.line, f"{key}: {exc}"))
            continue
        if isinstance(value, Path) and not value.is_absolute():
            value = base_dir / value
        if check_folders and isinstance(value, Path) and key not in overridden:
            trouble = _path_trouble(key, value, shorten(entry.value))
            if trouble is not None:
                problems.append(error(file, entry.line, f"{key}: {trouble}"))
                continue
        values[key] = value
    config = SiteConfig(**values)  # type: ignore[arg-type]
    for key in ("content", "output", "cache"):
        if key not in values:
            config = replace(config, **{key: base_dir / getattr(SiteConfig, key)})
    return config, problems


# What each path setting must name when site.yaml sets it: the output and the cache are
# made by digest, so only the folders and the file it reads are looked at.
MUST_BE = {"content": "folder", "templates": "folder", "taxonomy": "file"}


def _path_trouble(key: str, path: Path, written: str) -> str | None:
    """Why `path` (`written` in site.yaml) cannot be what setting `key` names, or None."""
    kind = MUST_BE.get(key)
    if kind is None:
        return None
    try:
        if not path.exists():
            return f"{kind} {written} does not exist (paths are relative to site.yaml's folder)"
        if kind == "folder" and not path.is_dir():
            return f"{written} is a file, not a folder"
        if kind == "file" and path.is_dir():
            return f"{written} is a folder, not the topics file"
    except (OSError, ValueError) as exc:  # a name too long, an unreadable parent
        reason = exc.strerror.lower() if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"cannot look at {written}: {reason}"
    return None


def load_config(
    path: Path | None, overridden: Collection[str] = ()
) -> tuple[SiteConfig, list[Problem]]:
    """Read `path`, or ./site.yaml when it exists, or fall back to the defaults; the
    settings in `overridden` (given on the command line) are not looked for on disk."""
    explicit = path is not None
    path = path if path is not None else DEFAULT_CONFIG
    shown = display(path)
    try:
        text = read_file(path).decode("utf-8-sig")
    except FileNotFoundError:
        if explicit:
            return SiteConfig(), [error(shown, None, "configuration file not found")]
        return SiteConfig(), []
    except NotRead as exc:
        return SiteConfig(), [error(shown, None, f"not read: {exc}")]
    except UnicodeDecodeError as exc:
        return SiteConfig(), [error(shown, None, f"cannot read: {_reason(exc)}")]
    return parse_config(text, shown, path.parent, overridden=overridden)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc)
