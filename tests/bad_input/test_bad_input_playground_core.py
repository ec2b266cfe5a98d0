"""Bad input to helpers.playgrounds.core and helpers.playgrounds.markup: the Playground wiring and its
HTML pieces (``tests/bad_input/bad_input.py`` explains a case). The messages name the argument,
say what it expects and what it got."""
from __future__ import annotations

import ipywidgets as widgets
import pytest

from bad_input import assert_rejects, bad, case_id
from helpers.playgrounds import core, markup


def _update(n: int) -> str:
    return str(n)


CASES = [
    bad(core.error_html, "type", "message", None),
    bad(core.Playground, "type", "controls", "Title", ["not", "a", "dict"], _update),
    bad(core.Playground, "shape", "controls", "Title", {}, _update),
    bad(core.Playground, "range", "title", "", {"n": widgets.IntSlider()}, _update),
    bad(core.Playground, "type", "controls['n']", "Title", {"n": widgets.Button()}, _update),
    bad(markup.table, "type", "header", [[1]], None),
    bad(markup.table, "shape", "rows", [[1, 2]], ["only one"]),
    bad(markup.table, "range", "header", [], []),
    bad(markup.heat_table, "type", "row_labels", [[0.5]], None, ["k"]),
    bad(markup.heat_table, "shape", "matrix", [[0.5, 0.5]], ["q"], ["k"]),
    bad(markup.heat_table, "range", "matrix value", [[1.5]], ["q"], ["k"]),
    bad(markup.highlight, "type", "text", None, 0, 1),
    bad(markup.highlight, "range", "end", "abc", 1, 9),
    bad(markup.bar, "type", "value", "spam", "high"),
    bad(markup.bar, "range", "value", "spam", 1.5),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.core.error_html": {"shape": "takes one sentence; any string is a valid shape",
                                    "range": "any sentence, even an empty one, can be shown"},
    "playgrounds.markup.highlight": {"shape": "one text and two offsets; the offsets' range is the check"},
    "playgrounds.markup.bar": {"shape": "a label and one number; nothing has a shape"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
