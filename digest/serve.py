"""`digest serve`: build, serve the site on 127.0.0.1, rebuild on every change, reload the pages.

The preview is built into a temporary folder with the served address as base_url, so
that it never overwrites the site meant for publishing. A small script is added to
served pages (never to built files): it listens for server-sent events, reloads the
page after a rebuild, and shows a build's FILE:LINE problems in an overlay while the
last good site keeps being served.
"""

from __future__ import annotations

import json
import mimetypes
import os
import re
import signal
import stat
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import workers
from .config import SiteConfig
from .ledger import LEDGER_NAME
from .problems import UsageError
from .render import builtin_templates
from .sendledger import SENT_NAME

CLIENT_PATH = "/__digest/reload.js"
EVENTS_PATH = "/__digest/events"
# The email of an edition, made afresh at each request: /__digest/email/ (the newest),
# /__digest/email/N/ (edition N), /__digest/email/N/text (its plain-text part).
EMAIL_PATH = "/__digest/email/"
EMAIL_TARGET = re.compile(r"(?:(?P<number>\d{1,9})/(?P<text>text)?)?")
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".opml": "text/x-opml; charset=utf-8",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
    ".wasm": "application/wasm",
}
CLIENT = """\
(function () {
  var source = new EventSource("EVENTS_PATH");
  function overlay(lines) {
    var box = document.getElementById("digest-problems");
    if (!lines.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement("div");
      box.id = "digest-problems";
      box.setAttribute("role", "alert");
      box.style.cssText = "position:fixed;inset:auto 0 0 0;max-height:60vh;overflow:auto;z-index:99999;" +
        "background:#2b0b0b;color:#ffe9e9;font:13px/1.5 ui-monospace,monospace;padding:12px 16px;" +
        "border-top:3px solid #ff5c5c;white-space:pre-wrap";
      document.body.appendChild(box);
    }
    box.textContent = "digest: the last build failed; showing the last good site.\\n\\n" + lines.join("\\n");
  }
  source.addEventListener("reload", function () { window.location.reload(); });
  source.addEventListener("problems", function (event) { overlay(JSON.parse(event.data)); });
})();
""".replace("EVENTS_PATH", EVENTS_PATH)


@dataclass
class State:
    """What the server tells the pages: a build counter and the last build's problems."""

    version: int = 0
    problems: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, problems: list[str]) -> None:
        with self.changed:
            self.version += 1
            self.problems = problems
            self.changed.notify_all()


def preview_config(config: SiteConfig, host: str, port: int) -> SiteConfig:
    folder = Path(tempfile.mkdtemp(prefix="digest-serve-"))
    # A build cache of its own, gone with the folder: the preview's pages (another
    # base_url) would only crowd the project's cache.
    cache = folder / "cache" if config.cache is not None else None
    # Under base_url's path, as published: a link that forgets the path breaks here too.
    base_url = f"http://{host}:{port}{site_path(config)}"
    return replace(config, output=folder / "site", base_url=base_url, cache=cache)


def site_path(config: SiteConfig) -> str:
    """base_url's path, where the site lives on its host: "/", or "/ia/" say."""
    return urlsplit(config.base_url).path or "/"


def watched_paths(config: SiteConfig, config_file: Path | None) -> list[Path]:
    # Only what exists: the watcher refuses a missing path (a missing content folder is
    # reported by the build).
    paths = [config.content, builtin_templates(), config.templates, config.taxonomy, config_file]
    return [path for path in paths if path is not None and path.exists()]


def is_source_change(path: str) -> bool:
    # The ledger is written by the build itself (through a hidden temporary file): a
    # rebuild for it would never end. Hidden files are editors' and systems' own.
    name = Path(path).name
    return name not in (LEDGER_NAME, SENT_NAME) and not name.startswith(".")


# Longer names and paths cannot exist on the file systems a site is built on (NAME_MAX,
# PATH_MAX): answered without asking the file system, which would fail on them.
NAME_MAX, PATH_MAX = 255, 4096
BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
BARE_PAGE = b"<!doctype html><title>No site yet</title><body></body>"


@dataclass(frozen=True)
class Answer:
    """What a request target names in the site: a file, a redirect, or nothing (404), or
    it is malformed (400)."""

    status: HTTPStatus
    file: Path | None = None
    location: str | None = None


MALFORMED = Answer(HTTPStatus.BAD_REQUEST)
ABSENT = Answer(HTTPStatus.NOT_FOUND)


