"""The notebook-run plugin in conftest.py: "Run All" twice must agree, and the executed copy is kept.

Each test writes a small notebook, runs nbval on it in a subprocess (a real kernel) and
reads the result: a notebook whose state piles up across runs must fail the second pass.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from conftest import compare_runs  # noqa: E402

from helpers.course.results import result_bundle  # noqa: E402


def run_nbval(tmp_path: Path, cells: list[str], *options: str) -> subprocess.CompletedProcess:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# A test notebook")] + [nbformat.v4.new_code_cell(c) for c in cells]
    path = tmp_path / "sample.ipynb"
    nbformat.write(notebook, path)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(ROOT),
                           "-c", str(ROOT / "pyproject.toml"), "-p", "conftest", "--nbval-lax", *options, str(path)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


REPORT = "from helpers import results\nresults.report('score', {value})"


def test_a_clean_notebook_passes_twice_and_is_saved_with_its_outputs(tmp_path):
    cells = ["import random\nrandom.seed(0)\nscores = []", "scores.append(random.random())\nprint(len(scores))",
             REPORT.format(value="round(scores[0], 6)")]
    result = run_nbval(tmp_path, cells, "--run-twice", "--save-executed", str(tmp_path / "executed"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 passed" in result.stdout  # 3 cells, twice
    executed = nbformat.read(tmp_path / "executed" / "sample.ipynb", as_version=4)
    code = [cell for cell in executed.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == [1, 2, 3]
    assert code[1].outputs[0]["text"] == "1\n"  # the first run's output, not the second's
    assert executed.metadata["course"]["settings"] and executed.metadata["course"]["run_seconds"] >= 0
    nbformat.validate(executed)


def test_state_that_piles_up_across_runs_fails_the_second_pass(tmp_path):
    cells = ["import random\nrandom.seed(0)", "try:\n    scores.append(1)\nexcept NameError:\n    scores = [1]",
             REPORT.format(value="len(scores)")]
    assert run_nbval(tmp_path, cells).returncode == 0  # one run cannot see the problem
    result = run_nbval(tmp_path, cells, "--run-twice")
    assert result.returncode == 1
    assert "the second 'Run All' in the same kernel differs from the first: score was 1.0 and then 2.0" in result.stdout


def output(text: str = "", result: tuple | None = None) -> dict:
    if result:
        return {"output_type": "display_data", "data": result_bundle(*result), "metadata": {}}
    return {"output_type": "stream", "name": "stdout", "text": text}


@pytest.mark.parametrize("first, second, problem", [
    ([output("✅ Exercise 01.1: correct: x.\n")], [output("✅ Exercise 01.1: correct: x.\n")], None),
    ([output("✏️ Exercise 01.1: not attempted yet\n")], [output("✅ Exercise 01.1: correct: x.\n")], "exercise checks"),
    ([output(result=("BLEU", 12.0))], [output(result=("BLEU", 12.0))], None),
    ([output(result=("BLEU", 12.0))], [output(result=("BLEU", 13.0))], "BLEU was 12.0 and then 13.0"),
    ([output(result=("BLEU", 12.0))], [], "reported results"),
    ([output(result=("step time", 1.0, "s"))], [output(result=("step time", 3.0, "s"))], None),
])
def test_compare_runs(first, second, problem):
    found = compare_runs(first, second)
    assert found == problem if problem is None else problem in found
