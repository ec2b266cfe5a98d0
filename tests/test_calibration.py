"""helpers.calibration: ECE and reliability bins by hand, bootstrap intervals against the normal approximation."""
import math

import numpy as np
import pytest
import torch
from sklearn.metrics import accuracy_score

from helpers.calibration import (bootstrap_ci, expected_calibration_error, plot_reliability, rare_positive_indices,
                                 reliability_bins)


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
