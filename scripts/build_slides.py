"""Static reveal.js slides for every notebook, that open offline: ``make slides``.

Writes ``build/slides/NN_name.slides.html`` for each ``notebooks/NN_*.ipynb``, next to
local copies of reveal.js and MathJax (the ``reveal.js`` and ``mathjax`` assets, from
npm), which the pages reference by relative paths: no CDN, no network. The slides come
from the executed notebook in ``build/executed/<stem>.ipynb`` when it exists (outputs and
plots included), else from the clean notebook (code only). Each cell's
``metadata.slideshow.slide_type`` decides where it goes; instructor notes (type "notes")
become reveal speaker notes (press "s"), never shown on the slides.

    python scripts/build_slides.py [--out build/slides] [--executed build/executed] [NOTEBOOK ...]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from helpers.course import assets

TEMPLATES = ROOT / "site_templates"
NOTEBOOKS = ROOT / "notebooks"
REVEAL_DIR, MATHJAX_DIR = "reveal.js", "mathjax"  # names of the copies next to the slides


def notebooks_in(folder: Path) -> list[Path]:
    """The course's notebooks in reading order (``NN_name.ipynb``)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"notebook folder {folder} does not exist")
    return sorted(p for p in folder.glob("[0-9][0-9]_*.ipynb") if p.is_file())


def copy_asset(name: str, destination: Path) -> Path:
    """Copy a prepared asset's folder to ``destination`` (replacing an older copy)."""
    source = assets.path(name)  # a one-sentence AssetError naming the command when missing
    if destination.exists():
        shutil.rmtree(destination)
    shutil.copytree(source, destination, ignore=shutil.ignore_patterns(assets.MANIFEST))
    return destination


def source_for(notebook: Path, executed: Path | None) -> Path:
    """The executed copy of a notebook when there is one, else the notebook itself."""
    if executed is not None:
        candidate = executed / notebook.name
        if candidate.is_file():
            return candidate
    return notebook


def exporter() -> SlidesExporter:
    slides = SlidesExporter(template_file=str(TEMPLATES / "course_slides.html.j2"))
    slides.extra_template_paths = [str(TEMPLATES), *slides.extra_template_paths]
    slides.reveal_url_prefix = REVEAL_DIR
    slides.reveal_theme = "white"  # the one theme the reveal.js asset keeps
    slides.reveal_scroll = True
    slides.exclude_anchor_links = True
    return slides


def build_one(notebook: Path, out: Path, executed: Path | None = None,
              slides: SlidesExporter | None = None) -> Path:
    """Export one notebook's slides into ``out``; returns the HTML file."""
    if notebook.suffix != ".ipynb" or not notebook.is_file():
        raise FileNotFoundError(f"notebook must be an existing .ipynb file, got {notebook}")
    node = nbformat.read(source_for(notebook, executed), as_version=4)
    resources = {"metadata": {"name": notebook.stem}, "course_mathjax_prefix": MATHJAX_DIR}
    html, _ = (slides or exporter()).from_notebook_node(node, resources=resources)
    target = out / f"{notebook.stem}.slides.html"
    target.write_text(html, encoding="utf-8")
    return target


def build(notebooks: list[Path], out: Path, executed: Path | None = None) -> list[Path]:
    """Slides for each notebook, with reveal.js and MathJax copied next to them."""
    out.mkdir(parents=True, exist_ok=True)
    copy_asset("reveal.js", out / REVEAL_DIR)
    copy_asset("mathjax", out / MATHJAX_DIR)
    slides = exporter()
    return [build_one(notebook, out, executed, slides) for notebook in notebooks]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "slides")
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "executed",
                        help="folder of executed notebooks to take outputs from, when present")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        built = build(args.notebooks or notebooks_in(NOTEBOOKS), args.out, args.executed)
    except (assets.AssetError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in built:
        with_outputs = (args.executed / path.name.replace(".slides.html", ".ipynb")).is_file()
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
              f"  ({'with outputs' if with_outputs else 'code only'})")
    print(f"{len(built)} slide decks in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
