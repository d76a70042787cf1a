"""Work shared with helper processes forked from this one, results streamed back.

A helper is forked, so it starts with everything this process holds (the site model, the
templates, a taxonomy) already in memory, copy-on-write, at no cost: nothing is pickled
but the tasks' results. The tasks are numbered and their numbers queued in a pipe before
the fork; this process and each helper take the next number from that one pipe (a read of
4 bytes from a pipe is atomic), so whoever is free takes the next task, with no lock and no
coordinator. A helper sends each task's results back as one pickled frame, and this
process reads them between its own tasks; a full pipe stalls the helper, never grows this
process's memory.

Forking is only safe while this process runs no other thread: a thread holding a lock at
the fork (stderr's buffer, rich's console, a logging handler) would leave the child that
lock held forever. So there is no fork while another thread runs (the work is then all
done here, one core); the build keeps its process free of threads instead: the progress
display is a process of its own (digest/progress.py), and `digest serve` builds in a
process forked before its server thread started (`Standby`, below).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import select
import signal
import struct
import sys
import threading
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")

NUMBER = struct.Struct("<I")  # a task's number in the queue
LENGTH = struct.Struct("<Q")  # the length of a result frame
PIPE_SIZE = 1 << 20  # a helper runs this far ahead of the reader before it waits
F_SETPIPE_SZ = 1031  # linux/fcntl.h
PR_SET_PDEATHSIG = 1  # linux/prctl.h


def cores() -> int:
    """How many processes can usefully share work here."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    """Whether a helper may be forked now: this process runs no other thread."""
    return hasattr(os, "fork") and threading.active_count() == 1


class HelperFailed(Exception):
    """A helper process ended without finishing the tasks it took (it was killed, or its
    error could not be sent back)."""


def share(
    tasks: Sequence[T],
    work: Callable[[T], Iterable[R]],
    own: Iterable[R] = (),
    helpers: int | None = None,
) -> Generator[R, None, None]:
    """Everything `work(task)` yields, for every task, and everything `own` yields (work
    that only this process does, first), in no set order, as it comes. Up to `helpers`
    forked processes (default: one less than the cores) take tasks as this process does.

    `work` may read anything this process holds; what it yields is pickled (in a helper).
    An exception raised by `work` in a helper is raised here (when it can be pickled; else
    HelperFailed says what it was)."""
    wanted = cores() - 1 if helpers is None else helpers
    wanted = min(wanted, len(tasks) - 1)
    if wanted < 1 or not can_fork():
        yield from own
        for task in tasks:
            yield from work(task)
        return
    yield from _Shared(tasks, work, wanted).run(own)


def map_shared(
    function: Callable[[T], R], tasks: Sequence[T], chunk: int, helpers: int | None = None
) -> list[R]:
    """[function(task) for task in tasks], computed in chunks of `chunk` tasks shared with
    helper processes (see `share`)."""
    starts = range(0, len(tasks), max(1, chunk))

    def part(start: int) -> Iterator[tuple[int, list[R]]]:
        yield start, [function(task) for task in tasks[start : start + chunk]]

    done = dict(share(starts, part, helpers=helpers))
    return [result for start in starts for result in done[start]]


class _Shared(Generic[T, R]):
    def __init__(self, tasks: Sequence[T], work: Callable[[T], Iterable[R]], helpers: int):
        self.tasks, self.work, self.helpers = tasks, work, helpers

    def run(self, own: Iterable[R]) -> Iterator[R]:
        queue_out, queue_in = os.pipe()
        _widen(queue_in, len(self.tasks) * NUMBER.size)
        for start in range(0, len(self.tasks), 1024):  # numbers never split: 4 | PIPE_BUF
            end = min(start + 1024, len(self.tasks))
            os.write(queue_in, b"".join(NUMBER.pack(n) for n in range(start, end)))
        os.close(queue_in)  # an empty queue now reads as its end
        children: dict[int, int] = {}  # pid -> the read end of its results
        try:
            for _ in range(self.helpers):
                results_out, results_in = os.pipe()
                _widen(results_in, PIPE_SIZE)
                pid = os.fork()
                if pid == 0:  # the helper: it never returns into the caller's code
                    os.close(results_out)
                    _helper(self.tasks, self.work, queue_out, results_in, os.getppid())
                os.close(results_in)
                os.set_blocking(results_out, False)
                children[pid] = results_out
            readers = {fd: _Reader(fd) for fd in children.values()}
            done: set[int] = set()
            for result in own:
                yield result
                yield from self._drain(readers, done, wait=False)
            while (number := _take(queue_out)) is not None:
                yield from self.work(self.tasks[number])
                done.add(number)
                yield from self._drain(readers, done, wait=False)
            while readers:
                yield from self._drain(readers, done, wait=True)
            for pid in list(children):
                _, status = os.waitpid(pid, 0)
                del children[pid]
                if status != 0 and len(done) < len(self.tasks):
                    raise HelperFailed(f"a helper process ended with status {status}")
            if len(done) != len(self.tasks):
                raise HelperFailed(
                    f"helper processes ended with {len(self.tasks) - len(done)} task(s) undone"
                )
        finally:
            os.close(queue_out)
            for pid, fd in children.items():  # stopped early, or failed: stop them too
                os.close(fd)
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass

    def _drain(self, readers: dict[int, _Reader], done: set[int], wait: bool) -> Iterator[R]:
        """The results the helpers have sent; with `wait`, wait for at least one frame or end."""
        if not readers:
            return
        ready, _, _ = select.select(list(readers), [], [], None if wait else 0)
        for fd in ready:
            reader = readers[fd]
            ended = reader.fill()
            for frame in reader.frames():
                kind, number, payload = pickle.loads(frame)
                if kind == "error":
                    raise payload
                done.add(number)
                yield from payload
            if ended:
                del readers[fd]


class _Reader:
    """The frames arriving on one non-blocking pipe."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = bytearray()

    def fill(self) -> bool:
        """Read what is there; True once the pipe has ended."""
        while True:
            try:
                data = os.read(self.fd, PIPE_SIZE)
            except BlockingIOError:
                return False
            if not data:
                return True
            self.buffer += data

    def frames(self) -> Iterator[bytes]:
        view = self.buffer
        start = 0
        while len(view) - start >= LENGTH.size:
            (length,) = LENGTH.unpack_from(view, start)
            if len(view) - start - LENGTH.size < length:
                break
            yield bytes(view[start + LENGTH.size : start + LENGTH.size + length])
            start += LENGTH.size + length
        del view[:start]