def locate(root: Path, target: str) -> Answer:
    """Map a request target (`/path?query`, as sent) to a regular file inside `root`.

    Malformed: anything but printable ASCII, a %-escape that is not two hex digits, escapes
    that are not UTF-8 or that decode to control characters (NUL included). Not there: a
    `.`, `..` or empty segment, a name or path too long to exist, anything that resolves
    outside the site (a symlink leading out is not followed), a folder's `index.html` when
    it is missing, a file asked for with a trailing slash, anything but a regular file.
    A folder asked for without its slash is redirected, query kept.
    """
    if not target.startswith("/") or not target.isascii() or not target.isprintable():
        return MALFORMED
    raw_path, question, query = target.partition("?")
    raw_path = raw_path.partition("#")[0]
    if " " in raw_path or BAD_ESCAPE.search(raw_path):
        return MALFORMED
    try:
        path = unquote(raw_path, errors="strict")
    except UnicodeDecodeError:
        return MALFORMED
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in path):
        return MALFORMED
    wants_folder = path.endswith("/")
    parts = path[1:].split("/")
    if wants_folder:
        parts.pop()
    if len(path.encode()) > PATH_MAX or any(
        part in ("", ".", "..") or len(part.encode()) > NAME_MAX for part in parts
    ):
        return ABSENT
    try:
        site = os.path.realpath(root)
        found = _inside(site, os.path.join(site, *parts))
        if found is None:
            return ABSENT
        mode = os.stat(found).st_mode
        if stat.S_ISDIR(mode):
            if not wants_folder:
                return Answer(
                    HTTPStatus.MOVED_PERMANENTLY, location=f"{raw_path}/{question}{query}"
                )
            found = _inside(site, os.path.join(found, "index.html"))
            if found is None:
                return ABSENT
            mode = os.stat(found).st_mode
        elif wants_folder:
            return ABSENT
        # Not a FIFO or a device: reading one would hang the handler or read forever.
        return Answer(HTTPStatus.OK, file=Path(found)) if stat.S_ISREG(mode) else ABSENT
    except (OSError, ValueError):  # gone in a rebuild's swap, or a name the system refuses
        return ABSENT


def find(root: Path, prefix: str, target: str) -> Answer:
    """locate() for a site served under `prefix` (base_url's path, ending in "/"): "/" and
    the prefix without its slash lead to it, anything else outside it is not there."""
    if prefix == "/":
        return locate(root, target)
    path, question, query = target.partition("?")
    if path.startswith(prefix):
        answer = locate(root, target[len(prefix) - 1 :])
        if answer.location is None:
            return answer
        return replace(answer, location=prefix[:-1] + answer.location)
    if path in ("/", prefix[:-1]):
        return Answer(HTTPStatus.MOVED_PERMANENTLY, location=f"{prefix}{question}{query}")
    return MALFORMED if locate(root, target) is MALFORMED else ABSENT


def _inside(site: str, path: str) -> str | None:
    real = os.path.realpath(path)
    return real if real == site or real.startswith(site.rstrip("/") + "/") else None


