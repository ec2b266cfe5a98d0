"""The course site (scripts/build_site.py), built from small synthetic executed notebooks.

Fast: no real notebook runs, except one tiny notebook executed with nbclient to check
what the build saves. The index links every notebook page in order with the title and
promise read from the notebook; the results page shows each reported result, as the
notebook showed it, and each run time; no page loads anything from the network.
"""
from __future__ import annotations

import base64
import importlib.util
import io
import re
import sys
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest

from helpers import results

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
spec = importlib.util.spec_from_file_location("build_site", ROOT / "scripts" / "build_site.py")
build_site = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build_site)
from test_slides import local_references  # noqa: E402  (tests/ is on sys.path under pytest)


def _png() -> str:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(1, 1))
    ax.plot([0, 1], [0, 1])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _notebook(number: str, title: str, promise: str, reported: list[tuple[str, float, str]]) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    code = nbformat.v4.new_code_cell("results.report(...)")
    code.outputs = [nbformat.v4.new_output("display_data", data=results.result_bundle(*r)) for r in reported]
    code.outputs.append(nbformat.v4.new_output("display_data", data={"image/png": _png(), "text/plain": "<Figure>"}))
    notebook.cells = [nbformat.v4.new_markdown_cell(f"# {number} · {title}\n\n**{promise}**\n\n$$a^2 + b^2 = c^2$$"),
                      nbformat.v4.new_markdown_cell("## 1 · Section\n\nInline math $\\sqrt{d_k}$."), code,
                      nbformat.v4.new_markdown_cell("**Instructor notes**: ask the room why.",
                                                    metadata={"tags": ["instructor-notes"]})]
    return notebook


