"""Notebooks are committed clean, follow the template, and the series is in reading order."""
import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    cells = json.loads(path.read_text())["cells"]
    dirty = [i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} have outputs or execution counts; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_follows_the_template(path):
    notebook = json.loads(path.read_text())
    cells = notebook["cells"]
    sources = ["".join(c["source"]) for c in cells]
    assert cells[0]["cell_type"] == "markdown" and sources[0].startswith("# "), "starts with a title"
    first_code = next(s for c, s in zip(cells, sources) if c["cell_type"] == "code")
    assert first_code.startswith("# NBVAL_IGNORE_OUTPUT") and "cfg, device = setup_notebook(seed=" in first_code
    for chore in ("seed_everything(", "pick_device()", "settings()", "set_verbosity_error()", "print(versions("):
        assert chore not in first_code, f"the set-up cell repeats {chore}: setup_notebook does it"
    assert sum(s.count("setup_notebook(") + s.count("seed_everything(") for s in sources) == 1, \
        "seeds are set once per notebook"
    prefix = path.name[:2]
    exercise_ids = set(re.findall(rf'checks\.check\("({prefix}\.\d+)"', "\n".join(sources)))
    assert len(exercise_ids) >= 2, "at least two exercises with automatic checks"
    assert not any(re.search(r"checks\.solution\(", s) for c, s in zip(cells, sources) if c["cell_type"] == "code"), \
        "solutions stay hidden until the learner asks"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


def test_numbered_in_reading_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers[0] == 1 and len(set(numbers)) == len(numbers), "one notebook per number, from 01"
