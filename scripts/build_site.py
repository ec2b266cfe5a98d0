"""The course as a static HTML site that works offline: ``make site``.

Writes ``build/site/``: ``index.html`` (the notebooks in order, each with its title and
one-line promise, read from its first cell), one page per notebook with its outputs and
plots (images embedded), ``results.html`` (every key result a notebook reported with
``helpers.course.results.report``, and each notebook's run time; then the series at full scale on a
GPU from ``results/full-gpu.json``, written by ``make full-run``, or "not measured yet"), and
``static/`` (the styles and a local MathJax, the ``mathjax`` asset). Nothing is typed by
hand: titles come from the notebooks, numbers from the run.

The run: ``build/executed/<stem>.ipynb`` when present and not older than the notebook
(``make test-notebooks`` saves them, with ``metadata["course"] = {"run_seconds",
"settings", "executed_at"}``); otherwise this script executes the notebook with nbclient
and saves it there in the same format. It runs ``tiny x offline`` unless the environment
says otherwise (``TUTORIAL_SCALE``, ``TUTORIAL_SOURCE``). ``--no-execute`` never runs a
notebook: a missing run is shown as "not executed".

    python scripts/build_site.py [--out build/site] [--executed build/executed] [--no-execute]
                                 [--full-results results/full-gpu.json]
"""
from __future__ import annotations

import argparse
import datetime
import html
import os
import re
import shutil
import sys
import time
from pathlib import Path

import jinja2
import nbformat
from nbclient.exceptions import CellExecutionError
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_slides  # noqa: E402
import full_run  # noqa: E402
from build_slides import TEMPLATES, copy_asset, notebooks_in  # noqa: E402
from helpers import results# noqa: E402
from helpers.course import assets

NOTEBOOKS = ROOT / "notebooks"
FULL_RUN = full_run.RESULTS  # results/full-gpu.json, written by `make full-run` on a GPU box
# the same settings as `make test` unless the environment chooses others
DEFAULT_ENV = {"TUTORIAL_SCALE": "tiny", "TUTORIAL_SOURCE": "offline", "HF_HUB_OFFLINE": "1",
               "HF_DATASETS_OFFLINE": "1"}


def notebook_info(notebook: nbformat.NotebookNode, stem: str) -> dict:
    """Number, title and one-line promise (as HTML) from the notebook's first markdown cell."""
    first = next((c for c in notebook.cells if c.cell_type == "markdown"), None)
    lines = first.source.strip().splitlines() if first else []
    if not lines or not lines[0].startswith("# "):
        raise ValueError(f"notebook {stem} must start with a markdown cell '# NN · Title', got {lines[:1]}")
    title = re.sub(r"^\d+\s*[·.:-]\s*", "", lines[0][2:].strip())
    paragraphs = [p.strip() for p in "\n".join(lines[1:]).split("\n\n") if p.strip()]
    promise = next((p for p in paragraphs if not p.startswith(("#", "$$", "-", "|"))), "")
    promise = re.sub(r"^\*\*(.*)\*\*$", r"\1", promise, flags=re.DOTALL)
    promise = re.sub(r"^\*\*Promise:\*\*\s*", "", promise)
    promise = promise[:1].upper() + promise[1:]
    return {"stem": stem, "number": stem.split("_")[0], "title": title,
            "promise": inline_markdown(promise), "href": f"{stem}.html", "slides": None}


def inline_markdown(text: str) -> str:
    """Markdown to HTML without the wrapping paragraph."""
    rendered = markdown2html_mistune(text).strip()
    return re.sub(r"^<p>(.*)</p>$", r"\1", rendered, flags=re.DOTALL)


def settings_line() -> str:
    from helpers import settings
    return settings().summary()


