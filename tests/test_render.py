"""Rendering shared with a second process gives the same outputs as rendering alone."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from conftest import ROOT, config_for

from digest import pipeline, render


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    import sys

    sys.path.insert(0, str(ROOT / "bench"))
    from archive import make_archive

    content = tmp_path_factory.mktemp("render") / "content"
    make_archive(120, content)
    shutil.copy(ROOT / "content" / "topics.yaml", content / "topics.yaml")
    config = config_for(content.parent)
    _, model, problems = pipeline._model(config)
    assert not problems
    return model


def test_a_helper_process_renders_the_same_outputs(site, monkeypatch) -> None:
    env = render.make_env()
    alone = render.render(site, env)
    started: list[int] = []
    real = render._Helper.__init__

    def counting(self, site, env, pages, segments) -> None:
        if pages:
            started.append(len(pages))
        real(self, site, env, pages, segments)

    monkeypatch.setattr(render._Helper, "__init__", counting)
    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    shared = render.render(site, env)
    assert started and 0 < started[0] < len(site.pages)  # the helper did take a share
    assert shared == alone
    skipped = render.render(site, env, skip=lambda path: path.startswith("items/"))
    assert skipped == {p: b for p, b in alone.items() if not p.startswith("items/")}


def test_no_helper_is_forked_while_another_thread_runs(site, monkeypatch) -> None:
    import multiprocessing

    def refuse(*args: object) -> None:
        raise AssertionError("forked beside a running thread")

    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    monkeypatch.setattr(multiprocessing, "get_context", refuse)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert render.render(site, render.make_env())
    finally:
        stop.set()
        other.join()


def test_an_error_in_either_process_reaches_the_build(site, monkeypatch, tmp_path: Path) -> None:
    import multiprocessing

    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    broken = tmp_path / "templates"
    broken.mkdir()
    (broken / "item.html").write_text("{{ no_such_name }}", encoding="utf-8")
    with pytest.raises(Exception, match="no_such_name"):  # both processes render items
        render.render(site, render.make_env([broken]))

    def fail(segment):
        raise ValueError("the helper failed")

    monkeypatch.setattr(render.search, "segment_files", fail)  # only the helper indexes
    with pytest.raises(ValueError, match="the helper failed"):
        render.render(site, render.make_env())
    assert multiprocessing.active_children() == []  # no helper left behind
