"""`digest serve` end to end: a real process, real HTTP, a real browser for the overlay."""

from __future__ import annotations

import http.client
import os
import queue
import signal
import subprocess
import sys
import threading
import time
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
        host, port = self.url.removeprefix("http://").rstrip("/").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
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


def test_ctrl_c_stops_cleanly(preview: Preview) -> None:
    assert preview.stop() == 0
    assert "stopped" in "".join(preview.output)
    assert not any(
        Path(line.split(" into ")[1].split(" (")[0]).exists()
        for line in preview.output
        if " into " in line
    )


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
