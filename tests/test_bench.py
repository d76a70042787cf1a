"""The benchmark scripts run, at a size small enough for CI, and print what they promise.
(bench/search.py has its own smoke run in test_search.py.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def start(script: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / script), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err[-3000:]
    return out


def test_the_bench_scripts_run_at_a_small_size(tmp_path: Path) -> None:
    if os.environ.get("DIGEST_REQUIRE_TOOLS") is None:
        pytest.importorskip("pyinstrument")
    # Started together, so that the four take the time of the longest on two cores.
    results = tmp_path / "run.json"
    runs = {
        "run": start(
            "run.py", "--sizes", "20", "--runs", "1", "--peers", "--variants", "search",
            "--json", str(results),
        ),
        "profile": start(
            "profile.py", "--size", "20", "--kind", "clean", "first",
            "--label", "smoke", "--out-dir", str(tmp_path),
        ),
        "tagging": start("tagging.py", "40"),
        "startup": start("startup.py", "--runs", "1", "--top", "3"),
    }  # fmt: skip
    out = {name: finish(process) for name, process in runs.items()}

    medians = json.loads(results.read_text())["20"]
    for build in ("clean", "first build after a clean one", "one more edition"):
        seconds, megabytes, cpu = medians[f"digest: {build}"]
        assert seconds > 0 and megabytes > 0 and cpu > 0, build
    # The new edition's page was fetched from digest serve with the edition's own words.
    assert medians["digest serve: new edition's page"][0] > 0
    assert "| target | measured | distance | met? |" in out["run"]
    # 20 items is no size a target is set for: every row says so rather than guess.
    targets = out["run"].split("Targets (issue 13)")[1]
    assert targets.count("| not measured |") == 13

    for kind in ("clean", "first"):
        text = (tmp_path / f"profile-smoke-{kind}-20.txt").read_text()
        assert (
            "render and stage" in text
            and "plan: fingerprints" in text
            and "start-up: imports" in text
        )
        assert "call tree" in text
    assert out["tagging"].splitlines()[1].split()[0] == "40"
    assert "| this checkout: digest build, tiny site unchanged |" in out["startup"]
