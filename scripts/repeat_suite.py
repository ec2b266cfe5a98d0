"""Run the whole test suite several times in a row and check that every run gives the same result.

    python scripts/repeat_suite.py --runs 3     # or: make test-repeat RUNS=3

"The same result" means: every test has the same outcome in every run (each unit test, each
notebook cell in both of its passes, the site in a browser), and every result the notebooks
report (``helpers.course.results.report``) has the same value (to 1e-4, relative, as ``--run-twice``
compares a notebook's two passes), except those measured in time or memory units, which measure
the machine. Run 1 is the reference; the report also says how many values were bit-identical.

Each run writes its JUnit reports, its log and its notebooks' results to ``build/repeat/run-N/``;
``build/repeat/report.md`` sums the runs up: stage times, test counts, each notebook's time and
every difference found. The exit status is 0 only when every run passed and no run differed.
"""
from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.course.results import MACHINE_UNITS, collect, formatted  # noqa: E402

STAGE_LINE = re.compile(r"^== (?P<stage>[^:]+): (?P<seconds>\d+) s$", re.M)


@dataclass
class Run:
    number: int
    returncode: int
    wall_seconds: float
    outcomes: dict[str, str] = field(default_factory=dict)         # test id -> passed/failed/error/skipped
    stages: dict[str, int] = field(default_factory=dict)           # make stage -> seconds
    notebooks: dict[str, dict] = field(default_factory=dict)       # notebook -> {"seconds", "results"}


def junit_outcomes(paths: list[Path]) -> dict[str, str]:
    """Every test case in these JUnit XML files -> its outcome; ids are ``file:classname::name``."""
    outcomes = {}
    for path in paths:
        for case in ElementTree.parse(path).getroot().iter("testcase"):
            outcome = "passed"
            for tag in ("failure", "error", "skipped"):
                if case.find(tag) is not None:
                    outcome = {"failure": "failed"}.get(tag, tag)
                    break
            outcomes[f"{path.stem}:{case.get('classname', '')}::{case.get('name', '')}"] = outcome
    return outcomes


def stage_times(log: str) -> dict[str, int]:
    """The ``== stage: N s`` lines that ``make test`` prints -> {stage: seconds}."""
    return {match["stage"]: int(match["seconds"]) for match in STAGE_LINE.finditer(log)}


