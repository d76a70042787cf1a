"""site.yaml: every setting declared once, with its default and meaning, and checked on load."""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .problems import Problem, display, error, warning
from .reading import NotRead, read_file
from .translation import interface_language, supported
from .urls import GENERATED_FILES
from .yamlfile import Entry, load_mapping, shorten

DEFAULT_CONFIG = Path("site.yaml")


SECURITY_PORTS = {"tls": 465, "starttls": 587, "none": 25}
SUBJECT_FIELDS = ("title", "number", "date", "site")


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
        import ipaddress  # here: few sites live at an IPv6 address

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


def _unsupported_language(
    config: SiteConfig, file: str, entries: dict[str, Entry]
) -> list[Problem]:
    """A warning when digest has no interface in the site's language: the pages then speak
    English, while `lang` and the feeds' language stay the tag the editor wrote."""
    if "language" not in entries or interface_language(config.language) is not None:
        return []
    known = ", ".join(supported())
    return [
        warning(
            file,
            entries["language"].line,
            f"language: digest's interface has no {shorten(config.language)} catalog "
            f"(it has: {known}); the pages' words, dates and numbers will be in English",
        )
    ]


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


class NestedErrors(ValueError):
    """Problems inside a setting that is a mapping, each at its own line."""

    def __init__(self, found: list[tuple[int | None, str]]) -> None:
        super().__init__("; ".join(message for _, message in found))
        self.found = found


# A bare address, as SMTP's envelope takes it: an ASCII local part (without SMTPUTF8, which
# few servers take) and a host name, international names allowed (sent in their xn-- form).
LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
NAMED_ADDRESS = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<address>[^<>]*)>")


def check_address(text: str) -> str:
    """`text` as a bare email address (local@host), its host in ASCII; ValueError if not one."""
    local, at, host = text.rpartition("@")
    if not at or not LOCAL_PART.fullmatch(local) or len(local) > 64:
        raise ValueError(f"{shorten(text)} is not an email address such as name@example.org")
    try:
        _check_host(host)
    except ValueError:
        raise ValueError(
            f"{shorten(text)} is not an email address: {shorten(host)} is not a host name"
        ) from None
    return f"{local}@{host.encode('idna').decode('ascii').lower()}"


def _mailbox(value: object) -> str:
    """An address, or "Display Name <address>", as a From or Reply-To header holds it."""
    text = _text(value)
    named = NAMED_ADDRESS.fullmatch(text)
    if named is None:
        return check_address(text)
    name = named["name"].strip().strip('"')
    if any(c in name for c in '"\\'):
        raise ValueError(f"a display name may not hold quotes or backslashes: {shorten(name)}")
    address = check_address(named["address"].strip())
    return f"{name} <{address}>" if name else address


def mailbox_address(mailbox: str) -> str:
    """The bare address of what _mailbox accepted."""
    named = NAMED_ADDRESS.fullmatch(mailbox)
    return named["address"] if named else mailbox


def _subject(value: object) -> str:
    text = _text(value)
    fields = ", ".join("{" + f + "}" for f in SUBJECT_FIELDS)
    try:
        # Only plain {name} fields: no attributes, indexes, conversions or formats.
        parts = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ValueError(f"the subject may use {fields}; {shorten(text)}: {exc}") from None
    for _, name, spec, conversion in parts:
        if name is not None and (name not in SUBJECT_FIELDS or spec or conversion):
            raise ValueError(f"the subject may use {fields}, not {{{shorten(name)[1:-1]}}}")
    return text


def _host(value: object) -> str:
    text = _text(value)
    _check_host(text)
    return text