class Handler(BaseHTTPRequestHandler):
    server: PreviewServer

    def log_message(self, *args: object) -> None:  # the terminal is for build messages
        pass

    def do_HEAD(self) -> None:  # the names are http.server's
        self.head_only = True
        self.do_GET()

    def do_GET(self) -> None:
        path = self.path.partition("?")[0]
        if path == CLIENT_PATH:
            self._send(HTTPStatus.OK, TYPES[".js"], CLIENT.encode())
        elif path == EVENTS_PATH:
            self._events()
        elif path.startswith(EMAIL_PATH) and self.server.mail is not None:
            status, kind, body = self.server.mail(path.removeprefix(EMAIL_PATH))
            if kind == TYPES[".html"]:  # it reloads after a rebuild, like the pages
                body = body.replace(
                    b"</body>", f'<script src="{CLIENT_PATH}"></script>\n</body>'.encode(), 1
                )
            self._send(status, kind, body)
        else:
            self._file()

    def _file(self) -> None:
        root = self.server.root()
        answer = find(root, self.server.prefix, self.path)
        if answer.status == HTTPStatus.BAD_REQUEST:
            self._send(answer.status, TYPES[".txt"], b"400 bad request: a malformed path\n")
            return
        if answer.location is not None:
            self._send(
                answer.status, TYPES[".txt"], f"moved to {answer.location}\n".encode(),
                [("Location", answer.location)],
            )  # fmt: skip
            return
        status, target = answer.status, answer.file
        if target is None:
            target = locate(root, "/404.html").file
        try:
            # Before any good build there is no site: a bare page still carries the overlay.
            body = target.read_bytes() if target is not None else BARE_PAGE
        except OSError:  # removed by a rebuild since it was found
            status, target, body = HTTPStatus.NOT_FOUND, None, BARE_PAGE
        suffix = target.suffix if target is not None else ".html"
        kind = (
            TYPES.get(suffix)
            or (target is not None and mimetypes.guess_type(target.name)[0])
            or "application/octet-stream"
        )
        if suffix == ".html":
            body = body.replace(
                b"</body>", f'<script src="{CLIENT_PATH}"></script>\n</body>'.encode(), 1
            )
        self._send(status, kind, body)

    def _send(
        self,
        status: HTTPStatus,
        kind: str,
        body: bytes,
        headers: Iterable[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not getattr(self, "head_only", False):
            self.wfile.write(body)

    def _events(self) -> None:
        state = self.server.state
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        with state.changed:
            seen, problems = state.version, list(state.problems)

        def ready() -> bool:  # reads `seen` as the loop last set it
            return state.version != seen or self.server.stopping.is_set()

        try:
            self._event("problems", problems)
            while not self.server.stopping.is_set():
                with state.changed:
                    state.changed.wait_for(ready, 15)
                    changed, seen, problems = (
                        state.version != seen,
                        state.version,
                        list(state.problems),
                    )
                if not changed:
                    self.wfile.write(b": keep-alive\n\n")
                    self.wfile.flush()
                elif problems:
                    self._event("problems", problems)
                else:
                    self._event("reload", [])
        except (BrokenPipeError, ConnectionResetError):
            return

    def _event(self, name: str, data: object) -> None:
        self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()


class PreviewServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], root: Callable[[], Path], state: State, prefix: str = "/"
    ) -> None:
        super().__init__(address, Handler)
        self.root = root
        self.state = state
        self.prefix = prefix  # where the site is served: base_url's path
        self.stopping = threading.Event()
        # What answers EMAIL_PATH: target after it -> (status, type, body).
        self.mail: Callable[[str], tuple[HTTPStatus, str, bytes]] | None = None

    def shutdown(self) -> None:
        self.stopping.set()
        with self.state.changed:
            self.state.changed.notify_all()
        super().shutdown()

    def handle_error(self, request: object, client_address: object) -> None:
        # A reader who leaves mid-answer (a reload, a closed tab) is not an error to show.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def email_page(
    config: SiteConfig, config_file: Path | None, preview: SiteConfig, target: str
) -> tuple[HTTPStatus, str, bytes]:
    """The email of an edition as `digest send` would send it, with the preview's links, for
    the editor to proofread; what stops it from being made, as text, if anything does."""
    from . import pipeline
    from .cache import BuildCache
    from .config import load_config
    from .newsletter import render_email
    from .problems import ConfigErrors, has_errors
    from .render import make_env

    match = EMAIL_TARGET.fullmatch(target)
    if match is None:
        return HTTPStatus.NOT_FOUND, TYPES[".txt"], b"404: no such email\n"
    fresh, problems = load_config(config_file)  # read again, as each preview build does
    if problems:
        fresh = config
    fresh = replace(
        fresh,
        content=config.content,  # as the command line set them, like the preview's
        taxonomy=config.taxonomy,
        output=preview.output,
        base_url=preview.base_url,
        cache=preview.cache,
    )

    def failed(lines: Iterable[object]) -> tuple[HTTPStatus, str, bytes]:
        text = "digest: the email cannot be made:\n" + "\n".join(map(str, lines)) + "\n"
        return HTTPStatus.INTERNAL_SERVER_ERROR, TYPES[".txt"], text.encode()

    try:
        cache = BuildCache(fresh.cache)
        # Drafts too, as the preview shows them.
        found = pipeline.model(fresh, pipeline.Showing(drafts=True))
        site, problems = found.site, found.problems
        if has_errors(problems):
            return failed(problems)
        if not site.editions:
            return HTTPStatus.NOT_FOUND, TYPES[".txt"], b"404: there is no edition yet\n"
        number = match["number"]
        edition = next(
            (e for e in site.editions if number is None or e.number == int(number)), None
        )
        if edition is None:
            return HTTPStatus.NOT_FOUND, TYPES[".txt"], f"404: no edition {number}\n".encode()
        compiled = cache.subfolder("templates") if fresh.cache else None
        env = make_env([fresh.templates] if fresh.templates else [], compiled)
        email = render_email(site, edition, env, fresh.newsletter)
    except ConfigErrors as exc:
        return failed(exc.problems)
    except UsageError as exc:
        return failed([exc])
    if match["text"]:
        return HTTPStatus.OK, TYPES[".txt"], email.text.encode("utf-8")
    return HTTPStatus.OK, TYPES[".html"], email.html.encode("utf-8")


def changed_names(changes: Iterable[tuple[object, str]]) -> list[str]:
    return sorted({Path(path).name for _, path in changes if is_source_change(path)})


