"""scripts/cpu_times.py: each notebook's CPU time alone and beside another, and the README column it writes."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
spec = importlib.util.spec_from_file_location("cpu_times", ROOT / "scripts" / "cpu_times.py")
cpu_times = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cpu_times)

MACHINE = {"cpu": "AMD EPYC", "cores": 2, "blas": "mkl", "torch": "2.13.0+cpu", "date": "2026-11-29T20:00:00+00:00"}


def _condition(seconds: float, status: str = "passed", threads: int | None = 2) -> dict:
    return {"status": status, "error": None if status == "passed" else "cell 3: AssertionError", "seconds": seconds,
            "threads": threads}


@pytest.mark.parametrize("row, expected", [
    ({"alone": _condition(68.0), "beside": _condition(121.0, threads=1)}, "68–121 s"),
    ({"alone": _condition(50.0), "beside": _condition(700.0)}, "50 s – 11.7 min"),
    ({"alone": _condition(50.0)}, "50 s"),                                   # beside not measured
    ({"alone": _condition(50.0), "beside": _condition(90.0, "failed")}, "50 s"),
    ({"alone": _condition(50.0, "failed")}, "not measured"),
])
def test_a_readme_cell_shows_alone_to_beside(row, expected):
    assert cpu_times.readme_cell("05_freezing", {"machine": MACHINE, "notebooks": {"05_freezing": row}}) == expected
    assert cpu_times.readme_cell("06_classification", {"machine": MACHINE, "notebooks": {}}) == "not measured"


def test_the_footnote_names_the_machine_totals_and_threads():
    data = {"machine": MACHINE, "notebooks": {"05_freezing": {"alone": _condition(60.0), "beside": _condition(100.0, threads=1)},
                                              "06_classification": {"alone": _condition(90.0), "beside": _condition(170.0)}}}
    text = cpu_times.readme_footnote(data)
    assert "2-core AMD EPYC" in text and "mkl" in text and "2026-11-29" in text
    assert "2.5 min alone, 4.5 min beside another" in text and "1 or 2 PyTorch thread" in text
    assert "Not measured" in cpu_times.readme_footnote(None)


def test_the_thread_count_is_read_from_the_set_up_output():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(cfg.summary())")])
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text="tiny scale, offline assets, cpu (1 CPU thread)\n")]
    assert cpu_times.threads_chosen(notebook) == 1
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text="tiny scale, offline assets, cpu\n")]
    assert cpu_times.threads_chosen(notebook) is None


def test_the_kernels_drop_the_callers_thread_settings():
    environment = cpu_times.kernel_environment({"OMP_NUM_THREADS": "1", "TUTORIAL_THREADS": "1", "PATH": "/bin"})
    assert "OMP_NUM_THREADS" not in environment and "TUTORIAL_THREADS" not in environment
    assert environment["TUTORIAL_SCALE"] == "tiny" and environment["TUTORIAL_SOURCE"] == "offline"


def test_render_refuses_a_readme_without_the_column():
    with pytest.raises(ValueError, match="'tiny CPU' column"):
        cpu_times.render_readme("# no table\n", None)


def test_alone_rows_come_from_the_runs_make_test_saved(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(cfg.summary())")])
    notebook.cells[0].outputs = [nbformat.v4.new_output("stream", text="tiny scale, offline assets, cpu (2 CPU threads)\n")]
    notebook.metadata["course"] = {"run_seconds": 95.71, "settings": "tiny × offline"}
    nbformat.write(notebook, tmp_path / "04_mlm_vs_lm.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), tmp_path / "05_freezing.ipynb")  # never run: no row
    rows = cpu_times.alone_from(tmp_path)
    assert rows == {"04_mlm_vs_lm": {"status": "passed", "error": None, "seconds": 95.7, "threads": 2,
                                     "from": "make test"}}


def test_the_committed_readme_is_what_the_results_file_generates():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == cpu_times.render_readme(readme, cpu_times.load(cpu_times.RESULTS)), \
        "README.md's 'tiny CPU' column is stale: run `python scripts/cpu_times.py --readme`"
