"""The offline bertviz views in a real browser: headless Chromium, no network.

The page holds a head view and a model view of the encoder's attention for one
sentence. Chromium must draw both (SVG elements, a non-blank screenshot), load no
resource and raise no JavaScript error; with its scripts removed (as an untrusted
notebook shows it), the fallback note shows and the screenshot holds far fewer colours. Artifacts go to build/test-artifacts/.

Needs Chromium: `apt-get update && apt-get install -y chromium chromium-driver`.
Skipped when it is missing, except under CI (CI set), where a missing browser fails.
"""
from __future__ import annotations

import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "test-artifacts"
SENTENCE = "The cat sat on the mat because it was warm."


def _load_chromium_module():
    spec = importlib.util.spec_from_file_location("browser_chromium", Path(__file__).parent / "browser" / "chromium.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


chromium = _load_chromium_module()


@pytest.fixture(scope="module")
def executable() -> str:
    return chromium.require_chromium()


@pytest.fixture(scope="module")
def page() -> tuple[Path, int, int, int]:
    """The test page on disk, and the number of layers, heads and tokens it shows."""
    from transformers import AutoModel, AutoTokenizer

    from helpers import bertviz_offline
    from helpers.bert_inspect import get_attentions
    from helpers import settings

    tokenizer = AutoTokenizer.from_pretrained(settings().models.encoder)
    model = AutoModel.from_pretrained(settings().models.encoder, attn_implementation="eager")
    inputs = tokenizer(SENTENCE, return_tensors="pt")
    tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
    attentions = get_attentions(model, inputs)  # L x (1, H, T, T)
    head = bertviz_offline.head_view(attentions, tokens, layer=0)
    both = head.standalone("bertviz views, offline").replace(
        "</body>", bertviz_offline.model_view(attentions, tokens).html + "\n</body>")
    path = ARTIFACTS / "bertviz_views.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(chromium.with_recorder(both), encoding="utf-8")
    # what an untrusted notebook or a viewer without JavaScript shows: the markup, no scripts
    (ARTIFACTS / "bertviz_views_nojs.html").write_text(chromium.without_scripts(both), encoding="utf-8")
    layers, heads = len(attentions), attentions[0].shape[1]
    return path, layers, heads, len(tokens)


class _Views(HTMLParser):
    """Collects the attributes of <html> and of each .bertviz-offline element, and counts tags."""

    def __init__(self) -> None:
        super().__init__()
        self.root: dict[str, str] = {}
        self.views: list[dict[str, str]] = []
        self.notes: list[dict[str, str]] = []
        self.tags: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.tags[tag] = self.tags.get(tag, 0) + 1
        if tag == "html":
            self.root = attributes
        classes = attributes.get("class", "").split()
        if "bertviz-offline" in classes:
            self.views.append(attributes)
        if "bertviz-offline-note" in classes:
            self.notes.append(attributes)


def _parse(dom: str) -> _Views:
    views = _Views()
    views.feed(dom)
    return views


def _colours(png: Path) -> tuple[int, float]:
    """(distinct colours, fraction of pixels that are not white) of a PNG."""
    import matplotlib.image

    pixels = (matplotlib.image.imread(png)[..., :3] * 255).round().astype(np.uint8)  # (H, W, 3)
    flat = pixels.reshape(-1, 3)
    distinct = len(np.unique(flat, axis=0))
    not_white = float((flat.min(axis=1) < 245).mean())
    return distinct, not_white


def test_views_draw_without_errors_or_network(executable, page):
    path, layers, heads, tokens = page
    views = _parse(chromium.dump_dom(executable, path))
    assert views.root.get("data-loaded") == "yes", "the page did not finish loading"
    assert views.root.get("data-js-errors") == "0", views.root.get("data-js-error-messages")
    assert views.root.get("data-resources") == "0", f"resources were requested: {views.root.get('data-resource-names')}"
    assert len(views.views) == 2
    for view in views.views:
        assert view.get("data-bertviz-status") == "drawn", view
    head_elements, model_elements = (int(v["data-bertviz-svg-elements"]) for v in views.views)
    # the head view draws one line per (head, query, key) of its layer
    assert head_elements >= heads * tokens * tokens
    assert views.tags.get("line", 0) >= heads * tokens * tokens
    # the model view draws a thumbnail of lines for every (layer, head)
    assert model_elements >= layers * heads * tokens
    assert all("display:none" in note.get("style", "").replace(" ", "") for note in views.notes)


def test_screenshot_is_not_blank_and_shows_more_than_the_fallback(executable, page):
    path = page[0]
    png = chromium.screenshot(executable, path, ARTIFACTS / "bertviz_views.png")
    print(f"\nscreenshot of the offline bertviz views: {png}")
    distinct, drawn = _colours(png)
    fallback = chromium.screenshot(executable, path.with_name("bertviz_views_nojs.html"),
                                   ARTIFACTS / "bertviz_views_nojs.png")
    distinct_off, drawn_off = _colours(fallback)
    assert distinct > 100 and drawn > 0.05, (distinct, drawn)
    assert distinct > 3 * distinct_off and drawn > 3 * drawn_off, (distinct, drawn, distinct_off, drawn_off)


def test_without_javascript_the_fallback_note_shows(executable, page):
    views = _parse(chromium.dump_dom(executable, page[0].with_name("bertviz_views_nojs.html")))
    assert [view.get("data-bertviz-status") for view in views.views] == ["waiting", "waiting"]
    assert len(views.notes) == 2
    assert not any("display:none" in note.get("style", "").replace(" ", "") for note in views.notes)
    assert views.tags.get("svg", 0) == 0
