"""Small HTML pieces the playgrounds draw with: a table, a heat map, a highlighted span, a bar.

Plain HTML with inline styles, so that the same fragment shows in JupyterLab's widget, in the
static site and in slides, and a unit test can read it. Every text is escaped.
"""
from __future__ import annotations

import html
from typing import Any, Sequence

from ..course.validation import require_int, require_number, require_sequence, require_str

CELL = "padding:2px 6px;border:1px solid #ddd;text-align:right;font-family:monospace"


def _text(value: Any) -> str:
    return html.escape(f"{value:.3f}" if isinstance(value, float) else str(value))


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """An HTML table: ``header`` then ``rows`` (floats with 3 decimals, everything escaped).

    Not taught: plumbing of the playgrounds.
    """
    header = require_sequence("header", header, min_length=1)
    rows = require_sequence("rows", rows)
    for index, row in enumerate(rows):
        if isinstance(row, (str, bytes)) or not hasattr(row, "__len__") or len(row) != len(header):
            raise ValueError(f"rows[{index}] must have {len(header)} cells (one per header), got {row!r}")
    head = "".join(f'<th style="{CELL}">{_text(name)}</th>' for name in header)
    body = "".join("<tr>" + "".join(f'<td style="{CELL}">{_text(cell)}</td>' for cell in row) + "</tr>"
                   for row in rows)
    return f'<table style="border-collapse:collapse;margin:4px 0"><tr>{head}</tr>{body}</table>'


def heat_table(matrix: Sequence[Sequence[float]], row_labels: Sequence[str], column_labels: Sequence[str]) -> str:
    """A matrix of numbers in [0, 1] as a table whose cells are shaded by their value (attention weights).

    Not taught: plumbing of the playgrounds.
    """
    row_labels = require_sequence("row_labels", row_labels, min_length=1)
    column_labels = require_sequence("column_labels", column_labels, min_length=1)
    matrix = require_sequence("matrix", matrix)
    if len(matrix) != len(row_labels) or any(len(row) != len(column_labels) for row in matrix):
        raise ValueError(f"matrix must be {len(row_labels)} rows x {len(column_labels)} columns (one per label), "
                         f"got {len(matrix)} rows")
    head = '<th></th>' + "".join(f'<th style="{CELL}">{_text(label)}</th>' for label in column_labels)
    rows = []
    for label, row in zip(row_labels, matrix):
        cells = []
        for value in row:
            weight = require_number("matrix value", float(value), 0.0, 1.0 + 1e-6)
            colour = f"rgba(31,119,180,{weight:.3f})"
            ink = "#fff" if weight > 0.55 else "#000"
            cells.append(f'<td style="{CELL};background:{colour};color:{ink}">{weight:.2f}</td>')
        rows.append(f'<tr><th style="{CELL}">{_text(label)}</th>{"".join(cells)}</tr>')
    return f'<table style="border-collapse:collapse;margin:4px 0"><tr>{head}</tr>{"".join(rows)}</table>'


def highlight(text: str, start: int, end: int) -> str:
    """``text`` with the characters ``text[start:end]`` marked (an answer span in its context).

    Not taught: plumbing of the playgrounds.
    """
    text = require_str("text", text, empty=True)
    start = require_int("start", start, 0, len(text))
    end = require_int("end", end, start, len(text))
    return (f"{html.escape(text[:start])}<mark style=\"background:#ffe08a\">{html.escape(text[start:end])}</mark>"
            f"{html.escape(text[end:])}")


def bar(label: str, value: float, *, width: int = 200) -> str:
    """A labelled horizontal bar for a probability or score in [0, 1].

    Not taught: plumbing of the playgrounds.
    """
    label = require_str("label", label, empty=True)
    value = require_number("value", value, 0.0, 1.0 + 1e-6)
    width = require_int("width", width, 10)
    filled = round(min(value, 1.0) * width)
    return (f'<div style="font-family:monospace;margin:1px 0">'
            f'<span style="display:inline-block;width:{width}px;background:#eee;vertical-align:middle">'
            f'<span style="display:inline-block;width:{filled}px;height:10px;background:#1f77b4"></span></span> '
            f"{value:.3f} {html.escape(label)}</div>")
