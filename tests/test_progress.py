"""The progress display shows each stage in a terminal from a process of its own, so that
the build's process runs no thread and may fork its helpers."""

from __future__ import annotations

import os
import pty
import sys

from conftest import ROOT

SHOWN = """
import threading
from digest import progress, workers
progress.DELAY = 0.0
with progress.StageDisplay(enabled=True) as stage:
    stage("reading and tagging")
    stage("rendering 5 pages")
    print("threads", threading.active_count(), "forkable", workers.can_fork(), flush=True)
print("done", flush=True)
"""


def _in_a_terminal(code: str) -> tuple[int, bytes]:
    pid, fd = pty.fork()
    if pid == 0:  # pragma: no cover - the child execs at once
        os.chdir(ROOT)
        os.execv(sys.executable, [sys.executable, "-c", code])
    out = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the terminal closed with the child's end
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return status, out


def test_the_stages_are_shown_while_the_build_process_stays_free_to_fork() -> None:
    status, out = _in_a_terminal(SHOWN)
    assert status == 0, out
    assert b"rendering 5 pages" in out
    assert b"threads 1 forkable True" in out
    assert out.rstrip().endswith(b"done")  # the display ended before the build went on


def test_a_build_quicker_than_the_delay_shows_nothing() -> None:
    quick = SHOWN.replace("progress.DELAY = 0.0", "progress.DELAY = 60.0")
    status, out = _in_a_terminal(quick)
    assert status == 0, out
    assert b"rendering" not in out and b"reading" not in out
