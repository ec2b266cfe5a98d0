"""Playground of notebook 06: type an email, see the fine-tuned classifier's verdict, its confidence,
and which tokens pushed it there.

    from helpers.playgrounds.classifier import classifier_playground, classify_view
    view = classify_view("WIN a FREE prize now!!!", model, tokenizer)   # one forward pass (+ one backward)
    view.predicted, view.probabilities                                    # softmax of the model's logits
    classifier_playground(model, tokenizer)                               # a text box, in JupyterLab

The token scores are ``helpers.attribution.gradient_x_input`` towards the predicted class (notebook
10 explains them): positive = pushed towards the prediction, negative = pushed against it.
"""
from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as widgets
import torch

from ..attribution import gradient_x_input
from ..course.validation import require_bool, require_int, require_model, require_str, require_tokenizer
from . import markup
from .core import Playground

DEFAULT_EMAIL = ("Congratulations! You have been selected to receive a FREE vacation. "
                 "Click here now to claim your prize, this offer expires today!")


@dataclass(frozen=True)
class ClassifyView:
    """One text's prediction: class names, logits, softmax probabilities, and each token's push.

    Not taught: a record that classify_view returns.
    """
    text: str
    labels: tuple[str, ...]
    logits: tuple[float, ...]
    probabilities: tuple[float, ...]        # softmax(logits)
    tokens: tuple[str, ...]                 # the tokens the model read (after truncation), special ones included
    scores: tuple[float, ...]               # gradient x input towards the predicted class, one per token; () if off
    truncated: bool                         # the text was longer than max_length tokens

    @property
    def predicted(self) -> str:
        return self.labels[max(range(len(self.probabilities)), key=self.probabilities.__getitem__)]

    @property
    def confidence(self) -> float:
        return max(self.probabilities)

    def top_tokens(self, k: int = 5) -> list[tuple[str, float]]:
        """The k tokens that pushed hardest towards the prediction (positive scores only, special tokens left out)."""
        ranked = sorted(((s, i) for i, s in enumerate(self.scores) if 0 < i < len(self.scores) - 1 and s > 0),
                        reverse=True)
        return [(self.tokens[i], s) for s, i in ranked[:k]]


def classify_view(text: str, model: torch.nn.Module, tokenizer, max_length: int = 128,
                  explain: bool = True) -> ClassifyView:
    """The classifier's probabilities for ``text`` (cut to ``max_length`` tokens), and, if ``explain``,
    each token's gradient x input towards the predicted class (one extra backward pass).

    Taught in: notebook 06, section 8.
    """
    text = require_str("text", text, empty=True)
    if not text.strip():
        raise ValueError("text must hold an email to classify, got an empty box")
    model = require_model("model", model)
    tokenizer = require_tokenizer("tokenizer", tokenizer)
    max_length = require_int("max_length", max_length, 3)
    explain = require_bool("explain", explain)
    inputs = tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt")
    full_length = len(tokenizer(text)["input_ids"])
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(**{k: v.to(device) for k, v in inputs.items()}).logits[0].float().cpu()  # (C,)
    finally:
        model.train(was_training)
    probs = logits.softmax(dim=-1)  # (C,)
    scores = gradient_x_input(model, inputs)[0].tolist() if explain else []  # (T,)
    names = getattr(model.config, "id2label", None) or {}
    labels = tuple(str(names.get(i, f"class {i}")) for i in range(len(probs)))
    tokens = tuple(tokenizer.convert_ids_to_tokens(inputs["input_ids"][0].tolist()))
    return ClassifyView(text, labels, tuple(logits.tolist()), tuple(probs.tolist()), tokens, tuple(scores),
                        full_length > max_length)


def _token_strip(view: ClassifyView) -> str:
    """The tokens, shaded green where they pushed towards the prediction, red where against."""
    biggest = max((abs(s) for s in view.scores[1:-1]), default=0.0) or 1.0
    spans = []
    for token, score in zip(view.tokens[1:-1], view.scores[1:-1]):
        alpha = min(1.0, abs(score) / biggest)
        colour = f"rgba(44,160,44,{alpha:.2f})" if score > 0 else f"rgba(214,39,40,{alpha:.2f})"
        spans.append(f'<span style="background:{colour};padding:0 2px;margin:1px;display:inline-block" '
                     f'title="{score:+.3f}">{html.escape(token)}</span>')
    return f'<div style="line-height:1.8;font-family:monospace">{"".join(spans)}</div>'


def classify_html(view: ClassifyView) -> str:
    """The verdict, a bar per class (softmax probability) and, if scored, the tokens that pushed it.

    Not taught: drawn by classifier_playground.
    """
    if not isinstance(view, ClassifyView):
        raise TypeError(f"view must be a ClassifyView (from classify_view), got {type(view).__name__}")
    parts = [f"<p><b>prediction: {html.escape(view.predicted)}</b> (confidence {view.confidence:.3f})</p>"]
    parts += [markup.bar(label, p) for label, p in zip(view.labels, view.probabilities)]
    if view.truncated:
        parts.append(f"<p><i>Only the first {len(view.tokens)} tokens were read (the rest was cut, as in training).</i></p>")
    if view.scores:
        top = view.top_tokens()
        parts.append(f"<p>Tokens that pushed hardest towards <b>{html.escape(view.predicted)}</b> "
                     "(gradient x input; green = towards, red = against):</p>")
        if top:
            parts.append(markup.table([[token, score] for token, score in top], ["token", "score"]))
        parts.append(_token_strip(view))
    return "".join(parts)


def classifier_playground(model: torch.nn.Module, tokenizer, *, text: str = DEFAULT_EMAIL, max_length: int = 128,
                          explain: bool = True, title: str = "Spam filter: type an email") -> Playground:
    """A text box over ``classify_view``, run once per edit (when you click outside the box), not per keystroke.

    Taught in: notebook 06, section 8.
    """
    # bad arguments fail here, not inside the widget (a bad text is the learner's to fix: shown as a sentence)
    require_model("model", model)
    require_tokenizer("tokenizer", tokenizer)
    require_str("text", text, empty=True)
    require_int("max_length", max_length, 3)
    require_bool("explain", explain)
    box = widgets.Textarea(value=text, description="text", continuous_update=False,
                           layout=widgets.Layout(width="95%", height="90px"))

    def update(text: str) -> str:
        return classify_html(classify_view(text, model, tokenizer, max_length, explain))

    return Playground(title, {"text": box}, update)
