"""A build's progress in a terminal: the stage it is in, once it has taken a second.

The display runs in a process of its own: its spinner needs threads (a timer, rich's
refresh), and a build process that runs no thread may fork helpers to render on every
core (digest/workers.py). rich is imported there only, so a build does not pay for it.
"""

from __future__ import annotations

import os
import select
import time

from . import workers

DELAY = 1.0  # seconds a build runs before it is shown


class StageDisplay:
    """A spinner naming the build's stage, shown only once a build has taken a second.
    Call it with each stage's name. Where no process can be forked (another thread runs
    already), nothing is shown."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.pid = 0
        self.pipe = -1

    def __enter__(self) -> StageDisplay:
        if self.enabled and workers.can_fork():
            names, self.pipe = os.pipe()
            self.pid = workers.fork_child(lambda: _show(names, self.pipe))
            os.close(names)
        return self

    def __call__(self, name: str) -> None:
        if self.pid:
            try:
                os.write(self.pipe, name.replace("\n", " ").encode("utf-8")[:512] + b"\n")
            except BrokenPipeError:  # the display is gone: the build goes on unseen
                self._end()

    def __exit__(self, *exc: object) -> None:
        self._end()

    def _end(self) -> None:
        if self.pid:
            os.close(self.pipe)  # the display clears its line and ends
            os.waitpid(self.pid, 0)
            self.pid = 0


def _show(names: int, other_end: int) -> None:
    """The display's process: the stage names arrive a line each until the pipe ends."""
    os.close(other_end)  # or it would never end
    lines = _Lines(names)
    current = "starting"
    deadline = time.monotonic() + DELAY
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([names], [], [], left)[0]:
            break
        if not lines.read():
            return  # the build ended within the delay: nothing was shown
        current = lines.last or current
    from rich.console import Console

    status = Console(stderr=True).status(f"{current}…")
    status.start()
    try:
        while lines.read():
            if lines.last:
                status.update(f"{lines.last}…")
    finally:
        status.stop()


class _Lines:
    def __init__(self, fd: int) -> None:
        self.fd, self.buffer, self.last = fd, b"", ""

    def read(self) -> bool:
        """Read what arrives (waiting for it); False once the pipe has ended."""
        data = os.read(self.fd, 4096)
        if not data:
            return False
        *complete, self.buffer = (self.buffer + data).split(b"\n")
        if complete:
            self.last = complete[-1].decode("utf-8", "replace")
        return True
