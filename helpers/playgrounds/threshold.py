"""Notebook 10's playground: a decision threshold (and a temperature) over a held-out set's probabilities.

A binary classifier gives each example a probability ``p`` of the positive class (spam); the
notebook's predictions say "positive" when ``p > 0.5`` (the arg-max of two classes). Move the
threshold and precision, recall and F1 of the positive class move against each other; the
confusion-matrix counts show which errors were traded. A temperature ``T`` rescales the log-odds,
``p_T = sigmoid(logit(p) / T)`` (softmax(z / T) for two classes): it changes the confidences and
the calibration error but leaves the predictions at the threshold 0.5 as they are.

    view = threshold_view(spam_probability, labels, threshold=0.9)   # numbers, no widget
    threshold_playground(spam_probability, labels, names=("ham", "spam"))  # the live widget

The metrics are ``helpers.metrics.classification_metrics`` (scikit-learn's, with
``zero_division=0``: no predicted positive gives precision 0, not an error).
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..calibration import expected_calibration_error
from ..course.validation import require_bool, require_number, require_sequence, require_strings
from ..metrics import classification_metrics
from . import markup
from .core import Playground

CURVE_POINTS = 101  # thresholds 0.00, 0.01, ..., 1.00 on the picture
_EPS = 1e-12        # probabilities are clipped to [eps, 1 - eps] before their log-odds are taken


@dataclass(frozen=True)
class ThresholdView:
    """The positive class's scores at one threshold and temperature.

    Not taught: the record threshold_view returns.
    """
    threshold: float
    temperature: float
    default_threshold: float
    names: tuple[str, str]
    tp: int
    fp: int
    fn: int
    tn: int
    precision: float
    recall: float
    f1: float
    ece: float                    # expected calibration error (10 bins) of the tempered probabilities
    thresholds: np.ndarray        # (CURVE_POINTS,) the picture's thresholds
    curve: np.ndarray             # (CURVE_POINTS, 3) precision, recall, F1 at each of them


def _scores_and_labels(scores: Any, labels: Any) -> tuple[np.ndarray, np.ndarray]:
    require_sequence("scores", scores, min_length=1)
    require_sequence("labels", labels, min_length=1)
    p = np.asarray(scores.detach().cpu() if hasattr(scores, "detach") else scores)
    y = np.asarray(labels.detach().cpu() if hasattr(labels, "detach") else labels)
    if p.ndim != 1:
        raise ValueError(f"scores must be 1-d (one probability of the positive class per example), got shape {p.shape}")
    if y.shape != p.shape:
        raise ValueError(f"labels must have one entry per score, expected shape {p.shape}, got {y.shape}")
    if not np.issubdtype(p.dtype, np.number) or not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("scores must be probabilities between 0 and 1 (the positive class's column of "
                         f"predict_proba), got values from {p.min()!r} to {p.max()!r}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"labels must hold 0 (negative) or 1 (positive), got values such as {sorted(set(y.tolist()))[:4]}")
    return p.astype(np.float64), y.astype(np.int64)


def _tempered(p: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities of the positive class after temperature scaling: ``sigmoid(logit(p) / T)``.

    For two classes this is ``softmax(z / T)`` of the logits z: T > 1 pulls every probability
    towards 0.5, T < 1 pushes it towards 0 or 1; T = 1 changes nothing, and 0.5 stays 0.5.
    """
    clipped = np.clip(p, _EPS, 1 - _EPS)
    log_odds = np.log(clipped) - np.log1p(-clipped)
    return 1.0 / (1.0 + np.exp(-log_odds / temperature))


