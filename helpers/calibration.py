"""Evaluating a classifier properly: calibration, bootstrap confidence intervals, a rare positive class.

    from helpers.calibration import (expected_calibration_error, reliability_bins, plot_reliability,
                                     bootstrap_ci, rare_positive_indices)
    confidence, predicted = probs.max(dim=-1)                   # (N,), (N,)
    correct = predicted == labels                               # (N,) bool
    expected_calibration_error(confidence, correct, n_bins=10)  # 0 = perfectly calibrated
    plot_reliability(reliability_bins(confidence, correct))
    bootstrap_ci(f1_of_spam, labels, predicted, n_resamples=1000)  # BootstrapResult(estimate, low, high)
    keep = rare_positive_indices(labels, share=0.05)            # all negatives, 5% positives

A classifier is **calibrated** when, of all the examples it gives confidence 0.8, about
80% are right. The reliability diagram bins the confidences ((m-1)/M, m/M] and plots
each bin's accuracy against its mean confidence; the expected calibration error (ECE,
Guo et al. 2017) is the bin-size-weighted mean gap between the two:
ECE = sum_m (|B_m| / N) * |acc(B_m) - conf(B_m)|.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


def _vector(values: Any, name: str) -> np.ndarray:
    if isinstance(values, (str, bytes)) or values is None or not hasattr(values, "__len__"):
        raise TypeError(f"{name} must be a 1-d array, list or tensor, got {type(values).__name__}")
    array = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-d (one value per example), got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must hold at least one value, got an empty array")
    return array


def _confidences_and_correct(confidences: Any, correct: Any) -> tuple[np.ndarray, np.ndarray]:
    conf = _vector(confidences, "confidences").astype(np.float64)
    right = _vector(correct, "correct")
    if right.shape != conf.shape:
        raise ValueError(f"correct must have one entry per confidence, expected shape {conf.shape}, got {right.shape}")
    if not np.isin(right, (0, 1, True, False)).all():
        raise ValueError(f"correct must hold booleans (or 0/1), got values such as {right[~np.isin(right, (0, 1))][:3]}")
    if not ((conf >= 0) & (conf <= 1)).all():
        raise ValueError(f"confidences must be probabilities between 0 and 1, got min {conf.min():.3g}, "
                         f"max {conf.max():.3g}")
    return conf, right.astype(np.float64)


def _check_bins(n_bins: Any) -> int:
    if isinstance(n_bins, bool) or not isinstance(n_bins, int):
        raise TypeError(f"n_bins must be an int, got {type(n_bins).__name__}")
    if n_bins < 1:
        raise ValueError(f"n_bins must be at least 1, got {n_bins}")
    return n_bins


@dataclass(frozen=True)
class ReliabilityBins:
    edges: np.ndarray            # (M + 1,) from 0 to 1
    counts: np.ndarray           # (M,) examples per bin
    mean_confidence: np.ndarray  # (M,) NaN for an empty bin
    accuracy: np.ndarray         # (M,) NaN for an empty bin

    @property
    def ece(self) -> float:
        """Bin-size-weighted mean |accuracy - confidence| over the non-empty bins."""
        full = self.counts > 0
        gaps = np.abs(self.accuracy[full] - self.mean_confidence[full])
        return float((self.counts[full] * gaps).sum() / self.counts.sum())


def reliability_bins(confidences: Any, correct: Any, n_bins: int = 10) -> ReliabilityBins:
    """Bin the confidences into ((m-1)/M, m/M] (0 joins the first bin); each bin's size, confidence, accuracy."""
    conf, right = _confidences_and_correct(confidences, correct)
    n_bins = _check_bins(n_bins)
    index = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)  # (N,) bin of each example
    counts = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(index, weights=conf, minlength=n_bins) / counts
        accuracy = np.bincount(index, weights=right, minlength=n_bins) / counts
    return ReliabilityBins(np.linspace(0, 1, n_bins + 1), counts, mean_conf, accuracy)


def expected_calibration_error(confidences: Any, correct: Any, n_bins: int = 10) -> float:
    """ECE = sum over bins of (bin size / N) * |accuracy - mean confidence| (0 = calibrated)."""
    return reliability_bins(confidences, correct, n_bins).ece