def fingerprint(paths: Iterable[Path]) -> set[tuple[str, int, int]]:
    """Every watched file with its mtime and size; files that vanish while looked at are skipped."""
    found = set()
    for path in paths:
        files = [str(path)] if path.is_file() else _walk(path)
        for file in files:
            try:
                status = os.stat(file)
            except OSError:
                continue
            if stat.S_ISREG(status.st_mode) and is_source_change(file):
                found.add((file, status.st_mtime_ns, status.st_size))
    return found


def _walk(folder: Path) -> Iterator[str]:
    for parent, _, names in os.walk(folder):  # os.walk skips folders it cannot read
        for name in names:
            yield os.path.join(parent, name)


def attempt(build: Callable[[SiteConfig], list[str]], config: SiteConfig) -> list[str]:
    """Run one build; whatever it raises, the preview goes on and the overlay says what."""
    try:
        return build(config)
    except Exception as exc:  # a bug in digest: shown as one, the last good site stays
        traceback.print_exc()
        line = f"internal error: {type(exc).__name__}: {exc} (a bug in digest)"
        print(f"digest: {line}", file=sys.stderr, flush=True)
        return [line]


def attempt_email(
    config: SiteConfig, config_file: Path | None, preview: SiteConfig, target: str
) -> tuple[HTTPStatus, str, bytes]:
    """email_page, which a bug in digest does not take down: it is shown as one."""
    try:
        return email_page(config, config_file, preview, target)
    except Exception as exc:
        traceback.print_exc()
        line = f"internal error: {type(exc).__name__}: {exc} (a bug in digest)"
        return HTTPStatus.INTERNAL_SERVER_ERROR, TYPES[".txt"], f"digest: {line}\n".encode()


@contextmanager
def stopped_by_sigterm() -> Iterator[None]:
    """Inside: SIGTERM stops the way Ctrl-C does (KeyboardInterrupt), so that cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals (serve run in-process by a test)
        return

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def bind(
    host: str, port: int, root: Callable[[], Path], state: State, prefix: str = "/"
) -> PreviewServer:
    try:
        return PreviewServer((host, port), root, state, prefix)
    # UnicodeError (a label too long for IDNA) is a ValueError; a NUL in the name a TypeError.
    except (OSError, ValueError, TypeError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"cannot serve on {host}:{port}: {reason}") from None


def run(
    config: SiteConfig,
    config_file: Path | None,
    host: str,
    port: int,
    build: Callable[[SiteConfig], list[str]],
    say: Callable[[str], None],
) -> None:
    """Serve until Ctrl-C or SIGTERM. `build(config)` builds and returns the problem lines
    that stop it; whatever it raises is shown as an internal error and serving goes on.
    An address that cannot be served on is a UsageError."""
    import shutil

    import watchfiles

    state = State()
    preview: list[SiteConfig] = []
    # The path is read once: a base_url changed while serving moves the preview at restart.
    server = bind(host, port, lambda: preview[0].output, state, site_path(config))
    stop = threading.Event()
    serving: threading.Thread | None = None
    builder: workers.Standby[SiteConfig, list[str]] | None = None
    with stopped_by_sigterm():
        try:
            preview.append(preview_config(config, host, server.server_address[1]))
            server.mail = lambda target: attempt_email(config, config_file, preview[0], target)
            # Builds run in a process forked before the server's threads start: a process
            # with no other thread may fork helpers that render on every core.
            builder = workers.Standby(lambda site: attempt(build, site))
            # Served from the start: before the first good build, pages show the overlay.
            serving = threading.Thread(target=server.serve_forever, daemon=True)
            serving.start()
            paths = watched_paths(config, config_file)
            before = fingerprint(paths)
            state.publish(builder.call(preview[0]))
            announced = False
            # Timeouts make the watcher yield (nothing) as soon as it runs: a change made
            # during the first build, before it watched, is then caught by comparing
            # fingerprints.
            for changes in watchfiles.watch(
                *paths, stop_event=stop, step=50, debounce=400, rust_timeout=250,
                yield_on_timeout=True,
            ):  # fmt: skip
                if not announced:
                    if fingerprint(paths) != before:
                        state.publish(builder.call(preview[0]))
                    say(f"Serving {preview[0].base_url} — watching for changes (Ctrl-C stops)")
                    origin = preview[0].base_url.removesuffix(site_path(config)[1:])
                    say(f"The newest edition's email: {origin}{EMAIL_PATH[1:]}")
                    announced = True
                names = changed_names(changes)
                if names:
                    say(f"changed: {', '.join(names)}")
                    state.publish(builder.call(preview[0]))
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            if serving is not None and serving.ident is not None:
                server.shutdown()  # only once started: it waits for serve_forever to end
            server.server_close()
            if builder is not None:  # before its output goes: it may be building
                builder.close()
            if preview:
                shutil.rmtree(preview[0].output.parent, ignore_errors=True)
            say("stopped")