def execute(path: Path, timeout: int) -> nbformat.NotebookNode:
    """Run a notebook with nbclient in its folder; its metadata records the run."""
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    # The kernel must draw figures inline: Agg (what `make test` sets for pytest) would drop every plot.
    environment = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    started = time.perf_counter()
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=environment)  # passed on to the kernel's start
    notebook.metadata["course"] = {
        "run_seconds": round(time.perf_counter() - started, 2), "settings": settings_line(),
        "executed_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    return notebook


def executed_copy(path: Path, executed: Path, run: bool, timeout: int) -> nbformat.NotebookNode | None:
    """The executed notebook: the saved one when current, else a fresh run (saved), else None."""
    saved = executed / path.name
    if saved.is_file() and saved.stat().st_mtime >= path.stat().st_mtime:
        return nbformat.read(saved, as_version=4)
    if not run:
        if saved.is_file():
            print(f"warning: {saved} is older than {path}; using it anyway (--no-execute)")
            return nbformat.read(saved, as_version=4)
        return None
    print(f"executing {path.name} ...", flush=True)
    try:
        notebook = execute(path, timeout)
    except CellExecutionError as error:
        raise RuntimeError(f"{path.name} failed while executing, so the site was not built: "
                           f"{str(error).strip().splitlines()[-1][:300]}") from error
    executed.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, saved)
    return notebook


def key_results(notebook: nbformat.NotebookNode | None) -> list[dict]:
    """The notebook's reported results, each with the text the notebook showed for it."""
    found = results.collect(notebook) if notebook is not None else []
    for result in found:
        result["text"] = results.formatted(result["value"], result.get("unit", ""))
    return found


def full_run_section(data: dict | None, pages: list[dict]) -> dict | None:
    """The results page's "full scale on a GPU" section from the full-run results file (None: not measured)."""
    if not data or not data.get("notebooks"):
        return None
    machine = data.get("machine", {})
    by_stem = {page["stem"]: page for page in pages}
    rows = []
    for stem, row in data["notebooks"].items():
        page = by_stem.get(stem)
        memory = full_run.format_memory(row.get("peak_gpu_memory_mib"))
        rows.append({"stem": stem, "href": page["href"] if page else None,
                     "label": f"{page['number']} · {page['title']}" if page else stem,
                     "status": "passed" if row.get("status") == "passed" else f"failed: {row.get('error') or 'unknown'}",
                     "results": [{**r, "text": results.formatted(r["value"], r.get("unit", ""))}
                                 for r in row.get("results", [])],
                     "reference": full_run.REFERENCES.get(stem, "") if machine.get("source") == "hub" else "",
                     "time": full_run.format_seconds(row["seconds"]), "memory": memory or "not measured"})
    versions = ", ".join(f"{p} {machine[p]}" for p in ("torch", "transformers") if machine.get(p))
    line = (f"{machine.get('scale', 'full')} × {machine.get('source', '?')} on "
            f"{machine.get('gpu') or 'no GPU'}, {str(machine.get('date', ''))[:10]}" + (f" ({versions})" if versions else ""))
    return {"machine": line, "smoke": bool(machine.get("smoke")), "rows": rows,
            "total": full_run.format_seconds(sum(r["seconds"] for r in data["notebooks"].values())),
            "memory_method": machine.get("peak_memory", "")}


def navigation(pages: list[dict], index: int | None) -> str:
    """The bar at the top of every page: home, results, previous and next notebook."""
    links = ['<a class="course-home" href="index.html">Contents</a>', '<a href="results.html">Results</a>']
    if index is not None:
        if index > 0:
            before = pages[index - 1]
            links.append(f'<a rel="prev" href="{before["href"]}">← {before["number"]} · {html.escape(before["title"])}</a>')
        if index + 1 < len(pages):
            after = pages[index + 1]
            links.append(f'<a rel="next" href="{after["href"]}">{after["number"]} · {html.escape(after["title"])} →</a>')
    return '<nav class="course-nav">' + " ".join(links) + "</nav>"


def page_exporter() -> HTMLExporter:
    exporter = HTMLExporter(template_file=str(TEMPLATES / "course_page.html.j2"))
    exporter.extra_template_paths = [str(TEMPLATES), *exporter.extra_template_paths]
    exporter.exclude_anchor_links = True
    return exporter


def render_page(notebook: nbformat.NotebookNode, page: dict, nav: str, exporter: HTMLExporter) -> str:
    banner = ('<div class="course-not-executed">This notebook was not executed for this build: '
              'code only, no outputs.</div>') if page["run_seconds"] is None else ""
    resources = {"metadata": {"name": page["title"]},
                 "course": {"static": "static", "nav": nav, "banner": banner}}
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    return body


