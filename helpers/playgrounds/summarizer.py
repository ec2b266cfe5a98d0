"""Notebook 09's playground: a document in, the fine-tuned model's summary out, under a decoding setting.

Type or paste a document, pick one of section 7's decoding settings (greedy, greedy without a
repeated bigram, greedy with a minimum length, beam search ...) and see the summary, its length,
its share of repeated word bigrams and 3-grams (``helpers.decoding.repeated_ngram_rate``), and its
ROUGE against a reference summary when one is typed, else against the document's lead sentence
(the lead-1 baseline of section 3: then ROUGE says how close the summary stays to the opening).

    view = summary_view(document, model, tokenizer, settings=settings, decoding="greedy", decode=decode)
    summarizer_playground(model, tokenizer, settings=settings, decode=decode, document=..., reference=...)

``settings`` maps a name to ``model.generate`` arguments and ``decode`` holds the arguments every
call shares (``max_source_length``, ``max_new_tokens``, ``prefix``): the notebook's own
``sweep_settings`` and ``decode_settings``, passed to ``helpers.seq2seq.generate`` unchanged.
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Mapping

from ..course.validation import require_model, require_str, require_tokenizer
from ..data.summarization import lead
from ..decoding import repeated_ngram_rate
from ..seq2seq import generate
from ..seq2seq_metrics import rouge_scores
from . import markup
from .core import Playground

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


@dataclass(frozen=True)
class SummaryView:
    """One document's summary under one decoding setting, and its measurements.

    Not taught: the record summary_view returns.
    """
    document: str
    decoding: str
    summary: str
    words: int
    repeated_bigrams: float    # share (0-1) of the summary's word bigrams that repeat an earlier one
    repeated_trigrams: float   # the same for word 3-grams
    reference: str             # what ROUGE compared with
    reference_kind: str        # "reference" (typed) or "lead sentence" (none typed: the document's first sentence)
    rouge: tuple[tuple[str, float], ...]  # (("rouge1", F1 0-100), ("rouge2", ...), ("rougeL", ...))


def _check_settings(settings: Any, decode: Any) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    if not isinstance(settings, Mapping) or not all(isinstance(v, Mapping) for v in settings.values()):
        raise TypeError(f"settings must map a decoding name to a dict of generate() arguments, got {type(settings).__name__}")
    if not settings:
        raise ValueError("settings must hold at least one decoding setting, got an empty dict")
    if not isinstance(decode, Mapping):
        raise TypeError(f"decode must be a dict of the arguments every generate() call shares "
                        f"(max_source_length, max_new_tokens, prefix), got {type(decode).__name__}")
    missing = sorted({"max_source_length", "max_new_tokens"} - set(decode))
    if missing:
        raise ValueError(f"decode must hold max_source_length and max_new_tokens, got no {', '.join(missing)}")
    return {name: dict(kwargs) for name, kwargs in settings.items()}, dict(decode)


def summary_view(document: str, model, tokenizer, *, settings: Mapping[str, Mapping[str, Any]], decoding: str,
                 decode: Mapping[str, Any], reference: str = "") -> SummaryView:
    """The model's summary of ``document`` decoded with ``settings[decoding]`` (plus ``decode``), its
    length in words, its repeated bigrams and 3-grams, and its ROUGE F1 (0-100, rouge-score with
    stemming) against ``reference``, or against the document's lead sentence when ``reference`` is empty.

    Taught in: notebook 09, section 7.
    """
    document = require_str("document", document)
    settings, decode = _check_settings(settings, decode)
    decoding = require_str("decoding", decoding, choices=list(settings))
    reference = require_str("reference", reference, empty=True).strip()
    require_model("model", model)
    require_tokenizer("tokenizer", tokenizer)
    shared = {k: v for k, v in decode.items() if k != "batch_size"}
    summary = generate(model, tokenizer, [document], batch_size=1, **shared, **settings[decoding])[0]
    kind = "reference" if reference else "lead sentence"
    compared = reference or lead(document, 1)
    scores = rouge_scores([summary], [compared], rouge_types=ROUGE_TYPES)
    return SummaryView(document, decoding, summary, len(summary.split()), repeated_ngram_rate(summary, 2),
                       repeated_ngram_rate(summary, 3), compared, kind, tuple((t, scores[t]) for t in ROUGE_TYPES))


def summary_html(view: SummaryView) -> str:
    """A summary view as HTML: the summary, then a table of its length, repetition and ROUGE.

    Not taught: the HTML the playground of notebook 09, section 7 shows.
    """
    if not isinstance(view, SummaryView):
        raise TypeError(f"view must be a SummaryView (from summary_view), got {type(view).__name__}")
    summary = html.escape(view.summary) if view.summary else "<i>(an empty summary)</i>"
    rouge = dict(view.rouge)
    rows = [["words", view.words], ["repeated bigrams (%)", f"{100 * view.repeated_bigrams:.1f}"],
            ["repeated 3-grams (%)", f"{100 * view.repeated_trigrams:.1f}"],
            *[[f"{name.upper().replace('ROUGE', 'ROUGE-')} F1 vs {view.reference_kind}", f"{rouge[name]:.1f}"]
              for name in ROUGE_TYPES]]
    against = ("the reference" if view.reference_kind == "reference"
               else "the document's lead sentence (no reference given)")
    return (f'<p style="margin:2px 0">Summary ({html.escape(view.decoding)}):</p>'
            f'<div style="border-left:3px solid #1f77b4;padding:2px 8px;margin:4px 0;font-size:1.05em">{summary}</div>'
            f"{markup.table(rows, ['measure', 'value'])}"
            f'<p style="margin:2px 0;color:#555">ROUGE against {against}: <i>{html.escape(view.reference)}</i></p>')


def summarizer_playground(model, tokenizer, *, settings: Mapping[str, Mapping[str, Any]],
                          decode: Mapping[str, Any], document: str, reference: str = "",
                          decoding: str | None = None) -> Playground:
    """A document box, a decoding choice (``settings``' names) and an optional reference box, wired to
    ``summary_view``: each edit decodes the document once (the boxes update when they lose focus).

    Taught in: notebook 09, section 7.
    """
    import ipywidgets as widgets

    settings, decode = _check_settings(settings, decode)
    document = require_str("document", document)
    reference = require_str("reference", reference, empty=True)
    decoding = require_str("decoding", decoding if decoding is not None else next(iter(settings)),
                           choices=list(settings))
    require_model("model", model)
    require_tokenizer("tokenizer", tokenizer)
    controls = {
        "document": widgets.Textarea(value=document, description="document", continuous_update=False,
                                     layout=widgets.Layout(width="95%", height="110px")),
        "decoding": widgets.Dropdown(options=list(settings), value=decoding, description="decoding",
                                     layout=widgets.Layout(width="480px")),
        "reference": widgets.Text(value=reference, description="reference", continuous_update=False,
                                  placeholder="optional: a reference summary (empty: ROUGE against the lead sentence)",
                                  layout=widgets.Layout(width="95%")),
    }
    seen: dict[tuple[str, str, str], str] = {}  # a render repeats the last settings (widget, then static copy)

    def update(document: str, decoding: str, reference: str) -> str:
        key = (document, decoding, reference)
        if key not in seen:
            seen.clear()
            seen[key] = summary_html(summary_view(document, model, tokenizer, settings=settings,
                                                  decoding=decoding, decode=decode, reference=reference))
        return seen[key]

    return Playground("Summarizer: the fine-tuned model under a decoding setting", controls, update)