SYNTHETIC = [  # stem, title, promise, reported results, run seconds (None: not executed)
    ("01_alpha", "Alpha things", "You will compute alpha.", [("alpha accuracy", 93.25, "%"), ("alpha loss", 0.125, "")], 12.34),
    ("02_beta", "Beta things", "You will measure beta.", [("BLEU", 17.5, "")], 45.6),
    ("03_gamma", "Gamma, not run", "You will see gamma.", [], None),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("course")
    notebooks, executed, out = root / "notebooks", root / "executed", root / "site"
    notebooks.mkdir()
    executed.mkdir()
    paths = []
    for stem, title, promise, reported, seconds in SYNTHETIC:
        clean = _notebook(stem[:2], title, promise, reported)
        for cell in clean.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        nbformat.write(clean, notebooks / f"{stem}.ipynb")
        paths.append(notebooks / f"{stem}.ipynb")
        if seconds is not None:
            run = _notebook(stem[:2], title, promise, reported)
            run.metadata["course"] = {"run_seconds": seconds, "settings": "tiny scale, offline assets, cpu",
                                      "executed_at": "2026-11-29T00:00:00+00:00"}
            nbformat.write(run, executed / f"{stem}.ipynb")
    readme = root / "README.md"
    readme.write_text("# A synthetic course\n\nIt teaches **alpha** and beta.\n\n## More\n")
    written = build_site.build(paths, out, executed, run=False, readme=readme, full_results=root / "absent.json")
    return {"out": out, "written": written, "pages": {n: p.read_text(encoding="utf-8") for n, p in written.items()},
            "paths": paths, "executed": executed, "readme": readme, "root": root}


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.toc: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and "course-toc-link" in attributes.get("class", ""):
            self.toc.append(attributes["href"])


def _text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_index_links_every_notebook_in_order_with_title_and_promise(site):
    links = _Links()
    links.feed(site["pages"]["index"])
    assert links.toc == [f"{stem}.html" for stem, *_ in SYNTHETIC]
    text = _text(site["pages"]["index"])
    assert "A synthetic course" in text and "It teaches alpha and beta." in text
    for stem, title, promise, _, seconds in SYNTHETIC:
        assert title in text and promise in text
        assert (site["out"] / f"{stem}.html").is_file()
    assert "ran in 12.3 s" in text and "not executed" in text


def test_results_page_lists_each_result_and_run_time(site):
    text = _text(site["pages"]["results"])
    for stem, title, _, reported, seconds in SYNTHETIC:
        assert title in text
        for name, value, unit in reported:
            shown = results.result_bundle(name, value, unit)["text/plain"].split(": ", 1)[1]
            assert f"{name} {shown}" in text, (name, shown)
        if seconds is not None:
            assert f"{seconds:.1f} s" in text
    assert "93.25%" in text and "0.125" in text and "17.5" in text
    assert "no key result reported" in text
    assert f"{12.34 + 45.6:.1f} s" in text  # the total of the runs


def test_notebook_pages_show_outputs_math_and_navigation(site):
    alpha, gamma = site["pages"]["01_alpha"], site["pages"]["03_gamma"]
    assert "data:image/png;base64," in alpha and "📊 alpha accuracy: 93.25%" in alpha
    assert "$$a^2 + b^2 = c^2$$" in alpha and "static/mathjax/tex-chtml-full.js" in alpha
    assert re.search(r'<a (?=[^>]*rel="next")(?=[^>]*href="02_beta.html")', alpha) and 'rel="prev"' not in alpha
    assert "not executed for this build" in gamma and "<img" not in gamma


def test_instructor_notes_are_folded_and_nothing_else_is(site):
    alpha = site["pages"]["01_alpha"]
    folded = re.findall(r'<details class="course-instructor-notes">(.*?)</details>', alpha, flags=re.DOTALL)
    assert len(folded) == 1 and "ask the room why" in folded[0]
    assert "Inline math" not in folded[0] and alpha.count("<details") == 1


def test_no_page_loads_anything_from_the_network(site):
    for name, path in site["written"].items():
        urls = local_references(path)
        assert "static/mathjax/tex-chtml-full.js" in urls, name
    for deck in (site["out"] / "slides").glob("*.slides.html"):
        local_references(deck)
    for html in site["pages"].values():
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_results_page_says_full_scale_is_not_measured_without_a_full_run(site):
    text = _text(site["pages"]["results"])
    assert "Full scale on a GPU" in text
    assert "Not measured yet: run make full-run on a GPU box." in text
    assert "course-full-run-row" not in site["pages"]["results"]


FULL_RUN = {  # what scripts/full_run.py writes: one notebook passed, one failed, one absent
    "machine": {"gpu": "NVIDIA H100 80GB HBM3", "torch": "2.13.0", "transformers": "5.24.0", "date": "2026-12-01T10:00:00+00:00",
                "scale": "full", "source": "hub", "smoke": False, "peak_memory": "nvidia-smi memory.used"},
    "notebooks": {
        "01_alpha": {"status": "passed", "error": None, "seconds": 252.0, "peak_gpu_memory_mib": 11571,
                     "executed_at": "2026-12-01T10:05:00+00:00",
                     "results": [{"name": "alpha accuracy", "value": 92.75, "unit": "%"}]},
        "02_beta": {"status": "failed", "error": "cell 7: AssertionError: BLEU <5> is too low", "seconds": 30.0,
                    "peak_gpu_memory_mib": None, "executed_at": "2026-12-01T10:06:00+00:00", "results": []},
    },
}


def test_results_page_shows_the_full_run_when_there_is_one(site, tmp_path):
    import html
    import json

    data = tmp_path / "full-gpu.json"
    data.write_text(json.dumps(FULL_RUN), encoding="utf-8")
    written = build_site.build(site["paths"], tmp_path / "site", site["executed"], run=False, readme=site["readme"],
                               slides=False, full_results=data)
    page = written["results"].read_text(encoding="utf-8")
    text = html.unescape(_text(page))
    assert "Not measured yet" not in text
    assert "full × hub on NVIDIA H100 80GB HBM3, 2026-12-01 (torch 2.13.0, transformers 5.24.0)" in text
    assert page.count('class="course-full-run-row"') == 2  # one row per notebook run; 03 was not run
    assert "alpha accuracy 92.75% " in text and "4.2 min 11 GiB passed" in text
    # a failure shows its error in one line, escaped; a memory that was not measured says so, never 0
    assert "no key result reported" in text and "30 s not measured failed: cell 7: AssertionError: BLEU <5> is too low" in text
    assert "&lt;5&gt;" in page and "<5>" not in page
    assert "smoke run" not in text.lower()
    assert "all notebooks 4.7 min" in text
    smoke = {**FULL_RUN, "machine": {**FULL_RUN["machine"], "smoke": True}}
    data.write_text(json.dumps(smoke), encoding="utf-8")
    written = build_site.build(site["paths"], tmp_path / "site", site["executed"], run=False, readme=site["readme"],
                               slides=False, full_results=data)
    assert "A smoke run" in _text(written["results"].read_text(encoding="utf-8"))


def test_a_notebook_without_a_title_is_refused(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("no title here")]
    with pytest.raises(ValueError, match="must start with a markdown cell"):
        build_site.notebook_info(notebook, "01_untitled")
    with pytest.raises(ValueError, match="notebooks must list at least one"):
        build_site.build([], tmp_path / "site", tmp_path)


def test_executing_saves_the_run_with_its_metadata_and_inline_plots(tmp_path, monkeypatch):
    """A missing run is executed with nbclient; plots stay inline even when MPLBACKEND=Agg (as in make test)."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_markdown_cell("# 01 · Tiny\n\n**It runs.**"),
                      nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nfrom helpers import results\n"
                                                "results.report('answer', 42)\nplt.plot([1, 2])\nplt.show()")]
    path = tmp_path / "01_tiny.ipynb"
    nbformat.write(notebook, path)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    run = build_site.executed_copy(path, tmp_path / "executed", run=True, timeout=120)
    saved = nbformat.read(tmp_path / "executed" / "01_tiny.ipynb", as_version=4)
    assert saved.metadata["course"]["run_seconds"] > 0
    assert set(saved.metadata["course"]) == {"run_seconds", "settings", "executed_at"}
    assert results.collect(run) == [{"name": "answer", "value": 42.0, "unit": ""}]
    assert any("image/png" in o.get("data", {}) for o in saved.cells[1].outputs), "the plot was not drawn inline"
    # a saved run newer than the notebook is reused, not executed again
    again = build_site.executed_copy(path, tmp_path / "executed", run=False, timeout=1)
    assert again.metadata["course"] == saved.metadata["course"]


def test_a_playground_shows_its_static_fallback_in_pages_and_slides(tmp_path):
    """Without a kernel the site and the slides show a playground's text/html fallback: the note saying
    how to make it live and the output for its settings, never a widget placeholder or an error."""
    import html

    import ipywidgets as widgets

    from helpers.playgrounds import markup
    from helpers.playgrounds.core import STATIC_NOTE, WIDGET_VIEW, Playground

    playground = Playground("Doubling", {"n": widgets.IntSlider(value=21)},
                            lambda n: markup.table([[n, 2 * n]], ["n", "twice n"]))
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle  # a front end with widgets would draw the live one
    notebook = _notebook("01", "Playground", "You will play.", [])
    notebook.cells[2].outputs = [nbformat.v4.new_output("display_data", data=bundle)]
    notebook.metadata["course"] = {"run_seconds": 1.0, "settings": "tiny", "executed_at": "2026-11-30T00:00:00+00:00"}
    (tmp_path / "executed").mkdir()
    nbformat.write(notebook, tmp_path / "executed" / "01_playground.ipynb")
    clean = _notebook("01", "Playground", "You will play.", [])
    clean.cells[2].outputs = []
    nbformat.write(clean, tmp_path / "01_playground.ipynb")
    readme = tmp_path / "README.md"
    readme.write_text("# Course\n")
    written = build_site.build([tmp_path / "01_playground.ipynb"], tmp_path / "site", tmp_path / "executed",
                               run=False, readme=readme, full_results=tmp_path / "absent.json")
    decks = list((tmp_path / "site" / "slides").glob("01_playground*.html"))
    assert decks, "the site build made no slide deck"
    for page in [written["01_playground"], *decks]:
        text = html.unescape(_text(page.read_text(encoding="utf-8")))
        assert STATIC_NOTE in text and "21 42" in text, page.name
        assert WIDGET_VIEW not in page.read_text(encoding="utf-8"), page.name
        assert "Error displaying widget" not in text