def _port(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ValueError(f"a port is a number from 1 to 65535, got {shorten(value)}")
    return value


def _security(value: object) -> str:
    if value not in SECURITY_PORTS:
        raise ValueError(f"expected tls, starttls or none, got {shorten(value)}")
    return str(value)


def _variable(value: object) -> str:
    text = _text(value)
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise ValueError(f"expected the name of an environment variable, got {shorten(text)}")
    return text


def _pace(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 1e6:
        raise ValueError(f"expected a number of messages per minute above 0, got {shorten(value)}")
    return float(value)


def _link(value: object) -> str:
    """An http(s) URL (a ?query allowed) or a mailto: URI."""
    text = _text(value)
    if text.lower().startswith("mailto:"):
        address, _, query = text[7:].partition("?")
        check_address(address)
        if not QUERY_CHARACTERS.fullmatch(query) or any(c in UNSAFE for c in text):
            raise ValueError(
                f"a mailto: link's ?query may hold URL characters, got {shorten(text)}"
            )
        return text
    return _url(text, "or a mailto: address")


def _unsubscribe(value: object) -> tuple[str, ...]:
    links = tuple(_link(v) for v in (value if isinstance(value, list) else [value]))
    if not links:
        raise ValueError("expected an https URL, a mailto: address, or a list of both")
    return links


def _addresses(value: object) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(check_address(_text(item)) for item in items)


def _newsletter(value: object) -> Newsletter:
    if not isinstance(value, dict):
        raise ValueError("expected the settings on indented lines below it (from:, host:, …)")
    found: list[tuple[int | None, str]] = []
    values: dict[str, object] = {}
    entries: dict[str, Entry] = value  # as yamlfile reads a nested mapping
    for key, entry in entries.items():
        option = NEWSLETTER_OPTIONS.get(key)
        if option is None:
            known = ", ".join(NEWSLETTER_OPTIONS)
            found.append(
                (entry.line, f"newsletter: unknown setting {shorten(key)} (known: {known})")
            )
            continue
        try:
            checked = option.check(_plain(entry.value))
        except ValueError as exc:
            found.append((entry.line, f"newsletter.{key}: {exc}"))
            continue
        if key == "recipients":
            checked = tuple(Recipient(a, "", entry.line) for a in checked)  # type: ignore[attr-defined]
        values[NEWSLETTER_FIELDS.get(key, key)] = checked
    for required in ("from", "host"):
        if required not in value:
            found.append((None, f"newsletter.{required} is required"))
    if found:
        raise NestedErrors(found)
    return Newsletter(**values)  # type: ignore[arg-type]


def _plain(value: object) -> object:
    """A value read with its nested mappings' lines (yamlfile's Entry), without them."""
    if isinstance(value, dict):
        return {k: _plain(getattr(v, "value", v)) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Option:
    check: Callable[[object], object]
    doc: str
    default: str  # as README.md's tables show it: `value`, or words such as "none"


def setting(
    check: Callable[[object], object], doc: str, default: str | None = None, key: str = ""
) -> dict[str, object]:
    """A setting's declaration, as the metadata of the field that holds its value: its
    check, its documentation (site.yaml's comments from `digest init`), how the README
    shows its default when the field's default does not say it (None: it does), and its
    key in site.yaml when it is not the field's name."""
    return {"check": check, "doc": doc, "default": default, "key": key}


@dataclass(frozen=True)
class Recipient:
    """An address to send the newsletter to, and where it is written (for messages)."""

    address: str
    file: str
    line: int | None


@dataclass(frozen=True)
class Newsletter:
    """site.yaml's `newsletter`: who sends the edition emails, to whom, through which server.

    The password is never here: only the name of the environment variable that holds it.
    Each key is checked on its own line; `from` and `host` are required.
    """

    sender: str = field(
        metadata=setting(
            _mailbox,
            "The sender: an address, or 'Name <address>' (required).",
            "required",
            key="from",  # a Python keyword
        )
    )
    host: str = field(
        metadata=setting(_host, "The SMTP server's host name (required).", "required")
    )
    port: int | None = field(
        default=None,
        metadata=setting(
            _port,
            "The SMTP server's port (default: 465 for tls, 587 for starttls, 25 for none).",
            "465, 587 or 25 by `security`",
        ),
    )
    security: str = field(
        default="starttls",
        metadata=setting(_security, "tls, starttls or none (default: starttls)."),
    )
    user: str | None = field(
        default=None,
        metadata=setting(_text, "The user name to log in with (default: no login).", "no login"),
    )
    password_env: str = field(
        default="DIGEST_SMTP_PASSWORD",
        metadata=setting(
            _variable,
            "The environment variable that holds the password (default: DIGEST_SMTP_PASSWORD); "
            "the password is never read from a file.",
        ),
    )
    reply_to: str | None = field(
        default=None,
        metadata=setting(_mailbox, "Where replies go (default: the sender).", "the sender"),
    )
    subject: str = field(
        default="{title}",
        metadata=setting(
            _subject,
            "The subject line; {title}, {number}, {date} and {site} stand for the edition's "
            "title, number and date and the site's title (default: {title}).",
        ),
    )
    recipients: tuple[Recipient, ...] = field(  # written in site.yaml
        default=(),
        metadata=setting(_addresses, "An address (a mailing list's), or a list of addresses."),
    )
    recipients_file: Path | None = field(
        default=None,
        metadata=setting(
            _path, "A file of addresses, one a line ('#' starts a comment), relative to site.yaml."
        ),
    )
    unsubscribe: tuple[str, ...] = field(  # an https URL and/or a mailto: URI
        default=(),
        metadata=setting(
            _unsubscribe,
            "An https URL and/or a mailto: address to unsubscribe: shown in the email and sent "
            "as List-Unsubscribe (with RFC 8058 one-click for the https URL).",
        ),
    )
    pace: float | None = field(  # messages per minute
        default=None,
        metadata=setting(
            _pace, "At most this many messages per minute (default: no limit).", "no limit"
        ),
    )
    messages: Path = field(
        default=Path("mail"),
        metadata=setting(
            _path,
            "The folder the message files are written to, relative to site.yaml (default: mail).",
        ),
    )
    # Not settings: where these are written, for messages.
    file: str = "site.yaml"
    line: int | None = None

    @property
    def smtp_port(self) -> int:
        return self.port if self.port is not None else SECURITY_PORTS[self.security]

    @property
    def one_click(self) -> str | None:
        """The https unsubscribe URL that RFC 8058's one-click POST goes to, if any."""
        return next((url for url in self.unsubscribe if url.startswith("https://")), None)

    @property
    def unsubscribe_link(self) -> str | None:
        """The unsubscribe link shown in the email: the web page, else the mailto:."""
        return next((u for u in self.unsubscribe if "://" in u), None) or next(
            iter(self.unsubscribe), None
        )


# Every setting is declared here, once: its default, check and documentation; README.md
# shows each (tests/test_docs.py holds them in step), and `digest init` writes them all.
@dataclass(frozen=True)
class SiteConfig:
    title: str = field(
        default="Digest",
        metadata=setting(_text, "The site's name, shown on every page and in the feeds."),
    )
    description: str = field(
        default="",
        metadata=setting(_optional_text, "One sentence about the digest, for feeds and meta tags."),
    )
    base_url: str = field(
        default="http://localhost:8000/",
        metadata=setting(
            _base_url, "The absolute URL the site is published at; may end in a path."
        ),
    )
    language: str = field(
        default="en",
        metadata=setting(
            _language,
            "The site's language, its content's and its interface's alike, e.g. 'en' or 'fr'.",
        ),
    )
    timezone: str = field(
        default="UTC",
        metadata=setting(_timezone, "IANA time zone used for edition dates, e.g. 'Europe/Paris'."),
    )
    feed_size: int = field(
        default=50,
        metadata=setting(_positive_int, "How many of the newest items each feed carries."),
    )
    items_per_page: int = field(
        default=20, metadata=setting(_positive_int, "How many items a list page shows.")
    )
    content: Path = field(
        default=Path("content"),
        metadata=setting(_path, "The folder of item files, relative to site.yaml."),
    )
    output: Path = field(
        default=Path("site"),
        metadata=setting(_path, "The folder the site is written to, relative to site.yaml."),
    )
    author: str = field(
        default="",
        metadata=setting(
            _optional_text,
            "Who publishes the digest, named in the feeds (default: the title).",
            "the title",
        ),
    )
    feed_icon: str | None = field(
        default=None,
        metadata=setting(
            _icon, "An image for the feeds: an absolute URL, or a path inside the site."
        ),
    )
    search: bool = field(
        default=True,
        metadata=setting(
            _boolean, "Whether to build the full-text search (its page and index) with the site."
        ),
    )
    templates: Path | None = field(
        default=None,
        metadata=setting(
            _path, "A folder of templates that replace the built-in ones of the same name."
        ),
    )
    cache: Path | None = field(
        default=Path(".digest-cache"),
        metadata=setting(
            _cache,
            "The build cache folder, relative to site.yaml, or false for none "
            "(default: .digest-cache; safe to delete at any time).",
        ),
    )
    taxonomy: Path | None = field(
        default=None,
        metadata=setting(
            _path,
            "The topics file, relative to site.yaml (default: topics.yaml in the content folder).",
            "`topics.yaml` in the content folder",
        ),
    )
    newsletter: Newsletter | None = field(
        default=None,
        metadata=setting(
            _newsletter,
            "How `digest send` emails each edition: sender, recipients and SMTP server "
            "(the keys below; default: no newsletter).",
        ),
    )
    static: Path = field(
        default=Path("static"),
        metadata=setting(
            _path,
            "A folder of files copied into the site as they are (images, a CNAME, .well-known/), "
            "relative to site.yaml (default: static; none there, nothing copied).",
        ),
    )
    pages: Path = field(
        default=Path("pages"),
        metadata=setting(
            _path,
            "A folder of standalone pages, one Markdown file each (about.md -> about/), relative "
            "to site.yaml (default: pages).",
        ),
    )
    share_image: str | None = field(
        default=None,
        metadata=setting(
            _icon,
            "The image that links to the site show when shared (og:image): an absolute URL, or "
            "a path inside the site such as a file of the static folder.",
        ),
    )
    signup: str | None = field(
        default=None,
        metadata=setting(
            _link,
            "Where readers sign up for the newsletter (the list provider's page, or a mailto:): "
            "the pages then show 'Get each edition by email'.",
        ),
    )

    @property
    def taxonomy_file(self) -> Path:
        return self.taxonomy if self.taxonomy is not None else self.content / "topics.yaml"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _options(kind: type) -> dict[str, Option]:
    """The settings a dataclass declares, by key, in their order; its other fields are not."""
    return {
        str(f.metadata["key"] or f.name): Option(
            f.metadata["check"],
            f.metadata["doc"],
            f.metadata["default"] or _shown(f.default),
        )
        for f in fields(kind)
        if "check" in f.metadata
    }


def _shown(value: object) -> str:
    """A default as README.md shows it."""
    if value is None or value == ():
        return "none"
    if value == "":
        return "empty"
    if isinstance(value, bool):
        return "`true`" if value else "`false`"
    return f"`{value}`"


OPTIONS = _options(SiteConfig)
NEWSLETTER_OPTIONS = _options(Newsletter)
NEWSLETTER_FIELDS = {
    str(f.metadata["key"]): f.name for f in fields(Newsletter) if f.metadata.get("key")
}


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
    entries, problems = load_mapping(text, file, nested=True)
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
            # Only `newsletter` is read with the lines of its keys; the others get plain values.
            value = option.check(entry.value if key == "newsletter" else _plain(entry.value))
        except NestedErrors as exc:
            problems += [error(file, line or entry.line, message) for line, message in exc.found]
            continue
        except ValueError as exc:
            problems.append(error(file, entry.line, f"{key}: {exc}"))
            continue
        if isinstance(value, Newsletter):
            value = _settled(value, file, entry.line, base_dir)
        if isinstance(value, Path) and not value.is_absolute():
            value = base_dir / value
        if check_folders and isinstance(value, Path) and key not in overridden:
            trouble = _path_trouble(key, value, shorten(entry.value))
            if trouble is not None:
                problems.append(error(file, entry.line, f"{key}: {trouble}"))
                continue
        values[key] = value
    config = SiteConfig(**values)  # type: ignore[arg-type]
    for key in ("content", "output", "cache", "static", "pages"):
        if key not in values:
            config = replace(config, **{key: base_dir / getattr(SiteConfig, key)})
    if check_folders:
        for key in ("feed_icon", "share_image"):
            problems += _missing_image(config, key, file, entries)
    problems += _unsupported_language(config, file, entries)
    return config, problems


def _missing_image(
    config: SiteConfig, key: str, file: str, entries: dict[str, Entry]
) -> list[Problem]:
    """A warning when setting `key` names a path inside the site that nothing provides."""
    path = getattr(config, key)
    if path is None or "://" in path or path in GENERATED_FILES:
        return []
    try:
        there = (config.static / path).is_file()
    except (OSError, ValueError):
        there = False
    if there:
        return []
    return [
        warning(
            file,
            entries[key].line,
            f"{key}: no {path} in the static folder ({display(config.static)}) nor among the "
            "files the build makes: the link will lead nowhere",
        )
    ]


def _settled(newsletter: Newsletter, file: str, line: int, base_dir: Path) -> Newsletter:
    """`newsletter` with its folders taken from site.yaml's and its addresses' file known."""

    def resolved(path: Path) -> Path:
        return path if path.is_absolute() else base_dir / path

    return replace(
        newsletter,
        file=file,
        line=line,
        recipients=tuple(replace(r, file=file) for r in newsletter.recipients),
        recipients_file=resolved(newsletter.recipients_file)
        if newsletter.recipients_file is not None
        else None,
        messages=resolved(newsletter.messages),
    )


# What each path setting must name when site.yaml sets it: the output and the cache are
# made by digest, so only the folders and the file it reads are looked at.
MUST_BE = {
    "content": "folder",
    "templates": "folder",
    "taxonomy": "file",
    "static": "folder",
    "pages": "folder",
}


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
