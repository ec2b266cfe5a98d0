"""Classification metrics (from scikit-learn) and their pictures.

    from helpers.metrics import classification_metrics, plot_confusion_matrix
    m = classification_metrics(labels, predictions, names=["ham", "spam"])
    m["accuracy"], m["f1_macro"], m["per_class"]["spam"]["recall"], m["confusion"]
    plot_confusion_matrix(m["confusion"], ["ham", "spam"])

Accuracy alone hides what a classifier does with the rare class: a model that says
"ham" to every email is right 70% of the time on SpamAssassin. Macro F1 averages the
F1 of each class with equal weight, so that model gets F1 0 for spam and a macro F1
near 0.41. ``majority_predictions`` is that baseline.

Extractive QA (notebook 08) is scored as SQuAD v1.1 is: ``normalize_answer`` (lowercase,
no punctuation, no articles, single spaces), then per question the ``exact_match`` and the
word-overlap ``token_f1`` against each gold answer, keeping the best; ``squad_scores``
averages them over the questions, in percent.
"""
from __future__ import annotations

import re
import string
from collections import Counter
from typing import Any, Sequence

import numpy as np

from .course.validation import require_int, require_sequence, require_str, require_strings


def _as_labels(values: Any, name: str) -> np.ndarray:
    require_sequence(name, values)  # of integer class ids
    array = np.asarray(values.cpu() if hasattr(values, "cpu") else values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-d sequence of class ids, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise ValueError(f"{name} must hold integer class ids, got dtype {array.dtype}")
    return array


def classification_metrics(y_true: Sequence[int], y_pred: Sequence[int],
                           names: Sequence[str]) -> dict[str, Any]:
    """Accuracy, macro and per-class precision/recall/F1, and the confusion matrix.

    ``confusion[i][j]`` counts examples of true class i predicted as class j. Every class in
    ``names`` counts in the macro averages, as scikit-learn's ``labels=`` does
    (``f1_score(y_true, y_pred, labels=range(len(names)), average="macro")``): a class that
    occurs in neither ``y_true`` nor ``y_pred`` gets precision, recall and F1 0 (scikit-learn's
    ``zero_division=0``, which its default ``"warn"`` also gives) and pulls the macro averages
    down. (Scikit-learn without ``labels`` averages over the classes present only, so a perfect
    run on data that lack a class scores 1.0 there and less here.) Notebooks 05 and 06 use it.

    Taught in: notebook 05, section 4.
    """
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    truth, predicted = _as_labels(y_true, "y_true"), _as_labels(y_pred, "y_pred")
    names = require_strings("names", names, min_length=1)
    if truth.size and (truth.min() < 0 or predicted.min() < 0 or max(truth.max(), predicted.max()) >= len(names)):
        raise ValueError(f"y_true and y_pred must hold class ids between 0 and {len(names) - 1} (one per name), "
                         f"got ids from {min(truth.min(), predicted.min())} to {max(truth.max(), predicted.max())}")
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
    """The majority-class baseline: the most frequent training label, ``n`` times.

    Taught in: notebook 05, section 4.
    """
    require_int("n", n, minimum=0)
    counts = Counter(int(label) for label in _as_labels(train_labels, "train_labels"))
    if not counts:
        raise ValueError("train_labels is empty: the majority class is undefined")
    majority = max(sorted(counts), key=counts.__getitem__)  # ties: the smallest id
    return [majority] * n


def plot_confusion_matrix(confusion: Sequence[Sequence[int]], names: Sequence[str], ax=None,
                          title: str = "Confusion matrix"):
    """Counts per (true, predicted) class, with each cell's count and row share written in.

    Taught in: notebook 05, section 6.
    """
    import matplotlib.pyplot as plt

    names = require_strings("names", names, min_length=1)
    require_str("title", title, empty=True)
    require_sequence("confusion", confusion)  # a square table of counts (a list of lists)
    counts = np.asarray(confusion)
    if counts.size and (not np.issubdtype(counts.dtype, np.number) or (counts < 0).any()):
        raise ValueError(f"confusion must hold non-negative counts, got {counts.dtype} values down to "
                         f"{counts.min() if np.issubdtype(counts.dtype, np.number) else 'non-numbers'}")
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


# --- extractive QA: SQuAD v1.1 exact match and F1 -------------------------------------------

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = frozenset(string.punctuation)


def normalize_answer(text: str) -> str:
    """SQuAD's official normalisation: lowercase, drop punctuation, drop the articles a/an/the,
    collapse whitespace (in that order, as in the v1.1 evaluation script).

    Not taught: a building block of this module's taught helpers.
    """
    require_str("text", text, empty=True)
    text = "".join(ch for ch in text.lower() if ch not in _PUNCTUATION)
    return " ".join(_ARTICLES.sub(" ", text).split())


def _check_pair(prediction: Any, gold: Any) -> None:
    require_str("prediction", prediction, empty=True)
    require_str("gold", gold, empty=True)


def exact_match(prediction: str, gold: str) -> float:
    """1.0 when prediction and gold are equal after ``normalize_answer``, else 0.0.

    Not taught: a building block of helpers.qa.
    """
    _check_pair(prediction, gold)
    return float(normalize_answer(prediction) == normalize_answer(gold))


def token_f1(prediction: str, gold: str) -> float:
    """F1 of the bags of normalised words of prediction and gold (0.0 when they share none).

    Not taught: a building block of helpers.qa.
    """
    _check_pair(prediction, gold)
    predicted, truth = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(predicted) & Counter(truth)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(predicted), common / len(truth)
    return 2 * precision * recall / (precision + recall)


def _best_over_golds(metric, prediction: str, golds: Sequence[str]) -> float:
    return max(metric(prediction, gold) for gold in golds)


_SQUAD_SCHEMA = "{'id': ..., 'answers': {'text': [...], 'answer_start': [...]}}"


def _id_and_golds(index: int, reference: Any) -> tuple[Any, list[str]]:
    """A references row's id and its list of gold answer texts, or one sentence naming the row."""
    if not hasattr(reference, "keys") or any(key not in reference for key in ("id", "answers")):
        missing = [key for key in ("id", "answers") if not hasattr(reference, "keys") or key not in reference]
        raise ValueError(f"references must be rows shaped like {_SQUAD_SCHEMA} (the datasets SQuAD schema), "
                         f"got row {index} without {' and '.join(map(repr, missing))}: {_short(reference)}")
    qid, answers = reference["id"], reference["answers"]
    if not hasattr(answers, "keys") or "text" not in answers:
        kind = "a list" if isinstance(answers, (list, tuple)) else f"a {type(answers).__name__}"
        raise ValueError(f"references must give answers as a dict of lists, {_SQUAD_SCHEMA} (the datasets "
                         f"SQuAD schema, not the SQuAD JSON's list of {{'text': ...}} dicts), got {kind} in row "
                         f"{index} ({qid!r}): {_short(answers)}")
    golds = answers["text"]
    if isinstance(golds, str) or not golds:
        raise ValueError(f"references must give every question a non-empty list of gold answers, got "
                         f"{golds!r} for {qid!r}")
    return qid, list(golds)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def squad_example_scores(predictions: dict[str, str], references: Sequence[dict[str, Any]]
                         ) -> list[dict[str, Any]]:
    """Per question: id, prediction, golds, exact match and F1 (each the best over its gold answers).

    Taught in: notebook 08, section 7.
    """
    if not isinstance(predictions, dict):
        raise TypeError(f"predictions must be a dict id -> answer text, got {type(predictions).__name__}")
    if isinstance(references, (str, dict)) or not hasattr(references, "__iter__"):
        raise TypeError(f"references must be a list (or dataset) of rows with id and answers, got "
                        f"{type(references).__name__}")
    rows = []
    for index, reference in enumerate(references):
        qid, golds = _id_and_golds(index, reference)
        if qid not in predictions:
            raise ValueError(f"predictions must hold an answer for every question id, got none for {qid!r} "
                             f"(row {index}); the official SQuAD v1.1 script scores it 0 (exact match and F1): "
                             f'give it "" to score it that way')
        prediction = predictions[qid]
        rows.append({"id": qid, "prediction": prediction, "golds": golds,
                     "exact_match": _best_over_golds(exact_match, prediction, golds),
                     "f1": _best_over_golds(token_f1, prediction, golds)})
    return rows


def squad_scores(predictions: dict[str, str], references: Sequence[dict[str, Any]]) -> dict[str, float]:
    """SQuAD v1.1 ``exact_match`` and ``f1`` in percent, averaged over the questions of ``references``
    (rows with ``id`` and ``answers: {"text": [...]}``).

    Taught in: notebook 08, section 3.
    """
    rows = squad_example_scores(predictions, references)
    if not rows:
        raise ValueError("references must hold at least one question, got none")
    return {"exact_match": 100 * sum(r["exact_match"] for r in rows) / len(rows),
            "f1": 100 * sum(r["f1"] for r in rows) / len(rows)}
