"""Key results of a notebook, reported so that a reader sees them and a tool can collect them.

A notebook calls ``results.report("validation F1", f1, unit="%")`` once per key metric.
The learner sees one line; the executed notebook carries the same value as JSON
(MIME type ``application/vnd.course.result+json``), which the course site reads to
build its results table from the run itself, never from typed numbers.
"""
from __future__ import annotations

import math
from typing import Any, Iterable

MIME_TYPE = "application/vnd.course.result+json"
# units of results that measure the machine (its speed, its memory), not the notebook: two runs may differ
MACHINE_UNITS = frozenset({"s", "ms", "µs", "min", "h", "tokens/s", "examples/s", "it/s", "MB", "MiB", "GB", "GiB"})


def _format(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e9:
        return f"{int(value)}"
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:,.0f}"


def formatted(value: float, unit: str = "") -> str:
    """A value as the notebooks show it: ``12.5%``, ``3 s``, ``0.4142``.

    Not taught: course machinery, used by scripts/build_site.py, scripts/full_run.py, scripts/repeat_suite.py.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"value must be a number, got {type(value).__name__} ({value!r})")
    if not math.isfinite(float(value)):
        raise ValueError(f"value must be a finite number, got {float(value)}")
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a string such as '%' or 's', got {type(unit).__name__}")
    return f"{_format(float(value))}{(' ' + unit) if unit and unit != '%' else unit}"


def result_bundle(name: str, value: float, unit: str = "") -> dict[str, Any]:
    """The display bundle for one result: a text line and its JSON twin.

    Not taught: course machinery.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"name must be a non-empty string naming the result, got {name!r}")
    if isinstance(value, bool) or not isinstance(value, (int, float)) and not hasattr(value, "__float__"):
        raise TypeError(f"value must be a number, got {type(value).__name__} ({value!r})")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"value must be a finite number, got {number} for {name!r}")
    if not isinstance(unit, str):
        raise TypeError(f"unit must be a string such as '%' or 's', got {type(unit).__name__}")
    text = f"📊 {name}: {formatted(number, unit)}"
    return {"text/plain": text, MIME_TYPE: {"name": name, "value": number, "unit": unit}}


def report(name: str, value: float, unit: str = "") -> float:
    """Show one key result of this notebook and tag it for the course site; returns the value.

    Taught in: notebook 01, section 6.
    """
    bundle = result_bundle(name, value, unit)
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # plain Python: just print
        print(bundle["text/plain"])
        return float(value)
    if get_ipython() is None:
        print(bundle["text/plain"])
    else:
        display(bundle, raw=True)
    return float(value)


def collect(notebook: Any) -> list[dict[str, Any]]:
    """Every result reported in an executed notebook (an nbformat node or a dict), in order.

    Not taught: course machinery, used by scripts/build_site.py, scripts/full_run.py, scripts/repeat_suite.py.
    """
    cells: Iterable[Any] = notebook.get("cells", []) if isinstance(notebook, dict) else getattr(notebook, "cells", None)
    if cells is None:
        raise TypeError(f"notebook must be an nbformat notebook or its dict, got {type(notebook).__name__}")
    found = []
    for cell in cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MIME_TYPE in data:
                found.append(dict(data[MIME_TYPE]))
    return found
