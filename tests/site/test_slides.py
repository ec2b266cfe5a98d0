"""Every notebook presents as slides: slide metadata, instructor notes, and an offline reveal.js export.

The metadata rules are the course's slide conventions (scripts/tag_slides.py applies them):
every cell has a slide type, the title cell opens a slide, the set-up cell is skipped,
each ``## `` section starts a slide, and at least one instructor-notes cell gives the
timing, the misconception to watch for and a question for the room. Building the slides
(scripts/build_slides.py) must work for every notebook and give pages that load nothing
from the network: every script, style sheet and image they reference is a local file.
"""
from __future__ import annotations

import importlib.util
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MAX_CELLS_PER_SLIDE = 5  # a heading and about three cells; one more is tolerated


def _script(name: str):
    sys.path.insert(0, str(ROOT / "scripts"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tag_slides = _script("tag_slides")
build_slides = _script("build_slides")


def _read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def _notes_cells(notebook) -> list:
    return [c for c in notebook.cells if tag_slides.NOTES_TAG in c.metadata.get("tags", [])]


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def notebook(request) -> nbformat.NotebookNode:
    return _read(request.param)


def test_every_cell_has_a_slide_type(notebook):
    assert tag_slides.untagged(notebook) == [], "run `python scripts/tag_slides.py` on the notebook"


def test_title_opens_the_first_slide_and_set_up_is_skipped(notebook):
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert tag_slides.slide_type(first) == "slide"
    setup = next(c for c in notebook.cells if c.cell_type == "code")
    assert setup.source.startswith("# NBVAL_IGNORE_OUTPUT")
    assert tag_slides.slide_type(setup) == "skip"


def test_each_section_starts_a_slide(notebook):
    for cell in notebook.cells:
        if tag_slides.headings(cell, 2):
            assert tag_slides.slide_type(cell) == "slide", tag_slides.headings(cell, 2)


def test_slides_stay_short(notebook):
    count, heading = 0, ""
    for cell in notebook.cells:
        kind = tag_slides.slide_type(cell)
        if kind in ("slide", "subslide"):
            count, heading = 1, cell.source.strip().splitlines()[0][:60] if cell.source.strip() else ""
        elif kind not in ("skip", "notes"):
            count += 1
            assert count <= MAX_CELLS_PER_SLIDE, f"the slide starting at {heading!r} holds more than {MAX_CELLS_PER_SLIDE} cells"


def test_instructor_notes_give_timing_misconception_and_a_question(notebook):
    notes = _notes_cells(notebook)
    assert notes, "add a markdown cell tagged 'instructor-notes' after 'What you will learn'"
    for cell in notes:
        assert cell.cell_type == "markdown" and tag_slides.slide_type(cell) == "notes"
        assert cell.source.startswith("**Instructor notes**")
    text = "\n".join(c.source for c in notes).lower()
    assert re.search(r"\b\d+\s*min", text), "no timing (minutes per section)"
    assert "misconception" in text, "no misconception to watch for"
    assert "ask the room" in text and "?" in text, "no question to ask the room"
    assert "expect" in text, "no expected answer to the question"


# ---------------------------------------------------------------- the rules themselves

def _synthetic(*cells) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell(s[3:]) if s.startswith("md:") else nbformat.v4.new_code_cell(s)
                      for s in cells]
    return notebook


def test_rules_tag_title_setup_sections_checks_and_split_long_slides():
    notebook = _synthetic("md:# 01 · T", "# NBVAL_IGNORE_OUTPUT\nimport torch", "md:## 1 · A", "x = 1",
                          "md:text", "y = 2", "md:more text", "z = 3", "assert z == 3", "md:### 1.1 · B",
                          "md:**Check.** it holds", "md:Stuck? ...\n\n## 2 · C")
    assert tag_slides.tag(notebook) == len(notebook.cells)
    kinds = [tag_slides.slide_type(c) for c in notebook.cells]
    assert kinds == ["slide", "skip", "slide", "-", "-", "-", "subslide", "-", "fragment", "subslide", "fragment", "slide"]


def test_types_set_by_hand_are_kept_unless_forced():
    notebook = _synthetic("md:# 01 · T", "md:## 1 · A")
    notebook.cells[1].metadata["slideshow"] = {"slide_type": "subslide"}
    assert tag_slides.tag(notebook) == 1 and tag_slides.slide_type(notebook.cells[1]) == "subslide"
    assert tag_slides.tag(notebook, force=True) == 1 and tag_slides.slide_type(notebook.cells[1]) == "slide"


def test_notes_cells_are_tagged_notes():
    notebook = _synthetic("md:# 01 · T", "md:**Instructor notes** ...")
    notebook.cells[1].metadata["tags"] = [tag_slides.NOTES_TAG]
    tag_slides.tag(notebook)
    assert tag_slides.slide_type(notebook.cells[1]) == "notes"


def test_tag_rejects_what_is_not_a_notebook():
    with pytest.raises(TypeError, match="notebook must be"):
        tag_slides.tag({"cells": []})


# ---------------------------------------------------------------- the static export

class _References(HTMLParser):
    """Every URL a page loads: script src, stylesheet href, img src, and CSS @import/url()."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.urls.append(attributes["src"])
        elif tag == "link" and attributes.get("href"):
            self.urls.append(attributes["href"])
        elif tag == "img" and attributes.get("src"):
            self.urls.append(attributes["src"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            css = re.sub(r"/\*.*?\*/", "", data, flags=re.DOTALL)  # comments may cite web pages
            self.urls += re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
            self.urls += re.findall(r"@import\s+['\"]([^'\"]+)", css)


def local_references(page: Path) -> list[str]:
    """The page's loaded URLs; fails on any remote one or on a local file that does not exist."""
    parser = _References()
    parser.feed(page.read_text(encoding="utf-8"))
    checked = []
    for url in parser.urls:
        if url.startswith("data:"):
            continue
        assert not re.match(r"^(https?:)?//", url), f"{page.name} loads {url} from the network"
        target = (page.parent / url.split("#")[0].split("?")[0]).resolve()
        assert target.is_file(), f"{page.name} references {url}, which does not exist"
        checked.append(url)
    return checked


@pytest.fixture(scope="module")
def decks(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("slides")
    built = build_slides.build(NOTEBOOKS, out, executed=None)
    return {path.name.removesuffix(".slides.html"): path for path in built}


def test_slides_build_for_every_notebook(decks):
    assert sorted(decks) == [p.stem for p in NOTEBOOKS]
    for stem, page in decks.items():
        html = page.read_text(encoding="utf-8")
        assert html.count("<section") > 3, f"{stem}: fewer slides than expected"
        assert _read(ROOT / "notebooks" / f"{stem}.ipynb").cells[0].source.splitlines()[0][2:] in html


def test_slides_load_only_local_files(decks):
    for page in decks.values():
        urls = local_references(page)
        assert "reveal.js/dist/reveal.js" in urls and "mathjax/tex-chtml-full.js" in urls


def test_instructor_notes_are_speaker_notes_not_slide_content(decks):
    for stem, page in decks.items():
        html = page.read_text(encoding="utf-8")
        asides = re.findall(r'<aside class="notes">(.*?)</aside>', html, flags=re.DOTALL)
        assert any("Instructor notes" in a for a in asides), f"{stem}: no speaker notes"
        shown = re.sub(r'<aside class="notes">.*?</aside>', "", html, flags=re.DOTALL)
        assert "Instructor notes" not in shown, f"{stem}: instructor notes show on a slide"


def test_set_up_cell_is_not_on_the_slides(decks):
    for stem, page in decks.items():
        assert "print(versions())" not in page.read_text(encoding="utf-8"), stem


def test_build_one_names_a_missing_notebook(tmp_path):
    with pytest.raises(FileNotFoundError, match="notebook must be an existing .ipynb file"):
        build_slides.build_one(tmp_path / "nope.ipynb", tmp_path)
