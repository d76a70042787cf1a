"""A build's progress in a terminal: the stage it is in, once it has taken a second."""

from __future__ import annotations

import threading

from rich.console import Console
from rich.status import Status


class StageDisplay:
    """A spinner naming the build's stage, shown only once a build has taken a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.current = "starting"
        self.status: Status | None = None
        self.timer = threading.Timer(1.0, self._show)
        self.lock = threading.Lock()

    def __enter__(self) -> StageDisplay:
        if self.enabled:
            self.timer.start()
        return self

    def __call__(self, name: str) -> None:
        with self.lock:
            self.current = name
            if self.status is not None:
                self.status.update(f"{name}…")

    def _show(self) -> None:
        with self.lock:
            self.status = Console(stderr=True).status(f"{self.current}…")
            self.status.start()

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()
        with self.lock:
            if self.status is not None:
                self.status.stop()
