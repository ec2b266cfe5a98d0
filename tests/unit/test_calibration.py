"""helpers.calibration: ECE and reliability bins by hand, bootstrap intervals against the normal approximation."""
import math

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score

from helpers.calibration import (bootstrap_ci, expected_calibration_error, mean_ci, paired_bootstrap_ci, plot_reliability,
                                 rare_positive_indices, reliability_bins)


def test_reliability_bins_by_hand():
    conf = [0.55, 0.58, 0.95, 0.92, 0.91, 0.05]
    correct = [1, 0, 1, 1, 0, 1]
    bins = reliability_bins(conf, correct, n_bins=10)
    assert bins.counts.tolist() == [1, 0, 0, 0, 0, 2, 0, 0, 0, 3]
    assert bins.accuracy[5] == 0.5 and math.isclose(bins.mean_confidence[5], 0.565)
    assert math.isclose(bins.accuracy[9], 2 / 3) and math.isclose(bins.mean_confidence[9], (0.95 + 0.92 + 0.91) / 3)
    assert np.isnan(bins.accuracy[1])  # an empty bin has no accuracy
    # ECE = 1/6 |1 - 0.05| + 2/6 |0.5 - 0.565| + 3/6 |2/3 - 0.9267|
    expected = (0.95 + 2 * 0.065 + 3 * abs(2 / 3 - 2.78 / 3)) / 6
    assert math.isclose(expected_calibration_error(conf, correct, 10), expected, rel_tol=1e-9)


def test_bin_edges_are_right_closed_and_zero_joins_the_first_bin():
    bins = reliability_bins(torch.tensor([0.0, 0.5, 0.5000001, 1.0]), torch.tensor([True, True, False, True]), 2)
    assert bins.counts.tolist() == [2, 2]


def test_perfectly_calibrated_and_overconfident():
    conf = np.full(10, 0.8)
    assert expected_calibration_error(conf, [1] * 8 + [0] * 2) == pytest.approx(0.0)
    assert expected_calibration_error(np.full(10, 0.99), [1] * 5 + [0] * 5) == pytest.approx(0.49)


def test_bootstrap_interval_of_an_accuracy_matches_the_normal_approximation():
    rng = np.random.default_rng(1)
    truth = rng.integers(0, 2, 2000)
    pred = np.where(rng.random(2000) < 0.8, truth, 1 - truth)  # about 80% right
    result = bootstrap_ci(accuracy_score, truth, pred, n_resamples=500, seed=0)
    p = accuracy_score(truth, pred)
    half = 1.96 * math.sqrt(p * (1 - p) / 2000)
    assert result.estimate == p and result.low < p < result.high
    assert (result.high - result.low) == pytest.approx(2 * half, rel=0.2)
    again = bootstrap_ci(accuracy_score, truth, pred, n_resamples=500, seed=0)
    assert np.array_equal(result.samples, again.samples)  # seeded: the same resamples


def test_bootstrap_leaves_the_global_random_state_alone():
    np.random.seed(3)
    before = np.random.get_state()[1].copy()
    bootstrap_ci(accuracy_score, [0, 1, 1, 0], [0, 1, 0, 0], n_resamples=20)
    assert np.array_equal(np.random.get_state()[1], before)


def test_rare_positive_indices_keeps_every_negative_and_the_asked_share():
    labels = [0] * 95 + [1] * 40
    keep = rare_positive_indices(labels, share=0.05, seed=0)
    kept = np.asarray(labels)[keep]
    assert (kept == 0).sum() == 95 and (kept == 1).sum() == 5
    assert keep == sorted(keep)
    with pytest.raises(ValueError, match="share"):
        rare_positive_indices([0] * 10 + [1], share=0.5)


def test_plot_reliability_has_labels():
    import matplotlib
    matplotlib.use("Agg")
    ax = plot_reliability(reliability_bins([0.6, 0.9, 0.95], [1, 1, 0]))
    assert "ECE" in ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_a_confidence_on_an_edge_falls_in_the_bin_below():
    # 0.3 * 10 rounds to 3.0000000000000004 in floating point: ceil(p * M) - 1 put 0.3 in (0.3, 0.4]
    bins = reliability_bins([0.3, 0.6, 0.7, 0.1, 0.30000000000000004], [1, 1, 1, 1, 1], n_bins=10)
    assert bins.counts.tolist() == [1, 0, 1, 1, 0, 1, 1, 0, 0, 0]
    assert bins.edges[3] == 0.3 and bins.edges[-1] == 1.0


