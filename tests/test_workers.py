"""Work shared with forked helpers gives what doing it here gives, every task once; a
helper's failure reaches the caller; no helper outlives the work; no fork beside a thread."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest
from conftest import forks, reaped

from digest import workers


def test_every_task_is_done_once_shared_out(monkeypatch) -> None:
    forked = forks(monkeypatch)
    state = {n: n * n for n in range(500)}  # read by the helpers from their own memory

    def work(task: int) -> Iterator[tuple[int, int, int]]:
        yield task, state[task], os.getpid()

    results = list(workers.share(range(500), work, own=iter([(-1, -1, 0)]), helpers=2))
    assert sorted((t, v) for t, v, _ in results) == [(-1, -1), *((n, n * n) for n in range(500))]
    by = {pid for _, _, pid in results[1:]}
    assert len(forked) == 2 and by <= {os.getpid(), *forked}
    assert by - {os.getpid()}  # the helpers did take tasks
    assert reaped(forked)


def test_results_larger_than_a_pipe_arrive_whole() -> None:
    def work(task: int) -> Iterator[bytes]:
        yield bytes([task]) * 3_000_000

    results = sorted(workers.share(range(6), work, helpers=1))
    assert results == [bytes([n]) * 3_000_000 for n in range(6)]


def test_map_shared_keeps_the_order() -> None:
    tasks = list(range(1000))
    assert workers.map_shared(lambda n: n * 3, tasks, chunk=7, helpers=1) == [n * 3 for n in tasks]


def test_no_fork_while_another_thread_runs(monkeypatch) -> None:
    def refuse() -> int:
        raise AssertionError("forked beside a running thread")

    monkeypatch.setattr(os, "fork", refuse)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert sorted(workers.share(range(50), lambda n: [n], helpers=1)) == list(range(50))
    finally:
        stop.set()
        other.join()


def _helpers_take_all(monkeypatch) -> None:
    """This process takes no task from the queue: the helpers do them all."""
    parent, take = os.getpid(), workers._take
    monkeypatch.setattr(workers, "_take", lambda q: None if os.getpid() == parent else take(q))


def test_an_error_in_a_helper_is_raised_here_and_no_helper_is_left(monkeypatch) -> None:
    forked = forks(monkeypatch)
    _helpers_take_all(monkeypatch)

    def work(task: int) -> Iterator[int]:
        if task == 7:
            raise KeyError(f"task {task} failed")
        yield task

    with pytest.raises(KeyError, match="task 7 failed"):
        list(workers.share(range(20), work, helpers=1))
    assert forked and reaped(forked)


def test_an_error_that_cannot_cross_is_named(monkeypatch) -> None:
    _helpers_take_all(monkeypatch)

    class Local(Exception):  # not importable by name: cannot be unpickled
        pass

    def work(task: int) -> Iterator[int]:
        raise Local("no way back")

    with pytest.raises(workers.HelperFailed, match="Local: no way back"):
        list(workers.share(range(50), work, helpers=1))


def test_a_helper_killed_midway_is_a_failure_not_a_short_result(monkeypatch) -> None:
    _helpers_take_all(monkeypatch)

    def work(task: int) -> Iterator[int]:
        if task == 3:
            os.kill(os.getpid(), signal.SIGKILL)
        yield task

    with pytest.raises(workers.HelperFailed):
        list(workers.share(range(50), work, helpers=1))


def test_stopping_early_stops_the_helpers(monkeypatch) -> None:
    forked = forks(monkeypatch)
    stream = workers.share(range(1000), lambda n: [n], helpers=1)
    next(stream)
    stream.close()
    assert forked and reaped(forked)


def test_a_standby_process_runs_calls_with_what_was_there_at_the_fork(monkeypatch) -> None:
    forked = forks(monkeypatch)
    seen = {"at fork": True}

    def call(argument: str) -> tuple[str, bool, int]:
        if argument == "fail":
            raise ValueError("as asked")
        return argument.upper(), seen.get("at fork", False), os.getpid()

    with workers.Standby(call) as standby:
        seen.clear()  # this process's change is not the standby's
        word, kept, pid = standby.call("built")
        assert (word, kept) == ("BUILT", True) and pid in forked
        with pytest.raises(ValueError, match="as asked"):
            standby.call("fail")
        assert standby.call("again")[0] == "AGAIN"  # it goes on after a failed call
    assert reaped(forked)


def here(argument: int) -> tuple[int, int]:
    return argument, os.getpid()


def test_a_standby_beside_a_thread_runs_calls_here(monkeypatch) -> None:
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with workers.Standby(here) as standby:
            assert standby.call(1) == (1, os.getpid())
    finally:
        stop.set()
        other.join()
