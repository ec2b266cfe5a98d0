"""The course site in a real browser: headless Chromium, no network.

Opens the site's index, follows its table of contents to every notebook page, and on each
page checks that the scripts ran without a JavaScript or console error, MathJax typeset
the math (its output elements are there and no raw ``$$`` is left in the text), and
every image loaded (natural width > 0). Screenshots of every page go to
build/test-artifacts/site/.

The site: ``$COURSE_SITE_DIR`` when set (``make test-site`` builds build/site from the
notebooks that ``make test-notebooks`` executed, then points this test at it); otherwise
the test renders one itself from the notebooks and any runs saved in build/executed,
executing nothing. Needs Chromium (`apt-get install -y chromium`); skipped when it is
missing, except under CI.
"""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "build" / "test-artifacts" / "site"


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


chromium = _load("browser_chromium", Path(__file__).parent / "browser" / "chromium.py")


@pytest.fixture(scope="module")
def executable() -> str:
    return chromium.require_chromium()


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """A copy of the site (no slides), each page with the recorder and image probe, in a temporary folder."""
    configured = os.environ.get("COURSE_SITE_DIR")
    if configured:
        source = Path(configured)
        assert (source / "index.html").is_file(), f"COURSE_SITE_DIR={configured} holds no index.html; run `make site`"
    else:
        sys.path.insert(0, str(ROOT / "scripts"))
        build_site = _load("build_site", ROOT / "scripts" / "build_site.py")
        source = tmp_path_factory.mktemp("site-built")
        build_site.build(build_site.notebooks_in(ROOT / "notebooks"), source, ROOT / "build" / "executed",
                         run=False, slides=False)
    probed = tmp_path_factory.mktemp("site-probed") / "www"
    shutil.copytree(source, probed, ignore=shutil.ignore_patterns("slides"))
    for page in probed.glob("*.html"):
        page.write_text(chromium.with_probe(page.read_text(encoding="utf-8")), encoding="utf-8")
    return probed


class _Page(HTMLParser):
    """The <html> attributes, table-of-contents links, MathJax elements and visible text of a DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.root: dict[str, str] = {}
        self.toc: list[str] = []
        self.math = 0
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.root = attributes
        elif tag == "a" and "course-toc-link" in attributes.get("class", ""):
            self.toc.append(attributes.get("href", ""))
        elif tag == "mjx-container":
            self.math += 1
        if tag in ("script", "style", "pre", "code", "mjx-assistive-mml"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "pre", "code", "mjx-assistive-mml") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def _open(executable: str, page: Path) -> _Page:
    parsed = _Page()
    parsed.feed(chromium.dump_dom(executable, page))
    return parsed


def _has_math(page: Path) -> bool:
    """Whether the served page holds TeX outside code: $...$, $$...$$, \\(...\\) or \\[...\\]."""
    html = page.read_text(encoding="utf-8")
    html = re.sub(r"<(script|style|pre|code)\b.*?</\1>", "", html, flags=re.DOTALL | re.IGNORECASE)
    return bool(re.search(r"\$[^$\s][^$]*\$|\\\(|\\\[", html))


def _healthy(parsed: _Page, name: str) -> None:
    root = parsed.root
    assert root.get("data-loaded") == "yes", f"{name} did not finish loading"
    assert root.get("data-js-errors") == "0", f"{name}: {root.get('data-js-error-messages')}"
    assert root.get("data-mathjax") == "typeset", f"{name}: MathJax did not finish (did it load?)"
    assert root.get("data-images-broken") == "0", f"{name}: {root.get('data-images-broken')} image(s) did not load"
    assert "$$" not in "".join(parsed.text), f"{name} shows raw TeX ($$) instead of rendered math"


def test_table_of_contents_reaches_every_notebook_page_and_each_renders(executable, site):
    index = _open(executable, site / "index.html")
    _healthy(index, "index.html")
    pages = sorted(p.name for p in site.glob("[0-9][0-9]_*.html"))
    assert index.toc == pages, "the table of contents must link every notebook page, in order"
    chromium.screenshot(executable, site / "index.html", ARTIFACTS / "index.png")
    for link in index.toc:
        page = site / link
        parsed = _open(executable, page)
        _healthy(parsed, link)
        if _has_math(page):
            assert parsed.math > 0, f"{link} has math but MathJax drew none"
        images = page.read_text(encoding="utf-8").count("<img")
        assert parsed.root.get("data-images") == str(images), f"{link}: {parsed.root.get('data-images')} of {images} images"
        # every notebook has at least one playground; without a kernel it shows its static copy and its note
        served = page.read_text(encoding="utf-8")
        assert "course-playground-static" in served, f"{link} shows no playground (issue 19: every notebook has one)"
        assert "Static view of an interactive playground" in "".join(parsed.text), f"{link}: the playground's note is not visible"
        png = chromium.screenshot(executable, page, ARTIFACTS / link.replace(".html", ".png"))
        print(f"\nscreenshot: {png.relative_to(ROOT)} ({images} images, {parsed.math} formulas)")


def test_results_page_renders(executable, site):
    results = _open(executable, site / "results.html")
    _healthy(results, "results.html")
    assert "Results" in "".join(results.text)
    chromium.screenshot(executable, site / "results.html", ARTIFACTS / "results.png")
