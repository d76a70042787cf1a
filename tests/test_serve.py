"""`digest serve` end to end: a real process, real HTTP, a real browser for the overlay."""

from __future__ import annotations

import http.client
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE, require_tool

NEW = "A brand new story about humanoid robots in Lyon.\nAnalysis — Lyon builds on its industrial past.\n"
BROKEN = "Analysis — an analysis with no summary\n"


# The checkout's digest, not whichever one is installed: the subprocess runs elsewhere.
CHECKOUT = {**os.environ, "PYTHONPATH": str(ROOT)}


class Preview:
    def __init__(self, folder: Path, *extra: str, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        self.process = subprocess.Popen(
            [sys.executable, "-m", "digest", "serve", "--port", "0", "--content", "content", *extra],
            cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**CHECKOUT, **(env or {})},
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        line = self.wait_for("Serving ")
        self.url = line.split()[1]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            if text in line:
                return line
        raise AssertionError(f"no {text!r} in: {''.join(self.output)}")

    def get(self, path: str) -> tuple[int, dict[str, str], bytes]:
        address = urllib.parse.urlsplit(self.url)
        assert address.hostname is not None
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        connection.request("GET", path)  # sent as written: no client-side normalisation
        response = connection.getresponse()
        body = response.read()
        connection.close()
        return response.status, dict(response.getheaders()), body

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=20)


@pytest.fixture
def preview(tmp_path: Path):
    content = tmp_path / "content"
    content.mkdir()
    (content / "000_sample.txt").write_bytes(SAMPLE.read_bytes())
    running = Preview(tmp_path)
    yield running
    running.stop()


def poll(check, timeout: float = 10.0) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if check():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_serves_the_site_with_the_right_types_and_nothing_outside_it(preview: Preview) -> None:
    status, headers, body = preview.get("/")
    assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
    assert body.count(b'<article class="item"') == 19
    assert b'<script src="/__digest/reload.js"></script>\n</body>' in body
    for path, kind in (("/feed.xml", "application/xml"), ("/feed.json", "application/json"),
                       ("/feeds.opml", "text/x-opml; charset=utf-8"), ("/style.css", "text/css; charset=utf-8")):  # fmt: skip
        status, headers, _ = preview.get(path)
        assert (status, headers["Content-Type"]) == (200, kind), path
    for sneaky in (
        "/../../../../etc/passwd",
        "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/..%2f..%2f..%2fetc%2fpasswd",
    ):
        status, _, body = preview.get(sneaky)
        assert status == 404 and b"root:" not in body, sneaky
    status, headers, _ = preview.get("/topics")
    assert status == 301 and headers["Location"] == "/topics/"
    # The preview is built elsewhere, with the served address: the publishable site is untouched.
    assert not (preview.folder / "site").exists()
    assert b"http://127.0.0.1:" in preview.get("/feed.xml")[2]


def test_a_new_file_is_served_within_a_second_or_so(preview: Preview) -> None:
    (preview.folder / "content" / "001_new.txt").write_text(NEW)
    waited = poll(lambda: b"humanoid robots in Lyon" in preview.get("/")[2])
    print(f"new item served {waited:.2f} s after the file was written")
    assert waited < 5  # a second or so on a quiet machine; these are shared and noisy


def test_a_broken_file_shows_its_problems_and_the_last_good_site_stays(preview: Preview) -> None:
    events = urllib.request.urlopen(preview.url + "__digest/events", timeout=20)
    assert events.readline() == b"event: problems\n" and events.readline() == b"data: []\n"
    events.readline()
    (preview.folder / "content" / "002_bad.txt").write_text(BROKEN)
    assert events.readline() == b"event: problems\n"
    data = events.readline().decode()
    assert "content/002_bad.txt:1: error: analysis with no summary before it" in data
    preview.wait_for("content/002_bad.txt:1: error:")
    assert preview.get("/")[1]["Content-Type"].startswith("text/html")
    assert preview.get("/")[2].count(b'<article class="item"') == 19  # the last good site

    (preview.folder / "content" / "002_bad.txt").write_text(NEW)  # fixed
    events.readline()
    assert events.readline() == b"event: reload\n"
    events.close()


def test_the_overlay_and_reload_in_a_browser(preview: Preview) -> None:
    require_tool("chromium")
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync"],
        )  # fmt: skip
        page = browser.new_page()
        page.goto(preview.url)
        page.wait_for_timeout(300)  # let the event stream connect
        (preview.folder / "content" / "002_bad.txt").write_text(BROKEN)
        overlay = page.locator("#digest-problems")
        overlay.wait_for(timeout=15000)
        assert "content/002_bad.txt:1: error: analysis with no summary" in overlay.inner_text()
        (preview.folder / "content" / "002_bad.txt").write_text(NEW)
        page.wait_for_function(
            "() => document.body.innerText.includes('humanoid robots in Lyon')", timeout=15000
        )
        assert page.locator("#digest-problems").count() == 0
        browser.close()


