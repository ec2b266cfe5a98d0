"""scripts/full_run.py (``make full-run``): the series at full scale, its results file and the README column.

One real run: notebook 01 at full x offline in smoke mode on the CPU, end to end through the
script's command line. The rest are the pure parts: which result is a notebook's headline, the
README's "full GPU" cell and footnote, merging runs, refusals, and a failing notebook's row.
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import results

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("full_run", ROOT / "scripts" / "full_run.py")
full_run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(full_run)

MACHINE = {"gpu": "NVIDIA H100 80GB HBM3", "torch": "2.13.0", "transformers": "5.24.0",
           "date": "2026-12-01T10:00:00+00:00", "scale": "full", "source": "hub", "smoke": False}


def _row(status: str = "passed", found: list[dict] | None = None, seconds: float = 252.0,
         memory: int | None = 11571, error: str | None = None) -> dict:
    return {"status": status, "error": error, "seconds": seconds, "peak_gpu_memory_mib": memory,
            "executed_at": "2026-12-01T10:05:00+00:00", "results": found or []}


ACCURACY = {"name": "test accuracy", "value": 93.125, "unit": "%"}
F1 = {"name": "test macro F1", "value": 0.9286, "unit": ""}


# ---- one real run -----------------------------------------------------------------------------
def test_the_script_runs_a_notebook_end_to_end_and_writes_its_row(tmp_path):
    out, executed = tmp_path / "results" / "full-gpu.json", tmp_path / "executed"
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "full_run.py"), "--smoke", "--source", "offline",
                           "--notebooks", "01", "--out", str(out), "--executed", str(executed), "--timeout", "300"],
                          cwd=ROOT, env=environment, capture_output=True, text=True, timeout=280)
    assert done.returncode == 0, done.stdout + done.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    machine = data["machine"]
    assert (machine["scale"], machine["source"], machine["smoke"]) == ("full", "offline", True)
    assert machine["transformers"] and machine["torch"] and re.match(r"\d{4}-\d\d-\d\dT", machine["date"])
    assert list(data["notebooks"]) == ["01_attention"]
    row = data["notebooks"]["01_attention"]
    assert row["status"] == "passed" and row["error"] is None
    assert 0 < row["seconds"] < 280
    if shutil.which("nvidia-smi") is None:
        assert row["peak_gpu_memory_mib"] is None  # no GPU: not measured, never 0
    names = [r["name"] for r in row["results"]]
    assert names == ["max |ours − PyTorch|, scaled dot-product attention", "max |ours − PyTorch|, multi-head attention",
                     "learned head: mass on the right key, held-out (before: 1/11)",
                     "learned head: values predicted right, held-out",
                     "score matrix, bert-base layer at T = 32,768 (float32)"]
    assert all(0 <= r["value"] < 1e-4 for r in row["results"][:2])  # the two errors against PyTorch
    saved = nbformat.read(executed / "01_attention.ipynb", as_version=4)
    assert saved.metadata["course"]["settings"] == "full × offline (smoke)"
    assert results.collect(saved) == row["results"]
    assert "01_attention: passed in" in done.stdout
    # a smoke run's numbers never reach the README's "full GPU" column
    assert full_run.readme_cell("01_attention", data) == full_run.NOT_MEASURED


def test_a_failing_notebook_is_a_row_with_its_error_in_one_line(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# 99 · Failing"),
                      nbformat.v4.new_code_cell("from helpers import results\nresults.report('accuracy', 51.5, unit='%')"),
                      nbformat.v4.new_code_cell("accuracy = 51.5\nassert accuracy > 90, f'accuracy {accuracy}%\\nis too low'"),
                      nbformat.v4.new_code_cell("print('never runs')")]
    path = tmp_path / "99_failing.ipynb"
    nbformat.write(notebook, path)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    row = full_run.run_notebook(path, tmp_path / "executed", environment, timeout=120, settings="full × offline")
    assert row["status"] == "failed"
    assert row["error"] == "cell 3: AssertionError: accuracy 51.5% is too low"  # cells counted from 1, one line
    assert row["results"] == [{"name": "accuracy", "value": 51.5, "unit": "%"}]  # what ran before the failure
    assert row["seconds"] > 0
    saved = nbformat.read(tmp_path / "executed" / "99_failing.ipynb", as_version=4)
    assert saved.cells[3].outputs == []
    data = {"machine": MACHINE, "notebooks": {"99_failing": row}}
    assert full_run.readme_cell("99_failing", data).startswith("failed at cell 3 (AssertionError), ")


# ---- refusals -------------------------------------------------------------------------------
def test_without_cuda_the_script_refuses_in_one_sentence_unless_smoke(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(full_run, "cuda_available", lambda: False)
    assert full_run.main(["--source", "offline", "--notebooks", "01", "--out", str(tmp_path / "r.json")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: no CUDA GPU is available") and "--smoke" in error and error.count("\n") == 0
    assert not (tmp_path / "r.json").exists()
    assert full_run.refusal(smoke=True, source="offline", has_cuda=False, hub_reachable=False) is None
    assert full_run.refusal(smoke=False, source="hub", has_cuda=True, hub_reachable=True) is None
    assert "--source offline" in full_run.refusal(smoke=False, source="hub", has_cuda=True, hub_reachable=False)


def test_unknown_notebooks_are_refused_by_name(capsys):
    paths = [Path("01_attention.ipynb"), Path("06_classification.ipynb")]
    assert full_run.select_notebooks(paths, None) == paths
    assert full_run.select_notebooks(paths, ["06"]) == paths[1:]
    assert full_run.select_notebooks(paths, ["01_attention"]) == paths[:1]
    with pytest.raises(ValueError, match="names no notebook 11; known: 01, 06"):
        full_run.select_notebooks(paths, ["06", "11"])
    assert full_run.main(["--smoke", "--notebooks", "42"]) == 2
    assert "names no notebook 42" in capsys.readouterr().err


def test_the_kernel_runs_full_scale_with_the_chosen_source_and_inline_plots():
    base = {"MPLBACKEND": "Agg", "TUTORIAL_SCALE": "tiny", "TUTORIAL_SMOKE": "1", "PATH": "/bin"}
    hub = full_run.kernel_environment(base, "hub", smoke=False)
    assert hub == {"TUTORIAL_SCALE": "full", "TUTORIAL_SOURCE": "hub", "PATH": "/bin"}
    offline = full_run.kernel_environment(base, "offline", smoke=True)
    assert offline["TUTORIAL_SMOKE"] == "1" and offline["HF_HUB_OFFLINE"] == "1" and "MPLBACKEND" not in offline
    with pytest.raises(ValueError, match="source must be one of 'hub', 'offline', got 'local'"):
        full_run.kernel_environment(base, "local", smoke=False)
    assert full_run.default_source({}) == "hub"  # a GPU box with a network
    assert full_run.default_source({"HF_HUB_OFFLINE": "1"}) == "offline"
    assert full_run.default_source({"HF_HUB_OFFLINE": "1", "TUTORIAL_SOURCE": "hub"}) == "hub"


# ---- what the README and the site show --------------------------------------------------------
def test_the_headline_is_the_named_result_else_the_first_reported():
    assert full_run.headline("06_classification", [F1, ACCURACY]) == [("acc", ACCURACY)]
    em = {"name": "validation exact match", "value": 81.25, "unit": "%"}
    f1 = {"name": "validation F1", "value": 88.5, "unit": "%"}
    assert full_run.headline_text("08_question_answering", [f1, em]) == "EM 81.25%, F1 88.5%"
    assert full_run.headline("06_classification", [F1]) == [("test macro F1", F1)]  # renamed: the first result
    assert full_run.headline("11_unknown", []) == []


def test_every_headline_names_a_result_its_notebook_reports():
    notebooks = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")}
    assert set(full_run.HEADLINES) == set(notebooks)
    for stem, named in full_run.HEADLINES.items():
        for name, _ in named:
            assert json.dumps(name, ensure_ascii=False)[1:-1] in notebooks[stem], (stem, name)
    assert set(full_run.REFERENCES) <= set(notebooks)


def test_a_readme_cell_shows_headline_time_and_memory_or_not_measured():
    data = {"machine": MACHINE, "notebooks": {"06_classification": _row(found=[ACCURACY, F1])}}
    assert full_run.readme_cell("06_classification", data) == "acc 93.12%, 4.2 min, 11 GiB"
    assert full_run.readme_cell("08_question_answering", data) == "not measured"  # its row is absent
    assert full_run.readme_cell("06_classification", None) == "not measured"  # no results file
    quick = {"machine": MACHINE, "notebooks": {"01_attention": _row(
        found=[{"name": "max |ours − PyTorch|, multi-head attention", "value": 6e-8, "unit": ""}], seconds=41.0, memory=700)}}
    assert full_run.readme_cell("01_attention", quick) == "max gap 6e-08, 41 s, 0.7 GiB"
    no_memory = {"machine": MACHINE, "notebooks": {"06_classification": _row(found=[ACCURACY], seconds=6000, memory=None)}}
    assert full_run.readme_cell("06_classification", no_memory) == "acc 93.12%, 1.7 h"
    failed = {"machine": MACHINE, "notebooks": {"08_question_answering": _row(
        "failed", seconds=75.0, memory=30000, error="cell 31: torch.OutOfMemoryError: CUDA out of memory | 2 GiB")}}
    assert full_run.readme_cell("08_question_answering", failed) == "failed at cell 31 (torch.OutOfMemoryError), 75 s, 29 GiB"


def test_the_readme_column_and_footnote_are_generated(tmp_path):
    text = ("# Course\n\n| # | notebook | what | tiny CPU* | full GPU† |\n|---|---|---|---|---|\n"
            "| 01 | [Attention](notebooks/01_attention.ipynb) | a \\| b | 6 s | typed by hand |\n"
            "| 06 | [Classification](notebooks/06_classification.ipynb) | c | 112 s | not measured |\n\n"
            f"{full_run.FOOTNOTE_START}\nold footnote\n{full_run.FOOTNOTE_END}\n\n## Next\n")
    data = {"machine": MACHINE, "notebooks": {"06_classification": _row(found=[ACCURACY])}}
    rendered = full_run.render_readme(text, data)
    lines = rendered.splitlines()
    assert lines[4] == "| 01 | [Attention](notebooks/01_attention.ipynb) | a \\| b | 6 s | not measured |"
    assert lines[5] == "| 06 | [Classification](notebooks/06_classification.ipynb) | c | 112 s | acc 93.12%, 4.2 min, 11 GiB |"
    assert "old footnote" not in rendered and "NVIDIA H100 80GB HBM3, 2026-12-01" in rendered
    assert "the 1 notebook measured took 4.2 min in all" in " ".join(rendered.split())
    assert rendered.endswith("\n\n## Next\n") and full_run.render_readme(rendered, data) == rendered
    unmeasured = full_run.render_readme(text, None)
    assert "Not measured yet" in unmeasured and "typed by hand" not in unmeasured
    assert full_run.render_readme(text, {**data, "machine": {**MACHINE, "smoke": True}}) == unmeasured
    with pytest.raises(ValueError, match="no notebooks table with a 'full GPU' column"):
        full_run.render_readme("# Course\n", data)
    with pytest.raises(ValueError, match="no footnote block"):
        full_run.render_readme(text.replace(full_run.FOOTNOTE_START, ""), data)


def test_the_committed_readme_is_what_the_committed_results_generate():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert full_run.render_readme(readme, full_run.load(full_run.RESULTS)) == readme, (
        "README.md's 'full GPU' column was edited by hand or is stale: run `python scripts/full_run.py --readme`")


def test_a_partial_run_keeps_the_other_rows_only_when_measured_the_same_way():
    previous = {"machine": MACHINE, "notebooks": {"01_attention": _row(), "06_classification": _row(seconds=1.0)}}
    merged = full_run.merge(previous, {**MACHINE, "date": "2026-12-02"}, {"06_classification": _row(seconds=2.0)})
    assert list(merged["notebooks"]) == ["01_attention", "06_classification"]
    assert merged["notebooks"]["06_classification"]["seconds"] == 2.0 and merged["machine"]["date"] == "2026-12-02"
    other_gpu = full_run.merge(previous, {**MACHINE, "gpu": "NVIDIA A10G"}, {"06_classification": _row()})
    assert list(other_gpu["notebooks"]) == ["06_classification"]
    assert list(full_run.merge(None, MACHINE, {"06_classification": _row()})["notebooks"]) == ["06_classification"]


def test_a_cell_that_never_finished_is_named_when_no_cell_shows_an_error():
    notebook = nbformat.v4.new_notebook()
    finished = {"iopub.execute_input": "t0", "shell.execute_reply": "t1"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# 99"), nbformat.v4.new_code_cell("1", metadata={"execution": finished}),
                      nbformat.v4.new_code_cell("train()", metadata={"execution": {"iopub.execute_input": "t2"}}),
                      nbformat.v4.new_code_cell("2")]
    timeout = TimeoutError("A cell timed out while it was being executed, after 7200 seconds.\nHere is a preview")
    assert full_run.one_line(timeout, notebook) == ("cell 3: TimeoutError: A cell timed out while it was being "
                                                    "executed, after 7200 seconds. Here is a preview")
    notebook.cells[2].metadata["execution"]["shell.execute_reply"] = "t3"
    assert full_run.failed_cell(notebook) is None


def test_times_and_memory_read_in_the_unit_that_fits():
    assert [full_run.format_seconds(s) for s in (4.4, 89, 90, 5399, 5400)] == ["4 s", "89 s", "1.5 min", "90.0 min", "1.5 h"]
    assert [full_run.format_memory(m) for m in (None, 0, 819, 10240, 143771)] == [None, "0.0 GiB", "0.8 GiB", "10 GiB", "140 GiB"]
    assert full_run.failure_summary(None) == "failed"
    assert full_run.failure_summary("DeadKernelError: Kernel died") == "failed (DeadKernelError)"
