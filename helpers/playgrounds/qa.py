"""Notebook 08's playground: type a context and a question, see the answer span the QA model points at.

    view = qa_view(question, context, model, tokenizer, max_length=cfg.qa.max_length, stride=cfg.qa.stride)
    view.answer, view.confidence, view.candidates, view.null_score    # the numbers the playground shows
    qa_playground(model, tokenizer, question=..., context=..., max_length=..., stride=...)  # the widget

Nothing here decodes spans on its own: the context goes through ``qa.prepare_eval_features`` (the
windows of section 2), ``qa.predict_logits`` runs the model, ``qa.postprocess`` picks the answer,
``qa.best_spans`` lists each window's candidates, and ``qa_v2.null_candidates`` gives the null score
of section 8. The confidence is section 1's definition, ``P(start=j) * P(end=k)`` with each a softmax
over the window's tokens ([CLS] included): ``exp(s_j + e_k - logsumexp(s) - logsumexp(e))``.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from transformers import DataCollatorWithPadding

from .. import qa, qa_v2
from ..course.validation import require_instance, require_int, require_module, require_str, require_tokenizer
from . import markup
from .core import Playground

DEFAULT_CONTEXT = ("The storm hit Sydney on Monday night. About 500 residents left their homes in Hill Top, "
                   "and the fire service said 12 houses had been destroyed.")
DEFAULT_QUESTION = "How many residents left their homes?"
_ID = "playground"  # the one question's id in the columns handed to helpers.qa


@dataclass(frozen=True)
class SpanCandidate:
    """One candidate answer span: its text, characters [start, end), its window, s_j + e_k and P(start) P(end).

    Not taught: a row of QAView.candidates.
    """
    text: str
    start: int
    end: int
    window: int
    score: float
    probability: float


@dataclass(frozen=True)
class QAView:
    """What the QA playground shows for one context and question.

    Not taught: the record qa_view returns (the notebook reads its fields).
    """
    question: str
    context: str
    answer: str                        # qa.postprocess's answer ("" when no window has a legal span)
    start: int                         # the answer's characters in the context: context[start:end] == answer
    end: int
    score: float                       # its s_j + e_k (-inf when there is no legal span)
    confidence: float                  # its P(start=j) * P(end=k) in its window (0 when there is none)
    candidates: tuple[SpanCandidate, ...]  # the top-k distinct spans over all windows, best score first
    null_score: float                  # s_0 + e_0 of [CLS], the smallest over the windows (qa_v2)
    windows: int                       # how many windows the context was cut into


def qa_view(question: str, context: str, model, tokenizer, *, max_length: int, stride: int, n_best: int = 20,
            max_answer_tokens: int = 30, top_k: int = 5) -> QAView:
    """The answer ``model`` points at for ``question`` over ``context``, its confidence, the ``top_k``
    candidate spans and the null score, through the course's windows and post-processing.

    Taught in: notebook 08, section 6.
    """
    question = require_str("question", question)
    context = require_str("context", context)
    require_module("model", model)
    require_tokenizer("tokenizer", tokenizer)
    require_int("top_k", top_k, minimum=1)
    examples = {"id": [_ID], "question": [question], "context": [context]}
    features = qa.prepare_eval_features(examples, tokenizer, max_length, stride)  # checks max_length, stride
    starts, ends = qa.predict_logits(model, features, DataCollatorWithPadding(tokenizer))  # (W, T), (W, T)
    answer = qa.postprocess(examples, features, starts, ends, n_best, max_answer_tokens)[_ID]
    null = qa_v2.null_candidates(examples, features, starts, ends, n_best, max_answer_tokens)[_ID]
    ranked = _candidates(context, features, starts, ends, n_best, max_answer_tokens)
    if ranked:
        best = ranked[0]
        return QAView(question, context, answer, best.start, best.end, best.score, best.probability,
                      tuple(ranked[:top_k]), null.null, len(starts))
    return QAView(question, context, answer, 0, 0, -np.inf, 0.0, (), null.null, len(starts))


def _candidates(context: str, features: dict, starts: np.ndarray, ends: np.ndarray, n_best: int,
                max_answer_tokens: int) -> list[SpanCandidate]:
    """qa.best_spans of every window, each span once (its best window), best score first."""
    found: dict[tuple[int, int], SpanCandidate] = {}
    for w in range(len(starts)):
        norm = _logsumexp(starts[w]) + _logsumexp(ends[w])  # log of the softmaxes' denominators
        for score, a, b in qa.best_spans(starts[w], ends[w], features["offset_mapping"][w], n_best, max_answer_tokens):
            if (a, b) not in found or score > found[(a, b)].score:  # windows overlap: a span can appear twice
                found[(a, b)] = SpanCandidate(context[a:b], a, b, w, score, float(np.exp(score - norm)))
    return sorted(found.values(), key=lambda c: -c.score)


def _logsumexp(logits: np.ndarray) -> float:
    """log sum exp over a window's tokens (padding holds -inf and adds nothing)."""
    top = float(np.max(logits))
    return top + float(np.log(np.sum(np.exp(logits.astype(np.float64) - top))))


