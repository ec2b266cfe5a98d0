"""Classification metrics (from scikit-learn) and their pictures.

    from helpers.metrics import classification_metrics, plot_confusion_matrix
    m = classification_metrics(labels, predictions, names=["ham", "spam"])
    m["accuracy"], m["f1_macro"], m["per_class"]["spam"]["recall"], m["confusion"]
    plot_confusion_matrix(m["confusion"], ["ham", "spam"])

Accuracy alone hides what a classifier does with the rare class: a model that says
"ham" to every email is right 70% of the time on SpamAssassin. Macro F1 averages the
F1 of each class with equal weight, so that model gets F1 0 for spam and a macro F1
near 0.41. ``majority_predictions`` is that baseline.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Sequence

import numpy as np


def _as_labels(values: Any, name: str) -> np.ndarray:
    array = np.asarray(values.cpu() if hasattr(values, "cpu") else values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-d sequence of class ids, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer class ids, got dtype {array.dtype}")
    return array


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int],
                           names: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro and per-class precision/recall/F1, and the confusion matrix.

    ``confusion[i][j]`` counts examples of true class i predicted as class j.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    truth, predicted = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    if truth.shape != predicted.shape or truth.size == 0:
        raise ValueError(f"y_true and y_pred must be non-empty and of the same length, "
                         f"got {truth.size} and {predicted.size}")
    labels = list(range(len(names)))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, predicted, labels=labels, zero_division=0)
    per_class = {name: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
                 for name, p, r, f, s in zip(names, precision, recall, f1, support)}
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "precision_macro": float(np.mean(precision)),
        "recall_macro": float(np.mean(recall)),
        "f1_macro": float(np.mean(f1)),
        "per_class": per_class,
        "confusion": confusion_matrix(truth, predicted, labels=labels).tolist(),
    }


def majority_predictions(train_labels: Sequence[int], n: int) -> list[int]:
    """The majority-class baseline: the most frequent training label, ``n`` times."""
    counts = Counter(int(label) for label in _as_labels(train_labels, "train_labels"))
    if not counts:
        raise ValueError("train_labels is empty: the majority class is undefined")
    majority = max(sorted(counts), key=counts.__getitem__)  # ties: the smallest id
    return [majority] * n


def plot_confusion_matrix(confusion: Sequence[Sequence[int]], names: Sequence[str], ax=None,
                          title: str = "Confusion matrix"):
    """Counts per (true, predicted) class, with each cell's count and row share written in."""
    import matplotlib.pyplot as plt

    counts = np.asarray(confusion)
    if counts.shape != (len(names), len(names)):
        raise ValueError(f"confusion must be {len(names)} x {len(names)} for {len(names)} names, "
                         f"got shape {counts.shape}")
    ax = ax or plt.subplots(figsize=(3.8, 3.4))[1]
    ax.imshow(counts, cmap="Blues")
    rows = counts.sum(axis=1, keepdims=True).clip(min=1)
    for i in range(len(names)):
        for j in range(len(names)):
            dark = counts[i, j] > counts.max() / 2
            ax.text(j, i, f"{counts[i, j]}\n({counts[i, j] / rows[i, 0]:.1%})", ha="center", va="center",
                    color="white" if dark else "black")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    ax.set_title(title)
    return ax


def plot_metric_bars(results: dict[str, dict[str, float]], metrics: Sequence[str] = ("accuracy", "f1_macro"),
                     ax=None, title: str = "Validation metrics", floor: float | None = None):
    """Grouped bars: one group per run (``results[run][metric]``), one bar per metric."""
    import matplotlib.pyplot as plt

    if not results:
        raise ValueError("results is empty: nothing to plot")
    ax = ax or plt.subplots(figsize=(9, 3.6))[1]
    runs = list(results)
    width = 0.8 / len(metrics)
    for k, metric in enumerate(metrics):
        x = np.arange(len(runs)) + (k - (len(metrics) - 1) / 2) * width
        ax.bar(x, [100 * results[run][metric] for run in runs], width=width, label=metric)
    ax.set_xticks(range(len(runs)), runs, rotation=20, ha="right")
    ax.set_ylabel("score (%)")
    if floor is not None:
        ax.set_ylim(100 * floor, 100)
    ax.set_title(title)
    ax.legend()
    return ax