def course_heading(readme: Path) -> tuple[str, str]:
    """The course's title and first paragraph, from the README."""
    text = readme.read_text(encoding="utf-8") if readme.is_file() else "# The course\n"
    title = next((l[2:].strip() for l in text.splitlines() if l.startswith("# ")), "The course")
    body = text.split("\n", 1)[1] if "\n" in text else ""
    intro = next((p for p in body.split("\n\n") if p.strip() and not p.lstrip().startswith("#")), "")
    return title, inline_markdown(intro.strip())


def build(notebooks: list[Path], out: Path, executed: Path, run: bool = True, timeout: int = 600,
          readme: Path = ROOT / "README.md", slides: bool = True, full_results: Path = FULL_RUN) -> dict[str, Path]:
    """Render the site into ``out`` (with the slides in ``out/slides`` unless told not to).

    ``full_results``: the file ``make full-run`` writes; the results page says "not measured yet" without it.
    """
    if not notebooks:
        raise ValueError("notebooks must list at least one notebook, got none")
    out.mkdir(parents=True, exist_ok=True)
    (out / "static").mkdir(exist_ok=True)
    shutil.copy(TEMPLATES / "course.css", out / "static" / "course.css")
    copy_asset("mathjax", out / "static" / "mathjax")
    runs, pages = [], []
    for path in notebooks:
        run_node = executed_copy(path, executed, run, timeout)
        node = run_node if run_node is not None else nbformat.read(path, as_version=4)
        page = notebook_info(node, path.stem)
        course = (run_node.metadata.get("course", {}) if run_node is not None else {})
        page.update(run_seconds=course.get("run_seconds"), settings=course.get("settings"),
                    executed_at=course.get("executed_at"), results=key_results(run_node))
        runs.append(node)
        pages.append(page)
    if slides:  # after the runs, so that the slides show their outputs
        for page, deck in zip(pages, build_slides.build(notebooks, out / "slides", executed)):
            page["slides"] = f"slides/{deck.name}"
    written: dict[str, Path] = {}
    exporter = page_exporter()
    for index, (page, node) in enumerate(zip(pages, runs)):
        written[page["stem"]] = out / page["href"]
        written[page["stem"]].write_text(render_page(node, page, navigation(pages, index), exporter), encoding="utf-8")
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False)
    mathjax = environment.get_template("mathjax_offline.html.j2").module.mathjax_offline("static/mathjax")
    title, intro = course_heading(readme)
    timed = [p["run_seconds"] for p in pages if p["run_seconds"] is not None]
    shared = {"course_title": html.escape(title), "course_intro": intro, "pages": pages, "mathjax": mathjax,
              "nav": navigation(pages, None), "total_seconds": sum(timed) if timed else None,
              "settings_line": ", ".join(sorted({p["settings"] for p in pages if p["settings"]})) or "not executed",
              "full_run": full_run_section(full_run.load(full_results), pages)}
    for name in ("index", "results"):
        written[name] = out / f"{name}.html"
        written[name].write_text(environment.get_template(f"site_{name}.html.j2").render(**shared), encoding="utf-8")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN_*.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "executed")
    parser.add_argument("--no-execute", action="store_true", help="never run a notebook; use saved runs only")
    parser.add_argument("--no-slides", action="store_true", help="leave the slides out of the site")
    parser.add_argument("--full-results", type=Path, default=FULL_RUN,
                        help="the full-scale run's results file (default results/full-gpu.json, from make full-run)")
    parser.add_argument("--timeout", type=int, default=int(os.environ.get("CELL_TIMEOUT", "600")),
                        help="seconds per cell when executing")
    args = parser.parse_args(argv)
    for key, value in DEFAULT_ENV.items():
        os.environ.setdefault(key, value)
    started = time.perf_counter()
    try:
        written = build(args.notebooks or notebooks_in(NOTEBOOKS), args.out, args.executed,
                        run=not args.no_execute, timeout=args.timeout, slides=not args.no_slides,
                        full_results=args.full_results)
    except (assets.AssetError, ValueError, FileNotFoundError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"site: {args.out / 'index.html'} ({len(written)} pages) in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