def test_ece_matches_scikit_learns_calibration_curve():
    from sklearn.calibration import calibration_curve

    rng = np.random.default_rng(0)
    conf = rng.uniform(0.5, 1.0, 500)
    correct = rng.random(500) < conf ** 2  # over-confident
    accuracy, mean_conf = calibration_curve(correct, conf, n_bins=10, strategy="uniform")  # non-empty bins
    counts = np.histogram(conf, bins=10, range=(0, 1))[0]
    expected = float(np.sum(counts[counts > 0] / 500 * np.abs(accuracy - mean_conf)))
    assert expected_calibration_error(conf, correct, 10) == pytest.approx(expected, abs=1e-12)


def test_reliability_diagram_shows_every_count_unhidden():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # the top bin right at accuracy 1: its count used to sit under the bin's marker (and was clipped at y = 0.97)
    conf = [0.95] * 360 + [0.85] * 86 + [0.75] * 16 + [0.65] * 9 + [0.55] * 9
    correct = [1] * 360 + [1] * 78 + [0] * 8 + [1] * 10 + [0] * 6 + [1] * 7 + [0] * 2 + [1] * 2 + [0] * 7
    bins = reliability_bins(conf, correct)
    ax = plot_reliability(bins)
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    labels = [t for t in ax.texts if t.get_text().isdigit()]
    assert sorted(int(t.get_text()) for t in labels) == sorted(bins.counts[bins.counts > 0].tolist())
    markers = ax.lines[0]
    points = ax.transData.transform(np.column_stack(markers.get_data()))  # (bins, 2) marker centres, pixels
    radius = markers.get_markersize() / 72 * figure.dpi / 2
    canvas = figure.bbox
    for text in labels:
        box = text.get_window_extent(renderer)
        assert canvas.x0 <= box.x0 and box.x1 <= canvas.x1 and canvas.y0 <= box.y0 and box.y1 <= canvas.y1
        for x, y in points:  # no marker covers any part of a count
            assert not (box.x0 - radius < x < box.x1 + radius and box.y0 - radius < y < box.y1 + radius), text.get_text()
        for bar in ax.patches:  # nor does a bar
            assert not box.overlaps(bar.get_window_extent(renderer)), text.get_text()
    assert ax.title.get_window_extent(renderer).y0 >= max(t.get_window_extent(renderer).y1 for t in labels)
    plt.close(figure)


def test_paired_bootstrap_of_a_difference():
    rng = np.random.default_rng(2)
    truth = rng.integers(0, 2, 300)
    a = np.where(rng.random(300) < 0.85, truth, 1 - truth)
    b = np.where(rng.random(300) < 0.1, 1 - a, a)  # b agrees with a on about 90% of examples
    result = paired_bootstrap_ci(accuracy_score, truth, a, b, n_resamples=400, seed=1)
    assert result.estimate == pytest.approx(accuracy_score(truth, a) - accuracy_score(truth, b))
    generator = np.random.default_rng(1)  # the same resamples, by hand
    for r in range(3):
        pick = generator.integers(0, 300, size=300)
        assert result.samples[r] == pytest.approx(accuracy_score(truth[pick], a[pick]) - accuracy_score(truth[pick], b[pick]))
    separate = [bootstrap_ci(accuracy_score, truth, p, n_resamples=400, seed=1) for p in (a, b)]
    unpaired = math.hypot(*(s.high - s.low for s in separate))  # about the width if a and b were independent
    assert result.high - result.low < 0.7 * unpaired  # pairing narrows it: the shared errors cancel
    same = paired_bootstrap_ci(accuracy_score, truth, a, a.copy(), n_resamples=50)
    assert same.low == same.high == same.estimate == 0.0


def test_mean_ci_of_a_mean():
    values = np.array([0.2, 0.25, 0.3, 0.18, 0.22])
    result = mean_ci(values, n_resamples=500, seed=0)
    assert result.estimate == pytest.approx(values.mean()) and values.min() <= result.low < result.estimate
    assert result.estimate < result.high <= values.max()
    with pytest.raises(ValueError, match="NaN"):
        mean_ci([0.1, float("nan"), 0.2])
