"""The Playground wiring (helpers/playgrounds/core.py) and its HTML pieces (helpers/playgrounds/markup.py).

A control's change re-renders the output from the pure update function; a learner's mistake
(ValueError/TypeError from the update) shows as one sentence; the display bundle carries the
live widget and a text/html fallback that shows the same output plus the static note.
"""
from __future__ import annotations

import re

import ipywidgets as widgets
import pytest

from helpers.playgrounds import markup
from helpers.playgrounds.core import BOX_CLASS, OUTPUT_CLASS, STATIC_NOTE, WIDGET_VIEW, Playground, error_html


def _update(n: int, word: str) -> str:
    if not word:
        raise ValueError("word must not be empty, got ''")
    return markup.table([[word, n * 2]], ["word", "twice n"])


def _playground() -> tuple[Playground, widgets.IntSlider, widgets.Text]:
    slider = widgets.IntSlider(value=3, min=1, max=9, description="n")
    box = widgets.Text(value="cat", description="word")
    return Playground("Twice", {"n": slider, "word": box}, _update), slider, box


def _cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>(.*?)</td>", html)


def test_the_first_output_is_the_update_for_the_default_values():
    playground, _, _ = _playground()
    assert _cells(playground.output.value) == ["cat", "6"]
    assert playground.values() == {"n": 3, "word": "cat"}


def test_moving_a_control_re_renders_with_all_current_values():
    playground, slider, box = _playground()
    slider.value = 5
    assert _cells(playground.output.value) == ["cat", "10"]
    box.value = "dog"
    assert _cells(playground.output.value) == ["dog", "10"]


def test_a_mistake_shows_one_sentence_and_the_next_good_value_recovers():
    playground, _, box = _playground()
    box.value = ""
    assert "course-playground-error" in playground.output.value
    assert "word must not be empty" in playground.output.value and "Traceback" not in playground.output.value
    box.value = "owl"
    assert _cells(playground.output.value) == ["owl", "6"]


def test_other_errors_are_not_hidden():
    def broken(n: int) -> str:
        raise RuntimeError("a bug in the update function")

    with pytest.raises(RuntimeError, match="a bug"):
        Playground("Broken", {"n": widgets.IntSlider()}, broken)


def test_render_with_overrides_leaves_the_widgets_alone():
    playground, slider, _ = _playground()
    assert _cells(playground.render(n=7)) == ["cat", "14"]
    assert slider.value == 3 and _cells(playground.output.value) == ["cat", "6"]
    with pytest.raises(ValueError, match="overrides must name controls"):
        playground.render(m=1)


def test_the_bundle_has_the_live_widget_and_a_static_fallback():
    playground, slider, _ = _playground()
    slider.value = 4
    bundle = playground._repr_mimebundle_()
    assert bundle[WIDGET_VIEW]["model_id"] == playground.widget.model_id
    static = bundle["text/html"]
    assert STATIC_NOTE in static.replace("&#x27;", "'") and BOX_CLASS in static and OUTPUT_CLASS in static
    assert _cells(static) == ["cat", "8"]  # the current values, as the live output shows them
    assert "n = 4" in static
    assert bundle["text/plain"].startswith("Twice")


def test_the_classes_the_browser_test_looks_for():
    playground, _, _ = _playground()
    assert BOX_CLASS in playground.widget._dom_classes and OUTPUT_CLASS in playground.output._dom_classes


def test_error_html_escapes():
    assert "<script>" not in error_html("<script>alert(1)</script>")


def test_table_escapes_and_formats():
    html = markup.table([["<b>", 0.12345, 7]], ["a", "b", "c"])
    assert _cells(html) == ["&lt;b&gt;", "0.123", "7"]


def test_heat_table_shades_by_value():
    html = markup.heat_table([[0.0, 1.0]], ["q"], ["k1", "k2"])
    assert "rgba(31,119,180,0.000)" in html and "rgba(31,119,180,1.000)" in html
    assert _cells(html) == ["0.00", "1.00"]


def test_highlight_marks_exactly_the_span():
    html = markup.highlight("Paris is in France", 12, 18)
    assert re.search(r"<mark[^>]*>(.*?)</mark>", html)[1] == "France"
    assert markup.highlight("a<b", 1, 2).count("&lt;") == 1


def test_bar_width_is_proportional():
    html = markup.bar("spam", 0.25, width=200)
    assert "width:50px" in html and "0.250 spam" in html
