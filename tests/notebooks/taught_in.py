"""Where each public helper is taught: the notebook sections whose code uses it (tests/notebooks/test_taught_in.py).

A helper is *used* in a code cell when the notebook imports it from its module and the cell names it
(``from helpers.qa import windows`` ... ``windows(``), or imports the module and the cell names
``module.helper`` (``from helpers import qa`` ... ``qa.windows(``). Cells belong to the section of the
last ``## N · Title`` heading above them; the first code cell is the set-up cell.
"""
from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import json
import pkgutil
import re
from pathlib import Path

import helpers

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HEADING = re.compile(r"^## (?:(\d+)\s*[·.]\s*)?(.+?)\s*$", re.M)
TAUGHT = re.compile(r"^Taught in: notebook (\d\d), (section (\d+)|set-up cell|section '([^']+)')\.$")
NOT_TAUGHT = re.compile(r"^Not taught: .{10,}\.$")


def public_helpers() -> dict[str, object]:
    """``module.name`` -> the function or class, for every public name defined in a helpers module."""
    found = {}
    for info in pkgutil.walk_packages(helpers.__path__, "helpers."):
        if info.ispkg or info.name.startswith("helpers.exercises.nb") or "._" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if name.startswith("_") or getattr(value, "__module__", None) != info.name:
                continue
            if inspect.isfunction(value) or (inspect.isclass(value) and not issubclass(value, BaseException)):
                found[f"{info.name.removeprefix('helpers.')}.{name}"] = value
    return dict(sorted(found.items()))


@dataclasses.dataclass(frozen=True)
class Cell:
    notebook: str   # "08"
    section: str    # "2", "set-up cell" or an unnumbered heading's title
    kind: str       # "code" or "markdown"
    source: str


def cells_of(path: Path) -> list[Cell]:
    """A notebook's cells, each with the section it belongs to (a heading cell belongs to its own section)."""
    cells, section, seen_code = [], "before the set-up cell", False
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            headings = HEADING.findall(source)
            if headings:
                number, title = headings[-1]
                section = number or title
            cells.append(Cell(path.name[:2], section, "markdown", source))
        elif cell["cell_type"] == "code":
            if not seen_code:  # the set-up cell, and the prose after it up to the next heading
                section, seen_code = "set-up cell", True
            cells.append(Cell(path.name[:2], section, "code", source))
    return cells


def _without_imports(source: str) -> tuple[str, list[ast.ImportFrom]]:
    """A code cell's source with its import statements blanked, and those statements."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # an IPython magic: keep the text, no imports found
        return source, []
    lines = source.splitlines()
    imports = [node for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))]
    for node in imports:
        for index in range(node.lineno - 1, node.end_lineno):
            lines[index] = ""
    return "\n".join(lines), [node for node in imports if isinstance(node, ast.ImportFrom)]


def _imported(imports: list[ast.ImportFrom]) -> tuple[dict[str, str], dict[str, str]]:
    """(local name -> 'module.helper', local name -> 'module') for ``from helpers... import`` statements."""
    names, modules = {}, {}
    for node in imports:
        if not node.module or node.module.split(".")[0] != "helpers":
            continue
        for alias in node.names:
            local = alias.asname or alias.name
            value = getattr(importlib.import_module(node.module), alias.name, None)
            if inspect.ismodule(value):
                modules[local] = value.__name__.removeprefix("helpers.")
            elif value is not None and getattr(value, "__module__", "").startswith("helpers."):
                names[local] = f"{value.__module__.removeprefix('helpers.')}.{alias.name}"
    return names, modules


def reading_order() -> dict[tuple[str, str], int]:
    """(notebook, section) -> its position in the series."""
    order: dict[tuple[str, str], int] = {}
    for path in NOTEBOOKS:
        for cell in cells_of(path):
            order.setdefault((cell.notebook, cell.section), len(order))
    return order


def places() -> dict[str, set[tuple[str, str]]]:
    """``module.helper`` -> the (notebook, section) pairs that teach it: their code calls or reads it
    (``name(``, ``name.``, ``show_source(name``, ``module.name``), or their prose names it in backticks."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in NOTEBOOKS:
        cells = cells_of(path)
        stripped = {id(c): _without_imports(c.source) for c in cells if c.kind == "code"}
        names, modules = _imported([node for _, nodes in stripped.values() for node in nodes])
        for cell in cells:
            place = (cell.notebook, cell.section)
            if cell.kind == "markdown":
                for ticked in re.findall(r"`([^`]+)`", cell.source):
                    for full in names.values():
                        name = full.split(".", 1)[1]
                        if re.search(rf"(?<![\w]){re.escape(name)}\b", ticked):
                            found.setdefault(full, set()).add(place)
                    for match in re.finditer(r"helpers\.(\w+)\.(\w+)", ticked):
                        found.setdefault(f"{match[1]}.{match[2]}", set()).add(place)
                    for local, module in modules.items():
                        for match in re.finditer(rf"(?<![\w.]){re.escape(local)}\.(\w+)", ticked):
                            found.setdefault(f"{module}.{match[1]}", set()).add(place)
                continue
            body = stripped[id(cell)][0]
            for local, full in names.items():
                if re.search(rf"(?<![\w.]){re.escape(local)}\s*[(.]|show_source\(\s*{re.escape(local)}\b", body):
                    found.setdefault(full, set()).add(place)
            for local, module in modules.items():
                for match in re.finditer(rf"(?<![\w.]){re.escape(local)}\.(\w+)", body):
                    found.setdefault(f"{module}.{match[1]}", set()).add(place)
    return found


def last_line(obj: object) -> str:
    doc = inspect.cleandoc(vars(obj).get("__doc__") or "") if inspect.isclass(obj) else inspect.getdoc(obj) or ""
    lines = [line.strip() for line in doc.strip().splitlines()]
    return lines[-1] if lines else ""


def stated_place(obj: object) -> tuple[str, str] | None:
    """(notebook, section) from a docstring's last line ``Taught in: ...``; None when it says ``Not taught``."""
    match = TAUGHT.match(last_line(obj))
    if not match:
        return None
    return match[1], match[3] or match[4] or "set-up cell"
