"""The package layout: lesson modules at the top, data/ and course/ and exercises/ apart, old paths for one release."""
import importlib
import importlib.util
import subprocess
import sys
import warnings

import pytest

import helpers
from helpers import _moved


@pytest.mark.parametrize("old,new", sorted(_moved.MOVED.items()))
def test_an_old_module_path_gives_the_moved_module_and_says_where_it_is(old, new):
    sys.modules.pop(old, None)
    with pytest.warns(FutureWarning, match=f"{old} moved to {new}"):
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    sys.modules.pop(old, None)


def test_the_new_paths_import_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for new in _moved.MOVED.values():
            importlib.import_module(new)
        from helpers import checks, results  # the two short names every notebook uses

    assert checks.__name__ == "helpers.exercises.checks" and results.__name__ == "helpers.course.results"
    with pytest.raises(AttributeError, match="module 'helpers' has no attribute 'nonsense'"):
        helpers.nonsense


def test_running_an_old_module_path_says_the_new_command():
    run = subprocess.run([sys.executable, "-m", "helpers.assets", "list"], capture_output=True, text=True)
    assert run.returncode != 0 and "python -m helpers.course.assets" in run.stderr


def test_no_module_is_left_at_an_old_path():
    root = helpers.__path__[0]
    for old in _moved.MOVED:
        assert importlib.util.find_spec(old).origin is None, f"{old} exists as a file again; move it or drop MOVED's entry"
    assert {"course", "data", "exercises"} <= {p.name for p in __import__("pathlib").Path(root).iterdir() if p.is_dir()}