def _curve(p: np.ndarray, y: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """(len(thresholds), 3) precision, recall, F1 of the positive class for "positive when p > t"."""
    flagged = p[None, :] > thresholds[:, None]                     # (K, N)
    tp = (flagged & (y[None, :] == 1)).sum(axis=1).astype(np.float64)
    fp = (flagged & (y[None, :] == 0)).sum(axis=1)
    fn = (y == 1).sum() - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 0.0)
        recall = np.where(tp + fn > 0, tp / (tp + fn), 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    return np.stack([precision, recall, f1], axis=1)


def threshold_view(scores: Any, labels: Any, threshold: float = 0.5, temperature: float = 1.0, *,
                   default_threshold: float = 0.5, names: Sequence[str] = ("negative", "positive")) -> ThresholdView:
    """Precision, recall, F1 and the confusion counts of the positive class when an example is called
    positive if its (tempered) probability is above ``threshold``; the ECE of the tempered
    probabilities; and the precision/recall/F1 curve over thresholds 0 to 1.

    ``scores``: (N,) probabilities of the positive class (``probs[:, 1]``); ``labels``: (N,) 0 or 1.
    A threshold at or above every score flags nothing: precision, recall and F1 are 0 (scikit-learn's
    ``zero_division=0``, as the notebook's ``precision_score(..., zero_division=0)``).

    Taught in: notebook 10, section 4.
    """
    p, y = _scores_and_labels(scores, labels)
    threshold = require_number("threshold", threshold, 0.0, 1.0)
    temperature = require_number("temperature", temperature, above=0.0)
    default_threshold = require_number("default_threshold", default_threshold, 0.0, 1.0)
    names = tuple(require_strings("names", names))
    if len(names) != 2:
        raise ValueError(f"names must hold two class names (negative, positive), got {len(names)}")
    q = _tempered(p, temperature)                                    # (N,)
    predicted = (q > threshold).astype(np.int64)                   # (N,) 1 = positive
    metrics = classification_metrics(y, predicted, names=list(names))
    (tn, fp), (fn, tp) = metrics["confusion"]
    positive = metrics["per_class"][names[1]]
    confidence = np.maximum(q, 1 - q)                              # the arg-max class's probability
    ece = expected_calibration_error(confidence, (q > 0.5) == (y == 1), n_bins=10)
    grid = np.linspace(0.0, 1.0, CURVE_POINTS)
    return ThresholdView(threshold, temperature, default_threshold, names, int(tp), int(fp), int(fn), int(tn),
                         positive["precision"], positive["recall"], positive["f1"], ece, grid, _curve(q, y, grid))


def _svg_curve(view: ThresholdView, width: int = 320, height: int = 150) -> str:
    """Precision, recall and F1 against the threshold, with the current and the default threshold marked."""
    x = lambda t: 30 + t * (width - 40)            # noqa: E731  threshold -> pixels
    yy = lambda v: 10 + (1 - v) * (height - 30)     # noqa: E731  score -> pixels
    lines = []
    for column, (label, colour) in enumerate((("precision", "#1f77b4"), ("recall", "#d62728"), ("F1", "#2ca02c"))):
        points = " ".join(f"{x(t):.1f},{yy(v):.1f}" for t, v in zip(view.thresholds, view.curve[:, column]))
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>'
                     f'<text x="{width - 8}" y="{12 + 12 * column}" font-size="10" text-anchor="end" '
                     f'fill="{colour}">{label}</text>')
    marks = (f'<line x1="{x(view.default_threshold):.1f}" y1="10" x2="{x(view.default_threshold):.1f}" '
             f'y2="{height - 20}" stroke="#888" stroke-dasharray="3,3"/>'
             f'<line x1="{x(view.threshold):.1f}" y1="10" x2="{x(view.threshold):.1f}" y2="{height - 20}" '
             f'stroke="#000" stroke-width="1.5"/>')
    axes = (f'<line x1="30" y1="{height - 20}" x2="{width - 10}" y2="{height - 20}" stroke="#444"/>'
            f'<line x1="30" y1="10" x2="30" y2="{height - 20}" stroke="#444"/>'
            f'<text x="30" y="{height - 6}" font-size="10">0</text>'
            f'<text x="{width - 14}" y="{height - 6}" font-size="10">1</text>'
            f'<text x="{width / 2:.0f}" y="{height - 6}" font-size="10" text-anchor="middle">threshold</text>'
            f'<text x="4" y="14" font-size="10">1</text><text x="4" y="{height - 20}" font-size="10">0</text>')
    return (f'<svg width="{width}" height="{height}" role="img" aria-label="precision, recall and F1 against '
            f'the threshold">{axes}{"".join(lines)}{marks}</svg>')


def threshold_html(view: ThresholdView) -> str:
    """A threshold view as HTML: the scores as bars, the confusion counts, the curve with both thresholds marked.

    Not taught: the HTML the playground of notebook 10, section 4 shows.
    """
    if not isinstance(view, ThresholdView):
        raise TypeError(f"view must be a ThresholdView (from threshold_view), got {type(view).__name__}")
    positive = html.escape(view.names[1])
    flagged = view.tp + view.fp
    head = (f"<p style=\"margin:2px 0\">{positive} when its probability (temperature {view.temperature:.2f}) is "
            f"above <b>{view.threshold:.2f}</b> (the notebook's default: {view.default_threshold:.2f}, dashed): "
            f"{flagged} of {flagged + view.fn + view.tn} flagged.</p>")
    bars = "".join(markup.bar(f"{name} of {view.names[1]}", value)
                   for name, value in (("precision", view.precision), ("recall", view.recall), ("F1", view.f1)))
    confusion = markup.table([[f"true {view.names[0]}", view.tn, view.fp], [f"true {view.names[1]}", view.fn, view.tp]],
                             ["", f"predicted {view.names[0]}", f"predicted {view.names[1]}"])
    ece = f'<p style="margin:2px 0">ECE (10 bins) of the probabilities at this temperature: {view.ece:.3f}</p>'
    return f'{head}<div style="display:flex;gap:16px;align-items:flex-start"><div>{bars}{confusion}{ece}</div>' \
           f'{_svg_curve(view)}</div>'


def threshold_playground(scores: Any, labels: Any, *, names: Sequence[str] = ("negative", "positive"),
                         default_threshold: float = 0.5, with_temperature: bool = True) -> Playground:
    """A threshold slider (and, with ``with_temperature=True``, a temperature slider) over held-out
    probabilities of the positive class and their labels, showing precision, recall, F1 and the
    confusion counts; the notebook's default threshold is marked on the curve.

    Taught in: notebook 10, section 4.
    """
    import ipywidgets as widgets

    p, y = _scores_and_labels(scores, labels)  # checked once, here, so a slider never meets bad data
    default_threshold = require_number("default_threshold", default_threshold, 0.0, 1.0)
    threshold_view(p[:1], y[:1], names=names)  # checks names
    controls: dict[str, Any] = {"threshold": widgets.FloatSlider(
        value=default_threshold, min=0.0, max=1.0, step=0.01, description="threshold",
        continuous_update=True, readout_format=".2f", layout=widgets.Layout(width="420px"))}
    if require_bool("with_temperature", with_temperature):
        controls["temperature"] = widgets.FloatSlider(
            value=1.0, min=0.2, max=5.0, step=0.1, description="temperature", continuous_update=True,
            readout_format=".1f", layout=widgets.Layout(width="420px"))

    def update(threshold: float, temperature: float = 1.0) -> str:
        return threshold_html(threshold_view(p, y, threshold, temperature,
                                             default_threshold=default_threshold, names=names))

    title = f"Decision threshold: precision, recall and F1 of {names[1]}"
    return Playground(title, controls, update)
