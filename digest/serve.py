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
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .config import SiteConfig
from .ledger import LEDGER_NAME
from .render import builtin_templates

CLIENT_PATH = "/__digest/reload.js"
EVENTS_PATH = "/__digest/events"
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
    return replace(config, output=folder / "site", base_url=f"http://{host}:{port}/", cache=cache)


def watched_paths(config: SiteConfig, config_file: Path | None) -> list[Path]:
    paths = [config.content, builtin_templates()]
    for extra in (config.templates, config.taxonomy, config_file):
        if extra is not None and extra.exists():
            paths.append(extra)
    return paths


def is_source_change(path: str) -> bool:
    # The ledger is written by the build itself (through a hidden temporary file): a
    # rebuild for it would never end. Hidden files are editors' and systems' own.
    name = Path(path).name
    return name != LEDGER_NAME and not name.startswith(".")


class Handler(BaseHTTPRequestHandler):
    server: PreviewServer

    def log_message(self, *args: object) -> None:  # the terminal is for build messages
        pass

    def do_HEAD(self) -> None:  # the names are http.server's
        self.head_only = True
        self.do_GET()

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == CLIENT_PATH:
            self._send(HTTPStatus.OK, TYPES[".js"], CLIENT.encode())
        elif path == EVENTS_PATH:
            self._events()
        else:
            self._file(path)

    def _file(self, url_path: str) -> None:
        root = self.server.root()
        target = (root / unquote(url_path).lstrip("/")).resolve()
        if not target.is_relative_to(root.resolve()):  # no way out of the site
            target = root / "no such page"
        elif target.is_dir():
            if not url_path.endswith("/"):
                self.send_response(HTTPStatus.MOVED_PERMANENTLY)
                self.send_header("Location", url_path + "/")
                self.end_headers()
                return
            target = target / "index.html"
        status = HTTPStatus.OK
        if not target.is_file():
            status, target = HTTPStatus.NOT_FOUND, root / "404.html"
        # Before any good build there is no site: a bare page still carries the overlay.
        body = (
            target.read_bytes()
            if target.is_file()
            else b"<!doctype html><title>No site yet</title><body></body>"
        )
        kind = (
            TYPES.get(target.suffix)
            or mimetypes.guess_type(target.name)[0]
            or "application/octet-stream"
        )
        if not target.is_file():
            kind = TYPES[".html"]
        if target.suffix == ".html":
            body = body.replace(
                b"</body>", f'<script src="{CLIENT_PATH}"></script>\n</body>'.encode(), 1
            )
        self._send(status, kind, body)

    def _send(self, status: HTTPStatus, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
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
        try:
            self._event("problems", problems)
            while not self.server.stopping.is_set():
                with state.changed:
                    state.changed.wait_for(
                        lambda seen=seen: state.version != seen or self.server.stopping.is_set(), 15
                    )
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

    def __init__(self, address: tuple[str, int], root: Callable[[], Path], state: State) -> None:
        super().__init__(address, Handler)
        self.root = root
        self.state = state
        self.stopping = threading.Event()

    def shutdown(self) -> None:
        self.stopping.set()
        with self.state.changed:
            self.state.changed.notify_all()
        super().shutdown()


def changed_names(changes: Iterable[tuple[object, str]]) -> list[str]:
    return sorted({Path(path).name for _, path in changes if is_source_change(path)})


def fingerprint(paths: Iterable[Path]) -> set[tuple[str, int, int]]:
    found = set()
    for path in paths:
        for file in [path] if path.is_file() else path.rglob("*"):
            if file.is_file() and is_source_change(str(file)):
                stat = file.stat()
                found.add((str(file), stat.st_mtime_ns, stat.st_size))
    return found


def run(
    config: SiteConfig,
    config_file: Path | None,
    host: str,
    port: int,
    build: Callable[[SiteConfig], list[str]],
    say: Callable[[str], None],
) -> None:
    """Serve until Ctrl-C. `build(config)` builds and returns the problem lines that stop it."""
    import shutil

    import watchfiles

    state = State()
    preview: list[SiteConfig] = []
    server = PreviewServer((host, port), lambda: preview[0].output, state)
    preview.append(preview_config(config, host, server.server_address[1]))
    paths = watched_paths(config, config_file)
    before = fingerprint(paths)
    state.publish(build(preview[0]))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stop = threading.Event()
    announced = False
    try:
        # Timeouts make the watcher yield (nothing) as soon as it runs: a change made during
        # the first build, before it watched, is then caught by comparing fingerprints.
        for changes in watchfiles.watch(
            *paths, stop_event=stop, step=50, debounce=400, rust_timeout=250, yield_on_timeout=True
        ):
            if not announced:
                if fingerprint(paths) != before:
                    state.publish(build(preview[0]))
                say(f"Serving {preview[0].base_url} — watching for changes (Ctrl-C stops)")
                announced = True
            names = changed_names(changes)
            if names:
                say(f"changed: {', '.join(names)}")
                state.publish(build(preview[0]))
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        shutil.rmtree(preview[0].output.parent, ignore_errors=True)
        say("stopped")