def _take(queue: int) -> int | None:
    data = os.read(queue, NUMBER.size)
    return NUMBER.unpack(data)[0] if data else None


def _widen(fd: int, size: int) -> None:
    # A larger pipe lets a writer run further ahead; where it cannot be widened (not
    # Linux, or over the system's limit), the default still works, only slower.
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, F_SETPIPE_SZ, min(max(size, 4096), PIPE_SIZE))


def _helper(
    tasks: Sequence[T],
    work: Callable[[T], Iterable[R]],
    queue: int,
    results: int,
    parent: int,
) -> None:
    """The body of a forked helper: take tasks until the queue ends, send each one's
    results back, then exit without running anything the parent had registered."""
    code = 0
    try:
        # Ctrl-C reaches the whole process group: the parent stops the helpers itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with(parent)
        with os.fdopen(results, "wb", buffering=0, closefd=False) as out:
            try:
                while (number := _take(queue)) is not None:
                    _send(out, ("done", number, list(work(tasks[number]))))
            except Exception as exc:
                code = 1
                _send(out, ("error", -1, _portable(exc)))
    except BaseException:
        code = 2
    finally:
        os._exit(code)


def _send(out: object, message: tuple[str, int, object]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    out.write(LENGTH.pack(len(data)) + data)  # type: ignore[attr-defined]


def _portable(exc: Exception) -> Exception:
    """`exc` if it survives pickling, else a HelperFailed naming it."""
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:
        return HelperFailed(f"{type(exc).__name__}: {exc}")
    exc.__traceback__ = None
    return exc


def fork_child(body: Callable[[], object]) -> int:
    """Fork a process that runs `body` and exits (0, or 2 if `body` raised), without
    returning into the caller's code or running what this process registered to run at
    exit; it ignores Ctrl-C (this process stops it) and dies with this process. Its pid.
    Only while `can_fork()`."""
    parent = os.getpid()
    _flush()  # or the child could print what this process had not yet
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        _die_with(parent)
        body()
    except BaseException:
        code = 2
    finally:
        os._exit(code)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # closed, or replaced by something odd
            stream.flush()


def _die_with(parent: int) -> None:
    """Have this (child) process killed when `parent` ends: otherwise a parent killed while
    the child works leaves it to finish, write to a closed pipe and print a traceback."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the child may outlive a killed parent
        return
    if os.getppid() != parent:  # the parent was gone before the request was made
        os._exit(0)


class Standby(Generic[A, R]):
    """A process forked now, while this one has no other thread, that runs `function` on
    each argument `call` sends it and sends the result back: work that forks helpers
    (a build) can then use every core even once this process runs threads (a server).

    Without fork, or with threads already running, `call` runs `function` here."""

    def __init__(self, function: Callable[[A], R]) -> None:
        self.function = function
        self.pid = 0
        if not can_fork():
            return
        requests_out, self.requests = os.pipe()
        self.replies, replies_in = os.pipe()
        _flush()  # or the child would print what this process had not yet
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.requests)
            os.close(self.replies)
            _standby(function, requests_out, replies_in, os.getppid())
        os.close(requests_out)
        os.close(replies_in)

    def call(self, argument: A) -> R:
        if not self.pid:
            return self.function(argument)
        _write_frame(self.requests, pickle.dumps(argument, protocol=pickle.HIGHEST_PROTOCOL))
        frame = _read_frame(self.replies)
        if frame is None:
            self.pid = 0
            raise HelperFailed("the build process ended unexpectedly")
        kind, payload = pickle.loads(frame)
        if kind == "error":
            raise payload
        return payload

    def close(self) -> None:
        """End the process, even in the middle of a call (a build killed is safe)."""
        if not self.pid:
            return
        os.close(self.requests)
        os.close(self.replies)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.pid = 0

    def __enter__(self) -> Standby[A, R]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _standby(function: Callable[[A], R], requests: int, replies: int, parent: int) -> None:
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent ends it by closing the pipe
        _die_with(parent)
        while (frame := _read_frame(requests)) is not None:
            try:
                reply: tuple[str, object] = ("done", function(pickle.loads(frame)))
            except Exception as exc:
                reply = ("error", _portable(exc))
            _write_frame(replies, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:
        code = 2
    finally:
        os._exit(code)


def _write_frame(fd: int, data: bytes) -> None:
    view = memoryview(LENGTH.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def _read_frame(fd: int) -> bytes | None:
    head = _read_exactly(fd, LENGTH.size)
    if head is None:
        return None
    data = _read_exactly(fd, LENGTH.unpack(head)[0])
    return data


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts = bytearray()
    while len(parts) < size:
        data = os.read(fd, size - len(parts))
        if not data:
            return None
        parts += data
    return bytes(parts)
