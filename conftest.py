"""Shared test set-up: the offline settings, each notebook's execution time, and notebook runs.

Notebook runs (options for ``pytest notebooks --nbval-lax``):
  --run-twice           "Run All" a second time in the same kernel after the first, fresh run
                        ("Restart & Run All"), and require the same exercise checks and results;
  --save-executed DIR   keep each notebook with its first run's outputs (the course site renders them).
"""
from __future__ import annotations

import datetime
import json
import math
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

# The test groups (tests/unit, bad_input, notebooks, site) and their shared support (tests/tiny_models.py)
# on sys.path, so that a test may import another group's data (``from test_training import TRAIN``).
for _folder in ("tests", "tests/unit", "tests/bad_input", "tests/notebooks", "tests/site"):
    if str(ROOT / _folder) not in sys.path:
        sys.path.insert(0, str(ROOT / _folder))

# Tests always run tiny x offline, whatever the machine, unless told otherwise.
os.environ.setdefault("TUTORIAL_SCALE", "tiny")
os.environ.setdefault("TUTORIAL_SOURCE", "offline")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("MPLBACKEND", "Agg")

from helpers.course.results import MACHINE_UNITS, MIME_TYPE as RESULT_MIME  # noqa: E402  (the reported results' JSON type)

_notebook_seconds: dict[str, float] = defaultdict(float)
_started = time.perf_counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    path, _, cell = report.nodeid.partition("::")
    if path.endswith(".ipynb"):
        if cell.endswith(RERUN_SUFFIX):
            path += RERUN_SUFFIX
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


# ---------------------------------------------------------------------------------------------
# Notebook runs: "Restart & Run All", then "Run All" again in the same kernel, and the executed
# copy that the course site renders. nbval runs a notebook's cells as test items sharing one
# kernel; with --run-twice every cell is queued a second time after the last one, so the second
# pass runs in the kernel the first pass left behind, exactly as a learner's second "Run All".
# ---------------------------------------------------------------------------------------------
RERUN_SUFFIX = " (run 2)"
CHECK_LINE = re.compile(r"^(?:✅|❌|✏️) Exercise \S+: .*$", re.M)


def pytest_addoption(parser) -> None:
    group = parser.getgroup("course notebooks")
    group.addoption("--run-twice", action="store_true", default=False,
                    help="after a notebook ran in a fresh kernel, run all its cells again in the same "
                         "kernel and require the same exercise checks and reported results")
    group.addoption("--save-executed", metavar="DIR", default=None,
                    help="write each notebook with the outputs of its first run to DIR/<name>.ipynb")


def _is_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items) -> None:
    """Group each notebook's cells; with --run-twice queue them again right after the first pass."""
    reordered, group = [], []

    def flush() -> None:
        if not group:
            return
        parent = group[0].parent
        parent.first_pass = list(group)
        reordered.extend(group)
        if config.getoption("--run-twice"):
            for cell in group:
                again = type(cell).from_parent(parent, name=cell.name + RERUN_SUFFIX, cell_num=cell.cell_num,
                                               cell=cell.cell, options=cell.options)
                again.first_run = cell
                reordered.append(again)
        group.clear()

    for item in items:
        if _is_cell(item) and (not group or item.parent is group[0].parent):
            group.append(item)
            continue
        flush()
        if _is_cell(item):
            group.append(item)
        else:
            reordered.append(item)
    flush()
    items[:] = reordered


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    if _is_cell(item) and item is getattr(item.parent, "first_pass", [None])[0]:
        item.parent.started = time.perf_counter()  # before the kernel starts


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    first = getattr(item, "first_run", None)
    if first is not None:
        problem = compare_runs(first.test_outputs or [], item.test_outputs or [])
        if problem:
            raise AssertionError(f"the second 'Run All' in the same kernel differs from the first: {problem}")
    return result


def pytest_runtest_teardown(item, nextitem) -> None:
    first_pass = getattr(item.parent, "first_pass", None) if _is_cell(item) else None
    if not first_pass or item is not first_pass[-1]:
        return
    item.parent.run_seconds = time.perf_counter() - getattr(item.parent, "started", time.perf_counter())
    folder = item.config.getoption("--save-executed")
    if folder:
        save_executed(item.parent, first_pass, Path(folder))


def checked_outputs(outputs: list) -> tuple[list[str], list[dict]]:
    """The exercise-check lines and the reported results among a cell's outputs."""
    lines, reported = [], []
    for output in outputs:
        texts = [output.get("text", "")] if output.get("output_type") == "stream" else []
        data = output.get("data", {})
        texts.append(data.get("text/plain", ""))
        for text in texts:
            lines.extend(CHECK_LINE.findall("".join(text) if isinstance(text, list) else text))
        if RESULT_MIME in data:
            reported.append(dict(data[RESULT_MIME]))
    return lines, reported


def compare_runs(first: list, second: list, rel_tol: float = 1e-4) -> str | None:
    """None when both runs give the same exercise checks and reported results (times excepted)."""
    lines_1, results_1 = checked_outputs(first)
    lines_2, results_2 = checked_outputs(second)
    if lines_1 != lines_2:
        return f"exercise checks {lines_1} then {lines_2}"
    if [r["name"] for r in results_1] != [r["name"] for r in results_2]:
        return f"reported results {[r['name'] for r in results_1]} then {[r['name'] for r in results_2]}"
    for one, two in zip(results_1, results_2):
        if one.get("unit") in MACHINE_UNITS:
            continue  # times and memory depend on the machine's load, not on the notebook
        if not math.isclose(one["value"], two["value"], rel_tol=rel_tol, abs_tol=1e-9):
            return f"{one['name']} was {one['value']} and then {two['value']}"
    return None


def save_executed(notebook_file, cells: list, folder: Path) -> Path:
    """Write the notebook with its first run's outputs, and how long that run took, for the site."""
    import nbformat

    executed = nbformat.from_dict(json.loads(json.dumps(notebook_file.nb)))
    code_cells = [cell for cell in executed.cells if cell.cell_type == "code"]
    for count, item in enumerate(cells, start=1):
        cell = code_cells[item.cell_num]
        cell.execution_count = count
        cell.outputs = [nbformat.from_dict(dict(output)) for output in (item.test_outputs or [])]
        for output in cell.outputs:
            if output.get("output_type") == "execute_result":
                output["execution_count"] = count
            if output.get("output_type") in ("display_data", "execute_result"):
                output.setdefault("metadata", {})
    executed.metadata["course"] = {
        "run_seconds": round(getattr(notebook_file, "run_seconds", 0.0), 1),
        "settings": f"{os.environ.get('TUTORIAL_SCALE', '?')} × {os.environ.get('TUTORIAL_SOURCE', '?')}",
        "executed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(str(notebook_file.fspath)).name
    temporary = target.with_suffix(".ipynb.partial")
    nbformat.write(executed, temporary)
    temporary.replace(target)
    return target