def qa_html(view: QAView) -> str:
    """The context with the answer highlighted, its confidence, the candidates' table and the null score.

    Not taught: the HTML layer of qa_playground.
    """
    require_instance("view", view, QAView, "a QAView (qa_view)")
    parts = [f"<p style=\"margin:2px 0\"><b>Q:</b> {html.escape(view.question)}</p>",
             f'<div style="margin:4px 0;line-height:1.5">{markup.highlight(view.context, view.start, view.end)}</div>']
    if not view.candidates:
        parts.append("<p>No legal span in any window: the answer is empty.</p>")
        return "".join(parts)
    parts.append(f"<p style=\"margin:2px 0\"><b>Answer:</b> “{html.escape(view.answer)}” "
                 f"(s + e = {view.score:.2f}; {view.windows} window{'s' if view.windows > 1 else ''})</p>")
    parts.append(markup.bar("confidence P(start) · P(end)", min(view.confidence, 1.0)))
    rows = [(rank + 1, c.text, c.window, c.score, c.probability) for rank, c in enumerate(view.candidates)]
    parts.append(markup.table(rows, ["rank", "span", "window", "s_j + e_k", "P(start) · P(end)"]))
    parts.append(f"<p style=\"margin:2px 0\">null score s₀ + e₀ ([CLS], section 8) = {view.null_score:.2f} vs best span "
                 f"{view.score:.2f}: null − best = {view.null_score - view.score:.2f} "
                 f"({'the span wins' if view.null_score < view.score else 'the [CLS] span wins: no answer?'})</p>")
    return "".join(parts)


def qa_playground(model, tokenizer, *, max_length: int, stride: int, question: str = DEFAULT_QUESTION,
                  context: str = DEFAULT_CONTEXT, n_best: int = 20, max_answer_tokens: int = 30,
                  top_k: int = 5) -> Playground:
    """A context box and a question box; the output is ``qa_html(qa_view(...))`` (one forward pass per edit).

    Taught in: notebook 08, section 6.
    """
    require_module("model", model)
    require_tokenizer("tokenizer", tokenizer)
    require_str("question", question)
    require_str("context", context)
    require_int("max_length", max_length, minimum=16)
    require_int("stride", stride, minimum=0, maximum=max_length // 2 - 1)  # the windows of qa.prepare_eval_features
    require_int("top_k", top_k, minimum=1)
    controls = {
        "context": widgets.Textarea(value=context, description="Context", continuous_update=False,
                                    layout=widgets.Layout(width="95%", height="9em")),
        "question": widgets.Text(value=question, description="Question", continuous_update=False,
                                 layout=widgets.Layout(width="95%")),
    }

    def update(context: str, question: str) -> str:
        return qa_html(qa_view(question, context, model, tokenizer, max_length=max_length, stride=stride,
                               n_best=n_best, max_answer_tokens=max_answer_tokens, top_k=top_k))

    return Playground("Extractive QA: where does the model point?", controls, update)