def notebook_results(folder: Path) -> dict[str, dict]:
    """Each executed notebook in ``folder`` -> its run time and reported results."""
    found = {}
    for path in sorted(folder.glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        course = notebook.get("metadata", {}).get("course", {})
        found[path.stem] = {"seconds": course.get("run_seconds"), "results": collect(notebook)}
    return found


def differences(reference: Run, other: Run, rel_tol: float = 1e-4) -> list[str]:
    """What ``other`` did differently from ``reference``, one sentence each; empty when nothing."""
    found = []
    for test in sorted(reference.outcomes.keys() | other.outcomes.keys()):
        before, after = reference.outcomes.get(test, "absent"), other.outcomes.get(test, "absent")
        if before != after:
            found.append(f"{test}: {before} in run {reference.number}, {after} in run {other.number}")
    for name in sorted(reference.notebooks.keys() | other.notebooks.keys()):
        before = reference.notebooks.get(name, {}).get("results")
        after = other.notebooks.get(name, {}).get("results")
        if before is None or after is None:
            found.append(f"{name}: executed in run {reference.number if after is None else other.number} only")
            continue
        if [r["name"] for r in before] != [r["name"] for r in after]:
            found.append(f"{name}: reported {[r['name'] for r in before]}, then {[r['name'] for r in after]}")
            continue
        for one, two in zip(before, after):
            if one.get("unit") in MACHINE_UNITS:
                continue
            if not math.isclose(one["value"], two["value"], rel_tol=rel_tol, abs_tol=1e-12):
                found.append(f"{name}: {one['name']} was {one['value']!r} in run {reference.number}, "
                             f"{two['value']!r} in run {other.number}")
    return found


def bit_identical(runs: list[Run]) -> tuple[int, int]:
    """(how many, of all) results of run 1, times and memory excepted, have exactly the same value in every run."""
    same = total = 0
    for name, record in runs[0].notebooks.items():
        for index, result in enumerate(record["results"]):
            if result.get("unit") in MACHINE_UNITS:
                continue
            total += 1
            values = [run.notebooks.get(name, {}).get("results", [])[index:index + 1] for run in runs]
            same += all(v and v[0]["value"] == result["value"] for v in values)
    return same, total


def _counts(outcomes: dict[str, str]) -> str:
    kinds = ("passed", "failed", "error", "skipped")
    return ", ".join(f"{sum(v == kind for v in outcomes.values())} {kind}" for kind in kinds)


def report(runs: list[Run], found: list[str]) -> str:
    """A Markdown summary of the runs and of every difference between them."""
    stages = list(dict.fromkeys(stage for run in runs for stage in run.stages))
    numbers = [f"run {run.number}" for run in runs]
    lines = ["# The test suite, run several times in a row", "",
             f"{len(runs)} runs of `make test`; "
             + ("**every run passed, with the same outcome for every test and the same results.**"
                if not found and all(run.returncode == 0 for run in runs) else "**the runs differ or failed (below).**"),
             "", "| | " + " | ".join(numbers) + " |", "|---|" + "---|" * len(runs),
             "| exit status | " + " | ".join(str(run.returncode) for run in runs) + " |",
             "| tests | " + " | ".join(_counts(run.outcomes) for run in runs) + " |"]
    lines += [f"| {stage} (s) | " + " | ".join(str(run.stages.get(stage, "–")) for run in runs) + " |"
              for stage in stages]
    lines += ["| wall time (s) | " + " | ".join(f"{run.wall_seconds:.0f}" for run in runs) + " |", "",
              "## Notebooks: first-run time (s) and key results", "",
              "| notebook | " + " | ".join(numbers) + " | results (run 1) |", "|---|" + "---|" * (len(runs) + 1)]
    for name in sorted(runs[0].notebooks):
        seconds = [run.notebooks.get(name, {}).get("seconds") for run in runs]
        results = "; ".join(f"{r['name']} {formatted(r['value'], r.get('unit', ''))}"
                            for r in runs[0].notebooks[name]["results"]).replace("|", "\\|")  # not a column
        lines.append(f"| {name} | " + " | ".join("–" if s is None else f"{s:.1f}" for s in seconds)
                     + f" | {results} |")
    same, total = bit_identical(runs)
    lines += ["", f"{same} of the {total} results that do not measure the machine are bit-identical in every run.",
              "", "## Differences from run 1", ""] + ([f"- {line}" for line in found] or ["None."])
    return "\n".join(lines) + "\n"


def run_once(number: int, folder: Path, make_args: list[str]) -> Run:
    """``make test`` once, its output shown and kept; JUnit reports and results saved in ``folder``."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    began = time.perf_counter()
    command = ["make", "test", f"JUNIT_DIR={folder}", *make_args]
    log = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            sys.stdout.write(line)
            log.append(line)
    text = "".join(log)
    (folder / "log.txt").write_text(text, encoding="utf-8")
    run = Run(number, process.returncode, time.perf_counter() - began,
              junit_outcomes(sorted(folder.glob("*.xml"))), stage_times(text),
              notebook_results(ROOT / "build" / "executed"))
    (folder / "results.json").write_text(json.dumps(run.notebooks, indent=1), encoding="utf-8")
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="how many runs in a row (default 3)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "repeat", help="where runs and report go")
    parser.add_argument("make_args", nargs="*", help="extra make arguments, e.g. CELL_TIMEOUT=900")
    args = parser.parse_args(argv)
    if args.runs < 2:
        parser.error(f"--runs must be at least 2 to compare runs, got {args.runs}")
    runs, found = [], []
    for number in range(1, args.runs + 1):
        print(f"\n===== run {number} of {args.runs} =====", flush=True)
        runs.append(run_once(number, args.out.resolve() / f"run-{number}", args.make_args))
        if number > 1:
            found += differences(runs[0], runs[-1])
    summary = report(runs, found)
    (args.out / "report.md").write_text(summary, encoding="utf-8")
    print("\n" + summary)
    return 0 if not found and all(run.returncode == 0 for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
