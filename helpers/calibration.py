"""Evaluating a classifier properly: calibration, bootstrap confidence intervals, a rare positive class.

    from helpers.calibration import (expected_calibration_error, reliability_bins, plot_reliability,
                                     bootstrap_ci, paired_bootstrap_ci, mean_ci, rare_positive_indices)
    confidence, predicted = probs.max(dim=-1)                   # (N,), (N,)
    correct = predicted == labels                               # (N,) bool
    expected_calibration_error(confidence, correct, n_bins=10)  # 0 = perfectly calibrated
    plot_reliability(reliability_bins(confidence, correct))
    bootstrap_ci(f1_of_spam, labels, predicted, n_resamples=1000)  # BootstrapResult(estimate, low, high)
    paired_bootstrap_ci(accuracy_score, labels, pred_a, pred_b)    # interval of acc(a) - acc(b), same resamples
    mean_ci(per_seed_differences)                                  # interval of a mean over seeds or examples
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

from .course.validation import require_callable, require_int, require_number, require_sequence


def _vector(values: Any, name: str) -> np.ndarray:
    require_sequence(name, values)  # a 1-d array, list or tensor
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


@dataclass(frozen=True)
class ReliabilityBins:
    """Predictions grouped by confidence: per bin its count, mean confidence and accuracy.

    Not taught: a building block of this module's taught helpers.
    """
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
    """Bin the confidences into ((m-1)/M, m/M] (0 joins the first bin); each bin's size, confidence, accuracy.

    A confidence equal to an edge m/M (as a float: 0.3 is the float nearest 3/10) falls in the bin
    below it. ceil(p * M) - 1 is the same rule in exact arithmetic, but not in floating point:
    0.3 * 10 rounds to 3.0000000000000004, whose ceiling would put 0.3 in (0.3, 0.4].

    Taught in: notebook 10, section 4.
    """
    conf, right = _confidences_and_correct(confidences, correct)
    require_int("n_bins", n_bins, minimum=1)
    edges = np.arange(n_bins + 1) / n_bins  # (M + 1,) each edge m / M correctly rounded
    index = np.searchsorted(edges[1:-1], conf, side="left")  # (N,) inner edges strictly below each confidence
    counts = np.bincount(index, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(index, weights=conf, minlength=n_bins) / counts
        accuracy = np.bincount(index, weights=right, minlength=n_bins) / counts
    return ReliabilityBins(edges, counts, mean_conf, accuracy)


def expected_calibration_error(confidences: Any, correct: Any, n_bins: int = 10) -> float:
    """ECE = sum over bins of (bin size / N) * |accuracy - mean confidence| (0 = calibrated).

    Taught in: notebook 10, section 4.
    """
    return reliability_bins(confidences, correct, n_bins).ece


def plot_reliability(bins: ReliabilityBins, ax=None, title: str = "Reliability diagram"):
    """Accuracy per confidence bin (bars) against the diagonal of perfect calibration.

    Each bin's example count is written in a row above the plot, where no bar or marker can hide it.

    Taught in: notebook 10, section 4.
    """
    import matplotlib.pyplot as plt

    if not isinstance(bins, ReliabilityBins):
        raise TypeError(f"bins must be a ReliabilityBins (from reliability_bins), got {type(bins).__name__}")
    ax = ax or plt.subplots(figsize=(4.4, 4))[1]
    full = bins.counts > 0
    width = np.diff(bins.edges)
    ax.bar(bins.edges[:-1][full], bins.accuracy[full], width=width[full], align="edge", alpha=0.7,
           edgecolor="black", label="accuracy in bin")
    ax.plot(bins.mean_confidence[full], bins.accuracy[full], "o", color="black", clip_on=False,
            label="(mean confidence, accuracy)")  # not clipped: a marker at accuracy 1 stays whole
    ax.plot([0, 1], [0, 1], "--", color="grey", label="perfect calibration")
    above = ax.get_xaxis_transform()  # x in data units, y in axes units (1 = the top of the plot)
    for left, w, n in zip(bins.edges[:-1][full], width[full], bins.counts[full]):
        ax.text(left + w / 2, 1.04, str(int(n)), transform=above, ha="center", va="bottom", fontsize=8)
    ax.text(-0.02, 1.04, "count", transform=ax.transAxes, ha="right", va="bottom", fontsize=8)  # left of the row
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence (probability of the predicted class)",
           ylabel="accuracy (fraction correct)")
    ax.set_title(f"{title} (ECE {bins.ece:.3f})", pad=22)
    ax.legend(loc="upper left", fontsize=8)
    return ax


@dataclass(frozen=True)
class BootstrapResult:
    """A metric with its bootstrap percentile interval and the resampled values behind it.

    Not taught: a building block of this module's taught helpers.
    """
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

    Taught in: notebook 05, section 5.
    """
    _check_metric(metric)
    truth, predicted = _vector(y_true, "y_true"), _vector(y_pred, "y_pred")
    if truth.shape != predicted.shape:
        raise ValueError(f"y_pred must have one entry per y_true, expected shape {truth.shape}, got {predicted.shape}")
    _check_resampling(n_resamples, level)
    samples, low, high = _percentile_bootstrap(lambda pick: metric(truth[pick], predicted[pick]), truth.size,
                                               n_resamples, level, seed)
    return BootstrapResult(float(metric(truth, predicted)), low, high, samples, level)