def test_a_site_with_a_path_is_previewed_under_it_with_drafts_marked(tmp_path: Path) -> None:
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "000_sample.txt").write_bytes(SAMPLE.read_bytes())
    draft = "---\ndraft: true\n---\n" + NEW
    (tmp_path / "content" / "001_draft.txt").write_text(draft)
    (tmp_path / "site.yaml").write_text("base_url: https://example.org/ia/\n")
    running = Preview(tmp_path)
    try:
        assert running.url.startswith("http://127.0.0.1:") and running.url.endswith("/ia/")
        assert running.get("/")[0:2][0] == 301 and running.get("/")[1]["Location"] == "/ia/"
        assert running.get("/ia")[1]["Location"] == "/ia/"
        status, _, body = running.get("/ia/")
        assert status == 200 and b'<script src="/__digest/reload.js"></script>' in body
        assert b"humanoid robots in Lyon" in body
        status, _, missing = running.get("/ia/no/such/page/")
        assert status == 404 and b'href="/ia/style.css"' in missing  # links from the path
        assert running.get("/ia/topics")[1]["Location"] == "/ia/topics/"
        assert running.get("/style.css")[0] == 404  # a link that forgot the path shows
        assert (running.url + "feed.xml").encode() in running.get("/ia/feed.xml")[2]
        edition = running.get("/ia/editions/1/")[2]
        assert b"<strong>Draft</strong>" in edition and b'content="noindex"' in edition
        assert running.get("/__digest/reload.js")[0] == 200
        assert "email: http://127.0.0.1:" in "".join(running.output)
        email = next(line for line in running.output if "email: " in line).split()[-1]
        assert urllib.request.urlopen(email, timeout=20).status == 200
    finally:
        running.stop()


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_remove_the_temporary_folder(tmp_path: Path, stop: int) -> None:
    # SIGTERM (a service manager, `kill`, a container stopping) ends as Ctrl-C does: exit 0.
    (tmp_path / "content").mkdir()
    (tmp_path / "content" / "000_sample.txt").write_bytes(SAMPLE.read_bytes())
    running = Preview(tmp_path)
    built = next(line for line in running.output if " into " in line)
    folder = Path(built.split(" into ")[1].split(" (")[0]).parent
    assert folder.name.startswith("digest-serve-") and folder.is_dir()
    running.process.send_signal(stop)
    assert running.process.wait(timeout=20) == 0
    running.wait_for("stopped")
    assert not folder.exists()


