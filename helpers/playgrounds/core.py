"""The Playground: ipywidgets controls wired to one pure update function, with a static fallback.

A notebook cell that ends with a playground shows it. JupyterLab (or Notebook 7, VS Code) draws
the live widget; a front end without ipywidgets (nbval's kernel, ``make site``, ``make slides``, a
viewer on GitHub) shows the ``text/html`` fallback instead: the output for the current settings and
one line saying how to make it live. The update function never touches a widget, so the unit tests
call it directly and the fallback is exactly what the live widget first shows.
"""
from __future__ import annotations

import html
from typing import Any, Callable, Mapping

import ipywidgets as widgets

from ..course.validation import require_callable, require_str

STATIC_NOTE = ("Static view of an interactive playground (no widget front end here): open this notebook in "
               "JupyterLab and run it to move the controls. Shown: the default settings.")
BOX_CLASS = "course-playground"
OUTPUT_CLASS = "course-playground-output"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LABEL_WIDTH = "110px"  # the controls' labels, unless a builder chose a width


def error_html(message: str) -> str:
    """A mistake in a control's value (a typo, an empty box) as one highlighted sentence, not a traceback.

    Not taught: plumbing of the playgrounds; a learner sees it when an input cannot be used.
    """
    require_str("message", message, empty=True)
    return ('<div class="course-playground-error" style="color:#a4262c;padding:4px 0">'
            f"⚠ {html.escape(message)}</div>")


class Playground:
    """Controls, an update function ``update(**values) -> HTML`` and the output it fills.

    ``controls`` maps each keyword of ``update`` to an ipywidgets control (a slider, a text box, a
    dropdown); each change of a control's ``value`` calls ``update`` with all current values and puts
    the HTML it returns in the output. A ``ValueError`` or ``TypeError`` from ``update`` (say, a
    sentence without ``[MASK]``) is shown as one sentence in the output instead.

    Not taught: plumbing; each notebook's playground builder returns one.
    """

    def __init__(self, title: str, controls: Mapping[str, widgets.Widget], update: Callable[..., str],
                 *, note: str = STATIC_NOTE) -> None:
        self.title = require_str("title", title)
        if not isinstance(controls, Mapping):
            raise TypeError(f"controls must be a dict of name -> ipywidgets control, got {type(controls).__name__}")
        if not controls:
            raise ValueError("controls must hold at least one control, got an empty dict")
        for name, control in controls.items():
            if not isinstance(control, widgets.ValueWidget):
                raise TypeError(f"controls[{name!r}] must be an ipywidgets control with a .value "
                                f"(IntSlider, Text, Dropdown, ...), got {type(control).__name__}")
        self.controls = dict(controls)
        for control in self.controls.values():  # one label column wide enough for "temperature", "question"
            style = getattr(control, "style", None)
            if style is not None and hasattr(style, "description_width") and not style.description_width:
                style.description_width = LABEL_WIDTH
        self.update = require_callable("update", update)
        self.note = require_str("note", note)
        self.output = widgets.HTML()
        self.output.add_class(OUTPUT_CLASS)
        heading = widgets.HTML(f"<b>{html.escape(title)}</b>")
        self.widget = widgets.VBox([heading, *self.controls.values(), self.output])
        self.widget.add_class(BOX_CLASS)
        for control in self.controls.values():
            control.observe(self._refresh, names="value")
        self._refresh()

    def values(self) -> dict[str, Any]:
        """The controls' current values, by the keyword ``update`` takes."""
        return {name: control.value for name, control in self.controls.items()}

    def render(self, **overrides: Any) -> str:
        """The output's HTML for the current values, or for some of them replaced by ``overrides``."""
        unknown = sorted(set(overrides) - set(self.controls))
        if unknown:
            raise ValueError(f"overrides must name controls of this playground ({sorted(self.controls)}), got {unknown}")
        try:
            return self.update(**{**self.values(), **overrides})
        except (ValueError, TypeError) as mistake:
            return error_html(str(mistake))

    def _refresh(self, change: Any = None) -> None:
        self.output.value = self.render()

    def static_html(self) -> str:
        """What a front end without widgets shows: the title, the note, the settings and the output."""
        settings = ", ".join(f"{name} = {value!r}" for name, value in self.values().items())
        return (f'<div class="{BOX_CLASS} course-playground-static">'
                f"<b>{html.escape(self.title)}</b>"
                f'<p style="font-style:italic;margin:2px 0">{html.escape(self.note)}</p>'
                f'<p style="margin:2px 0"><code>{html.escape(settings)}</code></p>'
                f'<div class="{OUTPUT_CLASS}">{self.render()}</div></div>')

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = dict(self.widget._repr_mimebundle_(include=include, exclude=exclude) or {})
        bundle["text/html"] = self.static_html()
        bundle["text/plain"] = f"{self.title}: {self.note}"
        return bundle

    def __repr__(self) -> str:
        return f"Playground({self.title!r}, controls={sorted(self.controls)})"
