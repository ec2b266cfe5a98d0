"""Shared test set-up: the offline settings, and each notebook's execution time."""
from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

# Tests always run tiny x offline, whatever the machine, unless told otherwise.
os.environ.setdefault("TUTORIAL_SCALE", "tiny")
os.environ.setdefault("TUTORIAL_SOURCE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

_notebook_seconds: dict[str, float] = defaultdict(float)
_started = time.perf_counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] += report.duration  # set-up, call and teardown of each cell


def pytest_terminal_summary(terminalreporter) -> None:
    _report_artifacts(terminalreporter)
    if not _notebook_seconds:
        return
    terminalreporter.section("notebook execution times")
    for path, seconds in sorted(_notebook_seconds.items()):
        terminalreporter.write_line(f"{seconds:7.1f} s  {path}")
    terminalreporter.write_line(f"{sum(_notebook_seconds.values()):7.1f} s  all notebooks "
                                f"({time.perf_counter() - _started:.1f} s this run, kernel start-ups included)")


def _report_artifacts(terminalreporter) -> None:
    """List the files tests wrote to build/test-artifacts in this run (screenshots, pages)."""
    folder = ROOT / "build" / "test-artifacts"
    started = time.time() - (time.perf_counter() - _started)
    fresh = sorted(p for p in folder.rglob("*") if p.is_file() and p.stat().st_mtime >= started) if folder.is_dir() else []
    if fresh:
        terminalreporter.section("test artifacts")
        for path in fresh:
            terminalreporter.write_line(str(path.relative_to(ROOT)))