# --- what a request can name: every target, however malformed, gets 200, 301, 400 or 404 ---

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from digest.serve import PreviewServer, State, find, locate  # noqa: E402


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site with a page, a folder, a symlink in and one out, a FIFO, a secret beside it."""
    base = tmp_path_factory.mktemp("served")
    (base / "secret.txt").write_text("root:x:0:0")
    site = base / "site"
    (site / "topics").mkdir(parents=True)
    (site / "index.html").write_text("<html><body>home</body></html>")
    (site / "404.html").write_text("<html><body>not here</body></html>")
    (site / "topics" / "index.html").write_text("<html><body>topics</body></html>")
    (site / "search").mkdir()  # a folder without its index.html
    (site / "feed.xml").write_text("<rss/>")
    (site / "in.xml").symlink_to(site / "feed.xml")
    (site / "out.txt").symlink_to(base / "secret.txt")
    (site / "up").symlink_to(base)
    os.mkfifo(site / "pipe.txt")
    return site


SEGMENTS = st.one_of(
    st.sampled_from(["", ".", "..", "index.html", "topics", "search", "feed.xml", "in.xml",
                     "out.txt", "up", "secret.txt", "pipe.txt", "%2e%2e", "%2f", "%00", "%zz",
                     "%ff", "%c3%a9", "%", "a" * 300, "\x00", "\xff", "é", "?q=x", "#f"]),
    st.text(st.characters(codec="latin-1"), max_size=12),
)  # fmt: skip
TARGETS = st.one_of(
    st.lists(SEGMENTS, max_size=8).map(lambda parts: "/" + "/".join(parts)),
    st.integers(1, 3000).map(lambda depth: "/" + "a/" * depth),
    st.text(st.characters(codec="latin-1"), max_size=40),
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=TARGETS)
def test_every_target_is_a_file_inside_the_site_or_an_answer_without_one(
    small_site: Path, target: str
) -> None:
    answer = locate(small_site, target)
    assert answer.status in (200, 301, 400, 404)
    if answer.status == 200:
        assert answer.file is not None and answer.file.is_relative_to(small_site.resolve())
        assert answer.file.is_file() and answer.file.name != "pipe.txt"
    if answer.status == 301:
        assert answer.location is not None and answer.location.isprintable()


@pytest.mark.parametrize(
    ("target", "status", "where"),
    [
        ("/", 200, "index.html"),
        ("/topics/", 200, "topics/index.html"),
        ("/topics", 301, "/topics/"),
        ("/topics?q=x", 301, "/topics/?q=x"),  # the query goes along
        ("/search?q=robots&page=2", 301, "/search/?q=robots&page=2"),
        ("/search/", 404, None),  # a folder without its index.html
        ("/index.html/", 404, None),  # a file with a trailing slash
        ("/in.xml", 200, "feed.xml"),  # a symlink that stays inside
        ("/out.txt", 404, None),  # one that leads out
        ("/up/secret.txt", 404, None),
        ("/pipe.txt", 404, None),  # reading a FIFO would hang
        ("/../secret.txt", 404, None),
        ("/%2e%2e/secret.txt", 404, None),
        ("/topics/%2e%2e/%2e%2e/secret.txt", 404, None),
        ("/" + "a" * 300, 404, None),
        ("/" + "a/" * 3000, 404, None),
        ("/%00", 400, None),
        ("/index.html%00.txt", 400, None),
        ("/%zz", 400, None),
        ("/%ff", 400, None),  # not UTF-8
        ("/\xff", 400, None),  # a raw byte, as http.server hands it over (Latin-1)
        ("/a\x1bb", 400, None),
        ("*", 400, None),
    ],
)
def test_what_a_target_names(small_site: Path, target: str, status: int, where: str | None) -> None:
    answer = locate(small_site, target)
    assert answer.status == status
    if status == 200:
        assert where is not None
        assert answer.file == (small_site / where).resolve()
    if status == 301:
        assert answer.location == where


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=TARGETS)
def test_under_a_path_the_site_is_there_and_nothing_else_is(small_site: Path, target: str) -> None:
    moved = find(small_site, "/ia/", "/ia" + target)
    if target.startswith("/"):  # inside the path: as at the root, redirects kept inside
        plain = locate(small_site, target)
        assert (moved.status, moved.file) == (plain.status, plain.file)
        if plain.location is not None:
            assert moved.location == "/ia" + plain.location
    outside = find(small_site, "/ia/", target)
    if not target.startswith(("/ia/", "/?")) and target.partition("?")[0] not in ("/", "/ia"):
        assert outside.status in (400, 404) and outside.file is None
    assert find(small_site, "/", target) == locate(small_site, target)


def test_the_root_and_the_bare_path_lead_to_the_site(small_site: Path) -> None:
    assert find(small_site, "/ia/", "/").location == "/ia/"
    assert find(small_site, "/ia/", "/ia?q=x").location == "/ia/?q=x"
    assert find(small_site, "/ia/", "/index.html").status == 404


def raw_request(port: int, target: bytes) -> tuple[int, bytes]:
    """Send a GET with the target's bytes as they are; the status and the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET " + target + b" HTTP/1.0\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.fixture(scope="module")
def small_server(small_site: Path):
    server = PreviewServer(("127.0.0.1", 0), lambda: small_site, State())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


RAW_TARGETS = st.one_of(
    TARGETS.map(lambda text: text.encode("latin-1")),
    st.binary(max_size=60).map(lambda raw: b"/" + raw),
).map(lambda raw: raw.replace(b"\r", b"").replace(b"\n", b""))  # those would end the line
# A target of whitespace only leaves "GET HTTP/1.0", an HTTP/0.9 request: its answer has no
# status line, by that old protocol's rules.
RAW_TARGETS = RAW_TARGETS.filter(lambda raw: raw.decode("latin-1").strip())


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(target=RAW_TARGETS)
def test_a_running_server_answers_every_path_with_a_status_and_a_body(
    small_server: int, target: bytes
) -> None:
    status, body = raw_request(small_server, target)
    assert status in (200, 301, 400, 404), target
    assert body and b"root:x" not in body, target


def test_the_server_still_answers_and_printed_no_traceback(
    small_server: int, capfd: pytest.CaptureFixture[str]
) -> None:
    for target in (b"/%00", b"/index.html%00.txt", b"/" + b"a" * 300, b"/a" * 3000, b"/\xff\xfe",
                   b"/%c3%28", b"/../../etc/passwd", b"/topics?q=x"):  # fmt: skip
        assert raw_request(small_server, target)[0] in (301, 400, 404)
    assert raw_request(small_server, b"/") == (
        200,
        b'<html><body>home<script src="/__digest/reload.js"></script>\n</body></html>',
    )
    assert "Traceback" not in capfd.readouterr().err