def plot_reliability(bins: ReliabilityBins, ax=None, title: str = "Reliability diagram"):
    """Accuracy per confidence bin (bars) against the diagonal of perfect calibration."""
    import matplotlib.pyplot as plt

    if not isinstance(bins, ReliabilityBins):
        raise TypeError(f"bins must be a ReliabilityBins (from reliability_bins), got {type(bins).__name__}")
    ax = ax or plt.subplots(figsize=(4.4, 4))[1]
    full = bins.counts > 0
    width = np.diff(bins.edges)
    ax.bar(bins.edges[:-1][full], bins.accuracy[full], width=width[full], align="edge", alpha=0.7,
           edgecolor="black", label="accuracy in bin")
    ax.plot(bins.mean_confidence[full], bins.accuracy[full], "o", color="black", label="(mean confidence, accuracy)")
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    for left, w, n, acc in zip(bins.edges[:-1][full], width[full], bins.counts[full], bins.accuracy[full]):
        ax.text(left + w / 2, min(acc + 0.02, 0.97), str(int(n)), ha="center", fontsize=8)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (probability of the predicted class)",
           ylabel="accuracy (fraction correct)", title=f"{title} (ECE {bins.ece:.3f})")
    ax.legend(loc="upper left", fontsize=8)
    return ax


@dataclass(frozen=True)
class BootstrapResult:
    estimate: float       # the metric on the data as given
    low: float            # lower end of the percentile interval
    high: float           # upper end
    samples: np.ndarray   # (n_resamples,) the metric on each resample
    level: float

    def __str__(self) -> str:
        return f"{self.estimate:.3f} ({self.level:.0%} CI {self.low:.3f} to {self.high:.3f})"


def bootstrap_ci(metric: Callable[[np.ndarray, np.ndarray], float], y_true: Any, y_pred: Any,
                 n_resamples: int = 1000, level: float = 0.95, seed: int = 0) -> BootstrapResult:
    """Percentile bootstrap interval of ``metric(y_true, y_pred)``: resample examples with replacement.

    Each resample draws N example indices with replacement (its own seeded generator, so the
    notebook's random state is left alone) and recomputes the metric; the interval holds
    the central ``level`` share of those values.
    """
    if not callable(metric):
        raise TypeError(f"metric must be a function metric(y_true, y_pred) -> float, got {type(metric).__name__}")
    truth, predicted = _vector(y_true, "y_true"), _vector(y_pred, "y_pred")
    if truth.shape != predicted.shape:
        raise ValueError(f"y_pred must have one entry per y_true, expected shape {truth.shape}, got {predicted.shape}")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int):
        raise TypeError(f"n_resamples must be an int, got {type(n_resamples).__name__}")
    if n_resamples < 10:
        raise ValueError(f"n_resamples must be at least 10, got {n_resamples}")
    if not isinstance(level, float) or not 0 < level < 1:
        raise ValueError(f"level must be a float between 0 and 1 (e.g. 0.95), got {level!r}")
    generator = np.random.default_rng(seed)
    n = truth.size
    samples = np.empty(n_resamples)
    for r in range(n_resamples):
        pick = generator.integers(0, n, size=n)  # (N,) indices, with replacement
        samples[r] = metric(truth[pick], predicted[pick])
    tail = (1 - level) / 2
    low, high = np.quantile(samples, [tail, 1 - tail])
    return BootstrapResult(float(metric(truth, predicted)), float(low), float(high), samples, level)


def rare_positive_indices(labels: Any, share: float = 0.05, positive: int = 1, seed: int = 0) -> list[int]:
    """Indices (sorted) keeping every negative and just enough positives that they make up ``share``."""
    array = _vector(labels, "labels")
    if not isinstance(share, float) or not 0 < share < 1:
        raise ValueError(f"share must be a float between 0 and 1 (e.g. 0.05), got {share!r}")
    positives = np.flatnonzero(array == positive)
    negatives = np.flatnonzero(array != positive)
    wanted = round(share * len(negatives) / (1 - share))
    if wanted < 1 or wanted > len(positives):
        raise ValueError(f"share={share} needs {wanted} positives for {len(negatives)} negatives, but labels "
                         f"has {len(positives)} of class {positive}: expected at least 1 and at most that many")
    kept = np.random.default_rng(seed).choice(positives, size=wanted, replace=False)
    return sorted(int(i) for i in np.concatenate([negatives, kept]))
