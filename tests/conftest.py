"""Small builders shared by the tests: content folders, configs and CLI runs, all inline."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from digest.cli import main
from digest.config import SiteConfig
from digest.write import Written, writing

ROOT = Path(__file__).resolve().parent.parent

# In CI every generated example is drawn from a fixed seed, so that a run's verdict is the
# code's and not the draw's; locally each run draws anew and keeps what it found.
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
SAMPLE = ROOT / "content" / "000_e808da6115982e84.txt"

TWO_ITEMS = """\
French startup AMI has raised $1 billion. The round values it at $5 billion.
Analysis — Paris keeps its place as Europe's AI capital.
The CNIL has published guidance on AI training data. It covers legitimate interest.
Analysis: A pragmatic stance that gives firms legal certainty.
"""


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def content(tmp_path: Path):
    """Make a content folder from {name: text or bytes}; returns its path."""

    def make(files: dict[str, str | bytes], folder: str = "content") -> Path:
        root = tmp_path / folder
        root.mkdir(exist_ok=True)
        for name, body in files.items():
            path = root / name
            if isinstance(body, bytes):
                path.write_bytes(body)
            else:
                path.write_text(body, encoding="utf-8", newline="")
        return root

    return make


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run the digest command in-process from a scratch working folder (no site.yaml there)."""
    monkeypatch.chdir(tmp_path)

    def run(*args: str | os.PathLike[str]) -> Run:
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def config_for(tmp_path: Path, **settings: object) -> SiteConfig:
    values: dict[str, object] = {
        "content": tmp_path / "content",
        "output": tmp_path / "site",
        "base_url": "https://example.org/digest/",
        "cache": tmp_path / "cache",
    }
    values.update(settings)
    return SiteConfig(**values)  # type: ignore[arg-type]


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` with its bytes, for byte-for-byte comparisons."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


SITEMAPS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def sitemap_locs(site: Path, base_url: str) -> list[str]:
    """Every address the site's sitemap files list, as sitemap.xml (their index) lists them."""
    index = ET.parse(site / "sitemap.xml").getroot()
    assert index.tag == f"{{{SITEMAPS['s']}}}sitemapindex"
    locs = []
    for listed in index.findall("s:sitemap/s:loc", SITEMAPS):
        assert listed.text is not None and listed.text.startswith(base_url)
        urlset = ET.parse(site / listed.text.removeprefix(base_url)).getroot()
        locs += [loc.text or "" for loc in urlset.findall("s:url/s:loc", SITEMAPS)]
    return locs


def every_item(site: Path, base_url: str) -> list[dict]:
    """Every item record, newest first: items.json's, then those of the chunks it links."""
    document = json.loads((site / "items.json").read_text(encoding="utf-8"))
    items: list[dict] = document["items"]
    for url in document["older"]:
        assert url.startswith(base_url)
        chunk = json.loads((site / url.removeprefix(base_url)).read_text(encoding="utf-8"))
        assert set(chunk) == {"items"}
        items += chunk["items"]
    return items


def find(element: ET.Element, path: str) -> ET.Element:
    """`element.find(path)`, which must be there."""
    found = element.find(path)
    assert found is not None, path
    return found


def findtext(element: ET.Element, path: str) -> str:
    """`element.findtext(path)`, which must be there (it may be empty)."""
    found = element.findtext(path)
    assert found is not None, path
    return found


def attr(element: ET.Element, name: str) -> str:
    """`element.get(name)`, which must be there."""
    value = element.get(name)
    assert value is not None, name
    return value


def write_keeping(outputs: Mapping[str, bytes], site: Path, kept: Mapping[str, str]) -> Written:
    """Write `outputs` as an incremental build does: the files not in `kept` (path ->
    digest) are written, the kept ones taken from the live site, and those it turns out
    not to hold as recorded written from `outputs` after all."""
    with writing(site) as staged:
        staged.put_all((path, data) for path, data in outputs.items() if path not in kept)
        missing = staged.keep(kept)
        assert set(missing) <= set(kept)
        staged.put_all((path, outputs[path]) for path in missing)
        return staged.publish()


def require_tool(name: str) -> str:
    """The path of a program a test drives; skip without it, unless CI demands every tool."""
    import shutil

    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("DIGEST_REQUIRE_TOOLS"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@contextmanager
def serving() -> Iterator:
    """Serve folders over HTTP on 127.0.0.1; gives a function folder -> base URL."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    servers = []

    def start(folder: Path) -> str:
        handler = functools.partial(Quiet, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    try:
        yield start
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture
def serve():
    with serving() as start:
        yield start


def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the helpers forked from here on (the real fork, counted)."""
    forked: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    return forked


def reaped(pids: list[int]) -> bool:
    """Whether every one of `pids` has ended and been waited for."""
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return True
