"""bertviz views that work offline and in JupyterLab 4: one self-contained HTML string.

bertviz's stock ``head_view``/``model_view`` load require.js, d3 and jQuery from a
CDN; without internet, or in JupyterLab (which has no require.js), the output stays
blank. Here the same bertviz JavaScript runs with d3 and jQuery inlined from
prepared offline assets (npm ``d3@5.7.0``, the version bertviz is written for, and
``jquery@3.7.1``) and a two-line stand-in for ``requirejs``: no URL is loaded.

    view = head_view(outputs.attentions, tokens)   # an AttentionView
    show(view)             # interactive in a notebook, a static heatmap elsewhere
    view.save("view.html") # a standalone page that opens in any browser
    view.static()          # the same weights as matplotlib heatmaps

Where JavaScript does not run (an untrusted notebook, a viewer such as GitHub),
the view shows a one-line note instead of staying blank.
"""
from __future__ import annotations

import html
import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure

from .course import assets
from .course.validation import require_bool, require_int, require_str, require_strings
from .viz import as_layers_heads, plot_attention

# d3 and jQuery are offline assets (helpers/course/assets.py), inlined into every view.
LIBRARY_FILES = {"d3": "dist/d3.min.js", "jquery": "dist/jquery.min.js"}
DECIMALS = 4  # attention weights are rounded to this many decimals in the page


def _library_source(name: str) -> str:
    """The JavaScript of one inlined library (a key of ``LIBRARY_FILES``), made safe to place inside a
    <script> element."""
    text = (assets.path(name) / LIBRARY_FILES[name]).read_text(encoding="utf-8")
    return _script_safe(text)


def _script_safe(js: str) -> str:
    # "</script" would end the element early; "<!--" switches the HTML parser's mode.
    return re.sub(r"</(script)", r"<\\/\1", js, flags=re.IGNORECASE).replace("<!--", "<\\!--")


def _split_bertviz_html(page: str) -> tuple[str, str]:
    """bertviz's returned HTML -> (its markup, its script) without the CDN loader and require config."""
    page = re.sub(r"<script[^>]*\bsrc=[^>]*>\s*</script>", "", page)  # the require.js CDN tag
    match = re.search(r"<script[^>]*>(.*)</script>", page, flags=re.DOTALL)
    if match is None:
        raise RuntimeError("bertviz returned no <script>; this bertviz version is not supported")
    markup = page[: match.start()] + page[match.end():]
    script = re.sub(r"require\.config\(\s*\{.*?\}\s*\);", "", match.group(1), count=1, flags=re.DOTALL)
    script = re.sub(r"/\*.*?\*/", "", script, flags=re.DOTALL)  # comments (they hold URLs)
    return markup, _script_safe(script)


_FALLBACK_NOTE = (
    "This interactive attention view needs JavaScript, which did not run here (an untrusted "
    "notebook: File &gt; Trust Notebook, or a viewer without JavaScript). "
    "<code>view.static()</code> draws the same weights as a picture."
)

# Runs bertviz's script with the inlined libraries. The libraries see no `define`,
# `module` or `exports`, so they never touch a page's require.js; jQuery's globals
# are restored at once (noConflict). The script waits until its element is in the
# document (JupyterLab may attach outputs after running their scripts).
_PAGE_SCRIPT = """(function () {
  var define, module, exports, require, requirejs;
  var lib = {};
  (function () { %(d3)s
  }).call(lib);
  (function () { %(jquery)s
  }).call(lib);
  lib.jquery = (lib.jQuery || window.jQuery).noConflict(true);
  require = {config: function () {}};
  requirejs = function (names, body) {
    body.apply(null, names.map(function (name) { return lib[name]; }));
  };
  var wrapId = %(wrap_id)s, rootId = %(root_id)s, tries = 0;
  function draw() {
    var wrap = document.getElementById(wrapId);
    if (!document.getElementById(rootId)) {
      if (tries++ < 200) { setTimeout(draw, 25); }
      return;
    }
    try {
%(bertviz)s
      var svgs = wrap.querySelectorAll("svg");
      wrap.setAttribute("data-bertviz-status", svgs.length ? "drawn" : "empty");
      wrap.setAttribute("data-bertviz-svg-elements", wrap.querySelectorAll("svg *").length);
      if (svgs.length) { wrap.querySelector(".bertviz-offline-note").style.display = "none"; }
    } catch (error) {
      wrap.setAttribute("data-bertviz-status", "error");
      wrap.querySelector(".bertviz-offline-note").textContent = "bertviz failed: " + error;
      throw error;
    }
  }
  draw();
})();"""


