"""Give every cell of a notebook a slide type (``metadata.slideshow.slide_type``), by rule.

The rules (the course's slide conventions):

- the title cell (``# ...``) and each cell holding a section heading (a line ``## ...``): ``"slide"``;
- a cell holding a sub-heading (a line ``### ...``): ``"subslide"``;
- the set-up cell (the first code cell, marked ``# NBVAL_IGNORE_OUTPUT``): ``"skip"``;
- an instructor-notes cell (tag ``instructor-notes``): ``"notes"``;
- a check (a markdown cell starting ``**Check`` or a code cell starting with ``assert``): ``"fragment"``;
- any other cell continues the current slide (``"-"``), unless the slide already holds
  ``MAX_FOLLOWING`` cells after its heading: then a markdown cell starts a new
  sub-slide, and after one more cell, any cell does.

Only cells without a slide type are changed, so types fixed by hand stay; ``--force``
re-applies the rules to every cell. Outputs and execution counts are left as they are.

    python scripts/tag_slides.py notebooks/01_attention.ipynb [...] [--force] [--check]
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

SLIDE_TYPES = ("slide", "subslide", "fragment", "skip", "notes", "-")
NOTES_TAG = "instructor-notes"
MAX_FOLLOWING = 3  # cells after a (sub)slide's heading before the next sub-slide starts


def slide_type(cell: dict) -> str | None:
    """A cell's slide type, or None when it has none."""
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type")


def is_setup(cell: dict, index_among_code: int) -> bool:
    lines = cell.get("source", "").lstrip().splitlines()
    return index_among_code == 0 and bool(lines) and lines[0].strip() == "# NBVAL_IGNORE_OUTPUT"


def headings(cell: dict, level: int) -> list[str]:
    """The markdown heading lines of one level (2 for ``## ``) anywhere in a markdown cell."""
    if cell.get("cell_type") != "markdown":
        return []
    marker = "#" * level + " "
    return [line for line in cell.get("source", "").splitlines() if line.startswith(marker)]


def rule_for(cell: dict, index: int, index_among_code: int, following: int) -> str:
    """The slide type the rules give a cell, given how many cells the current slide holds."""
    source = cell.get("source", "").lstrip()
    markdown = cell.get("cell_type") == "markdown"
    if NOTES_TAG in cell.get("metadata", {}).get("tags", []):
        return "notes"
    if cell.get("cell_type") == "code" and is_setup(cell, index_among_code):
        return "skip"
    if markdown and (index == 0 or source.startswith("# ") or headings(cell, 2)):
        return "slide"
    if headings(cell, 3):
        return "subslide"
    if following >= MAX_FOLLOWING + 1 or (markdown and following >= MAX_FOLLOWING):
        return "subslide"
    if (markdown and source.startswith("**Check")) or (not markdown and source.startswith("assert")):
        return "fragment"
    return "-"


def tag(notebook: nbformat.NotebookNode, force: bool = False) -> int:
    """Apply the rules to the notebook in place; returns how many cells changed."""
    if not hasattr(notebook, "cells"):
        raise TypeError(f"notebook must be an nbformat notebook, got {type(notebook).__name__}")
    changed, following, code_seen = 0, 0, 0
    for index, cell in enumerate(notebook.cells):
        current = slide_type(cell)
        wanted = current if current in SLIDE_TYPES and not force else rule_for(cell, index, code_seen, following)
        if wanted != current:
            cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = wanted
            changed += 1
        if cell.get("cell_type") == "code":
            code_seen += 1
        if wanted in ("slide", "subslide"):
            following = 0
        elif wanted not in ("skip", "notes"):
            following += 1
    return changed


def untagged(notebook: nbformat.NotebookNode) -> list[int]:
    """Indices of the cells without a valid slide type."""
    return [i for i, cell in enumerate(notebook.cells) if slide_type(cell) not in SLIDE_TYPES]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--force", action="store_true", help="re-apply the rules to cells that have a type")
    parser.add_argument("--check", action="store_true", help="change nothing; fail when a cell has no type")
    args = parser.parse_args(argv)
    missing = 0
    for path in args.notebooks:
        notebook = nbformat.read(path, as_version=4)
        if args.check:
            cells = untagged(notebook)
            missing += len(cells)
            print(f"{path}: {'ok' if not cells else f'cells without a slide type: {cells}'}")
            continue
        changed = tag(notebook, force=args.force)
        if changed:
            nbformat.write(notebook, path)
        print(f"{path}: {changed} cell(s) tagged")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
