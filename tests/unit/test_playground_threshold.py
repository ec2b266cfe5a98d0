"""helpers.playgrounds.threshold (notebook 10, section 4): precision, recall, F1 and the confusion counts at a
threshold against scikit-learn's, the edge cases (no example flagged, every example flagged), temperature
scaling against softmax(z / T), the HTML and the widget wiring."""
import math

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from helpers.calibration import expected_calibration_error
from helpers.playgrounds.core import STATIC_NOTE, WIDGET_VIEW
from helpers.playgrounds.threshold import CURVE_POINTS, threshold_html, threshold_playground, threshold_view

RNG = np.random.default_rng(0)
LABELS = (RNG.random(200) < 0.2).astype(int)                                   # (200,) 20% positive
SCORES = np.clip(0.35 * LABELS + 0.65 * RNG.random(200), 0.0, 1.0)             # (200,) positives score higher
NAMES = ("ham", "spam")


@pytest.mark.parametrize("threshold", [0.0, 0.1, 0.3, 0.5, 0.62, 0.9, 0.97])
def test_the_scores_equal_scikit_learns(threshold):
    view = threshold_view(SCORES, LABELS, threshold, names=NAMES)
    predicted = (SCORES > threshold).astype(int)
    precision, recall, f1, _ = precision_recall_fscore_support(LABELS, predicted, average="binary", zero_division=0)
    assert (view.precision, view.recall, view.f1) == pytest.approx((precision, recall, f1))
    (tn, fp), (fn, tp) = confusion_matrix(LABELS, predicted, labels=[0, 1])
    assert (view.tn, view.fp, view.fn, view.tp) == (tn, fp, fn, tp)
    assert view.tp + view.fn == LABELS.sum() and view.tn + view.fp == len(LABELS) - LABELS.sum()
    # the curve on the picture agrees with the point at every threshold of its grid
    k = int(np.argmin(np.abs(view.thresholds - threshold)))
    if math.isclose(view.thresholds[k], threshold):
        assert view.curve[k] == pytest.approx([precision, recall, f1])


def test_the_curve_equals_scikit_learn_at_every_grid_threshold():
    view = threshold_view(SCORES, LABELS, names=NAMES)
    assert view.thresholds.shape == (CURVE_POINTS,) and view.curve.shape == (CURVE_POINTS, 3)
    for t, row in zip(view.thresholds[::7], view.curve[::7]):
        p, r, f, _ = precision_recall_fscore_support(LABELS, (SCORES > t).astype(int), average="binary",
                                                     zero_division=0)
        assert row == pytest.approx([p, r, f])


def test_a_threshold_above_every_score_flags_nothing_and_does_not_divide_by_zero():
    view = threshold_view(SCORES, LABELS, threshold=1.0, names=NAMES)
    assert view.tp == view.fp == 0 and view.fn == LABELS.sum()
    assert (view.precision, view.recall, view.f1) == (0.0, 0.0, 0.0)   # zero_division=0, as the notebook
    assert np.all(np.isfinite(view.curve)) and tuple(view.curve[-1]) == (0.0, 0.0, 0.0)
    everything = threshold_view(SCORES, LABELS, threshold=0.0, names=NAMES)  # every score > 0 here
    assert everything.recall == 1.0 and everything.precision == pytest.approx(LABELS.mean())


def test_no_positive_label_and_a_tie_at_the_threshold():
    view = threshold_view([0.2, 0.7, 0.9], [0, 0, 0], threshold=0.5)
    assert (view.tp, view.fp, view.fn, view.tn) == (0, 2, 0, 1) and view.recall == 0.0 and view.f1 == 0.0
    tie = threshold_view([0.5, 0.5], [1, 0], threshold=0.5)  # p > t: 0.5 is not above 0.5, as argmax picks class 0
    assert tie.tp == tie.fp == 0


def test_the_default_threshold_reproduces_the_argmax_of_two_classes():
    logits = torch.tensor(RNG.normal(size=(200, 2)) * 3)                         # (N, 2)
    probs = logits.softmax(dim=-1)
    view = threshold_view(probs[:, 1], torch.tensor(LABELS), 0.5)
    predicted = probs.argmax(dim=-1).numpy()
    assert view.tp + view.fp == predicted.sum()


@pytest.mark.parametrize("temperature", [0.5, 1.0, 2.5])
def test_temperature_is_softmax_of_the_logits_over_t(temperature):
    logits = torch.tensor(RNG.normal(size=(200, 2)) * 3)                         # (N, 2)
    probs = logits.softmax(dim=-1)[:, 1].numpy()
    tempered = (logits / temperature).softmax(dim=-1)[:, 1].numpy()
    view = threshold_view(probs, LABELS, 0.8, temperature)
    assert view.tp + view.fp == (tempered > 0.8).sum()
    confidence = np.maximum(tempered, 1 - tempered)
    assert view.ece == pytest.approx(expected_calibration_error(confidence, (tempered > 0.5) == LABELS), abs=1e-6)
    at_half = threshold_view(probs, LABELS, 0.5, temperature)  # the temperature never moves 0.5
    assert (at_half.tp, at_half.fp) == (threshold_view(probs, LABELS, 0.5).tp, threshold_view(probs, LABELS, 0.5).fp)


def test_saturated_probabilities_stay_finite_under_temperature():
    view = threshold_view([0.0, 1.0, 1.0, 0.0], [0, 1, 0, 0], 0.9, temperature=3.0)
    assert (view.tp, view.fp) == (1, 1) and np.isfinite(view.ece)


def test_the_html_shows_the_numbers_and_escapes_names():
    view = threshold_view(SCORES, LABELS, 0.62, names=("ham", "<script>alert(1)</script>"))
    page = threshold_html(view)
    assert f"{view.precision:.3f}" in page and f"{view.recall:.3f}" in page and f"{view.f1:.3f}" in page
    assert f">{view.tp}<" in page and f">{view.fp}<" in page and f">{view.fn}<" in page
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<svg" in page and "0.62" in page
    with pytest.raises(TypeError, match="view"):
        threshold_html("not a view")


def test_the_playground_moves_with_its_sliders():
    playground = threshold_playground(SCORES, LABELS, names=NAMES)
    assert set(playground.controls) == {"threshold", "temperature"}
    first = playground.output.value
    assert first == threshold_html(threshold_view(SCORES, LABELS, 0.5, 1.0, names=NAMES))
    playground.controls["threshold"].value = 0.9
    high = threshold_view(SCORES, LABELS, 0.9, names=NAMES)
    assert playground.output.value != first and f"{high.recall:.3f}" in playground.output.value
    playground.controls["temperature"].value = 2.0
    assert playground.output.value == threshold_html(threshold_view(SCORES, LABELS, 0.9, 2.0, names=NAMES))
    bundle = playground._repr_mimebundle_()
    assert WIDGET_VIEW in bundle and STATIC_NOTE in bundle["text/html"]
    only = threshold_playground(SCORES, LABELS, with_temperature=False, default_threshold=0.3)
    assert set(only.controls) == {"threshold"} and only.controls["threshold"].value == 0.3


def test_a_bad_value_shows_a_sentence_not_a_traceback():
    playground = threshold_playground(SCORES, LABELS, names=NAMES)
    assert "temperature must be" in playground.render(temperature=0.0)