def paired_bootstrap_ci(metric: Callable[[np.ndarray, np.ndarray], float], y_true: Any, pred_a: Any, pred_b: Any,
                        n_resamples: int = 1000, level: float = 0.95, seed: int = 0) -> BootstrapResult:
    """Percentile bootstrap interval of ``metric(y_true, pred_a) - metric(y_true, pred_b)``.

    Both predictions are scored on the *same* resampled examples (a paired bootstrap), so an
    example both get right or both get wrong moves neither side: the interval of the difference
    is narrower than the two separate intervals suggest. An interval that excludes 0 separates a and b.

    Taught in: notebook 05, section 5.
    """
    _check_metric(metric)
    truth, a, b = _vector(y_true, "y_true"), _vector(pred_a, "pred_a"), _vector(pred_b, "pred_b")
    for name, values in (("pred_a", a), ("pred_b", b)):
        if values.shape != truth.shape:
            raise ValueError(f"{name} must have one entry per y_true, expected shape {truth.shape}, got {values.shape}")
    _check_resampling(n_resamples, level)

    def difference(pick: np.ndarray) -> float:
        return metric(truth[pick], a[pick]) - metric(truth[pick], b[pick])

    samples, low, high = _percentile_bootstrap(difference, truth.size, n_resamples, level, seed)
    return BootstrapResult(float(difference(np.arange(truth.size))), low, high, samples, level)


def mean_ci(values: Any, n_resamples: int = 1000, level: float = 0.95, seed: int = 0) -> BootstrapResult:
    """Percentile bootstrap interval of the mean of ``values`` (e.g. one difference per seed or per example).

    With few values (5 seeds, say) the percentile interval is too narrow, since a resample never holds
    a value the data lack: read it as a rough spread, and look at the values themselves.

    Taught in: notebook 10, section 3.
    """
    array = _vector(values, "values").astype(np.float64)
    if np.isnan(array).any():
        raise ValueError(f"values must be numbers without NaN, got NaN at position {int(np.flatnonzero(np.isnan(array))[0])}")
    _check_resampling(n_resamples, level)
    samples, low, high = _percentile_bootstrap(lambda pick: float(array[pick].mean()), array.size,
                                               n_resamples, level, seed)
    return BootstrapResult(float(array.mean()), low, high, samples, level)


def _check_metric(metric: Any) -> None:
    require_callable("metric", metric)  # metric(y_true, y_pred) -> float


def _check_resampling(n_resamples: Any, level: Any) -> None:
    require_int("n_resamples", n_resamples, minimum=10)
    require_number("level", level, above=0.0, below=1.0)  # e.g. 0.95


def _percentile_bootstrap(statistic: Callable[[np.ndarray], float], n: int, n_resamples: int, level: float,
                          seed: int) -> tuple[np.ndarray, float, float]:
    """``statistic`` of ``n_resamples`` resamples of N indices drawn with replacement; the central ``level`` share."""
    generator = np.random.default_rng(seed)  # its own generator: the caller's random state is left alone
    samples = np.empty(n_resamples)
    for r in range(n_resamples):
        samples[r] = statistic(generator.integers(0, n, size=n))  # (N,) indices, with replacement
    tail = (1 - level) / 2
    low, high = np.quantile(samples, [tail, 1 - tail])
    return samples, float(low), float(high)


def rare_positive_indices(labels: Any, share: float = 0.05, positive: int = 1, seed: int = 0) -> list[int]:
    """Indices (sorted) keeping every negative and just enough positives that they make up ``share``.

    Taught in: notebook 10, section 4.
    """
    array = _vector(labels, "labels")
    require_number("share", share, above=0.0, below=1.0)  # e.g. 0.05
    positives = np.flatnonzero(array == positive)
    negatives = np.flatnonzero(array != positive)
    wanted = round(share * len(negatives) / (1 - share))
    if wanted < 1 or wanted > len(positives):
        raise ValueError(f"share={share} needs {wanted} positives for {len(negatives)} negatives, but labels "
                         f"has {len(positives)} of class {positive}: expected at least 1 and at most that many")
    kept = np.random.default_rng(seed).choice(positives, size=wanted, replace=False)
    return sorted(int(i) for i in np.concatenate([negatives, kept]))