@dataclass(frozen=True)
class AttentionView:
    """A bertviz view as one self-contained HTML fragment, plus the weights for a static picture.

    Not taught: course machinery.
    """

    kind: str  # "head view" or "model view"
    html: str  # the fragment: markup and one inline script, no external URL
    weights: np.ndarray = field(repr=False)  # (layers, heads, T, T)
    tokens: tuple[str, ...]

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        layers, heads, t, _ = self.weights.shape
        return (f"AttentionView({self.kind}: {layers} layers x {heads} heads, {t} tokens; "
                "display it in a notebook, save() it, or draw static())")

    def standalone(self, title: str | None = None) -> str:
        """A complete HTML document holding the view (UTF-8, no external resources)."""
        title = html.escape(title or f"bertviz {self.kind}")
        return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<title>{title}</title>\n</head>\n<body>\n{self.html}\n</body>\n</html>\n")

    def save(self, path: str | Path, title: str | None = None) -> Path:
        """Write ``standalone()`` to ``path`` (folders are created); returns the path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.standalone(title), encoding="utf-8")
        return path

    def static(self, layers: Sequence[int] | None = None, heads: Sequence[int] | None = None,
               max_panels: int = 4) -> Figure:
        """The weights as ``plot_attention`` heatmaps (default: layer 0, its first ``max_panels`` heads)."""
        layers = [0] if layers is None else list(layers)
        heads = list(range(min(max_panels, self.weights.shape[1]))) if heads is None else list(heads)
        return plot_attention(self.weights, list(self.tokens), layers=layers, heads=heads,
                              title=f"Attention weights ({self.kind}, static)")


def _prepare(attention: Any, tokens: Sequence[str]) -> tuple[list[torch.Tensor], np.ndarray]:
    tokens = require_strings("tokens", tokens, min_length=1)
    weights = as_layers_heads(attention)  # (L, H, T, T)
    if weights.shape[-1] != len(tokens) or weights.shape[-2] != len(tokens):
        raise ValueError(f"attention must end in (T, T) with T = len(tokens), got {weights.shape[-2:]} while "
                         f"tokens has {len(tokens)} entries; pass the tokens of the same input")
    rounded = np.round(weights, DECIMALS)
    return [torch.from_numpy(layer).unsqueeze(0) for layer in rounded], weights  # L x (1, H, T, T)


def _build(kind: str, page: str, weights: np.ndarray, tokens: Sequence[str]) -> AttentionView:
    markup, script = _split_bertviz_html(page)
    root_id = re.search(r'id="(bertviz-[0-9a-f]+)"', markup)
    if root_id is None:
        raise RuntimeError("bertviz's markup has no bertviz-<id> element; this bertviz version is not supported")
    wrap_id = f"bertviz-offline-{uuid.uuid4().hex}"
    code = _PAGE_SCRIPT % {
        "d3": _library_source("d3"), "jquery": _library_source("jquery"), "bertviz": script,
        "wrap_id": json.dumps(wrap_id), "root_id": json.dumps(root_id.group(1)),
    }
    fragment = (f'<div id="{wrap_id}" class="bertviz-offline" data-bertviz-status="waiting">\n'
                f'<div class="bertviz-offline-note" style="font-size:13px;color:#a05a00;">{_FALLBACK_NOTE}</div>\n'
                f"{markup.strip()}\n<script type=\"text/javascript\">\n{code}\n</script>\n</div>")
    return AttentionView(kind, fragment, weights, tuple(tokens))


def head_view(attention: Any, tokens: Sequence[str], layer: int | None = None,
              heads: Sequence[int] | None = None, sentence_b_start: int | None = None) -> AttentionView:
    """bertviz's head view (one layer; lines from each token to the tokens it attends to).

    ``attention``: the model's tuple of per-layer (1, H, T, T) tensors, or (L, H, T, T).

    Taught in: notebook 03, section 5.
    """
    import bertviz

    layers, weights = _prepare(attention, tokens)
    if layer is not None:
        require_int("layer", layer, minimum=0, maximum=len(layers) - 1)
    if heads is not None:
        for head in heads:
            require_int("heads", head, minimum=0, maximum=weights.shape[1] - 1)
    if sentence_b_start is not None:
        require_int("sentence_b_start", sentence_b_start, minimum=1, maximum=len(tokens) - 1)
    page = bertviz.head_view(layers, list(tokens), sentence_b_start=sentence_b_start, layer=layer,
                             heads=None if heads is None else list(heads), html_action="return").data
    return _build("head view", page, weights, tokens)


def model_view(attention: Any, tokens: Sequence[str], sentence_b_start: int | None = None,
               display_mode: str = "light") -> AttentionView:
    """bertviz's model view: a thumbnail per (layer, head); click one to enlarge it.

    Taught in: notebook 03, section 5.
    """
    import bertviz

    require_str("display_mode", display_mode, choices=("light", "dark"))
    layers, weights = _prepare(attention, tokens)
    if sentence_b_start is not None:
        require_int("sentence_b_start", sentence_b_start, minimum=1, maximum=len(tokens) - 1)
    page = bertviz.model_view(layers, list(tokens), sentence_b_start=sentence_b_start,
                              display_mode=display_mode, html_action="return").data
    return _build("model view", page, weights, tokens)


def _javascript_available() -> bool:
    """True inside a Jupyter kernel (a front end that can run the view's script)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


def show(view: AttentionView, interactive: bool | None = None, **static_options: Any) -> Figure | None:
    """Display the interactive view, or its static picture where JavaScript cannot run.

    ``interactive=None`` decides by the environment (``_javascript_available()``: a Jupyter kernel);
    ``static_options`` go to ``view.static()``. Outside a notebook the static figure
    is returned (save it with ``figure.savefig``); inside one it is displayed.

    Taught in: notebook 03, section 5.
    """
    if not isinstance(view, AttentionView):
        raise TypeError(f"view must be an AttentionView (from head_view or model_view), got {type(view).__name__}")
    if interactive is not None:
        require_bool("interactive", interactive)
    in_kernel = _javascript_available()
    if in_kernel if interactive is None else interactive:
        from IPython.display import HTML, display

        display(HTML(view.html))
        return None
    figure = view.static(**static_options)
    if not in_kernel:
        return figure
    import matplotlib.pyplot as plt
    from IPython.display import display

    display(figure)
    plt.close(figure)  # displayed once, not again by the inline backend
    return None
