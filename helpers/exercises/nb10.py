"""Exercises of notebook 10 (practical questions): expected calibration error, FLOPs per token, int8 weights.

The checkers run the learner's function on small hand-made inputs with known answers and
name what is off (bins not weighted by their size, a signed gap, empty bins counted, the
attention term forgotten, multiply-adds counted as one FLOP, training costed as 2x, de-quantized or
truncated int8 values, a scale that uses half the int8 range).
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

from . import checks
from ..calibration import expected_calibration_error
from ..compute import flops_per_token
from ..quantization import int8_symmetric


# --- 10.1 expected calibration error ------------------------------------------------------

def ece(confidences: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    """sum over bins ((m-1)/M, m/M] of (bin size / N) * |accuracy - mean confidence|."""
    confidences, correct = np.asarray(confidences, dtype=float), np.asarray(correct, dtype=float)
    index = np.clip(np.ceil(confidences * n_bins).astype(int) - 1, 0, n_bins - 1)  # bin of each example
    total = 0.0
    for m in range(n_bins):
        in_bin = index == m
        if in_bin.any():
            gap = abs(correct[in_bin].mean() - confidences[in_bin].mean())
            total += in_bin.sum() / len(confidences) * gap
    return float(total)


_ECE_CASES = (
    (np.array([0.55, 0.58, 0.95, 0.92, 0.91, 0.05]), np.array([1, 0, 1, 1, 0, 1]), 10),
    (np.array([0.9, 0.9, 0.9, 0.9, 0.6, 0.7]), np.array([1, 1, 1, 0, 0, 1]), 5),
    (np.full(10, 0.8), np.array([1] * 8 + [0] * 2), 10),
    (np.array([0.99, 0.97, 0.62, 0.51]), np.array([0, 1, 1, 0]), 2),
)


def check_ece(fn: Callable[[np.ndarray, np.ndarray, int], float]) -> str | None:
    for confidences, correct, n_bins in _ECE_CASES:
        got = fn(confidences.copy(), correct.copy(), n_bins)
        if got is None:
            return "ece returned None: did you forget a `return`?"
        if not isinstance(got, (int, float, np.floating)):
            return f"ece returned a {type(got).__name__}, expected a float."
        got = float(got)
        want = expected_calibration_error(confidences, correct, n_bins)
        if math.isclose(got, want, abs_tol=1e-9):
            continue
        if math.isnan(got):
            return f"ece returned NaN with {n_bins} bins: skip empty bins (a mean over no examples is undefined)."
        if math.isclose(abs(got), abs(_signed(confidences, correct, n_bins)), abs_tol=1e-9):
            return "over- and under-confident bins cancel out: take the absolute gap |accuracy - confidence| per bin."
        if math.isclose(got, _unweighted(confidences, correct, n_bins), abs_tol=1e-9):
            return "every non-empty bin counts the same here: weight each bin's gap by its share of the examples."
        if math.isclose(got, abs(float(np.mean(correct)) - float(np.mean(confidences))), abs_tol=1e-9):
            return "that is one gap over all examples: bin the confidences first, then average the per-bin gaps."
        return f"ece is {got:.4f} on a {len(confidences)}-example case with {n_bins} bins, expected {want:.4f}: " \
               f"check the bin edges ((m-1)/M, m/M], with a confidence of exactly 0 in the first bin."
    return None


def _binned(confidences, correct, n_bins):
    index = np.clip(np.ceil(np.asarray(confidences) * n_bins).astype(int) - 1, 0, n_bins - 1)
    return [(np.asarray(correct, float)[index == m], np.asarray(confidences, float)[index == m])
            for m in range(n_bins)]


def _signed(confidences, correct, n_bins) -> float:
    n = len(confidences)
    return float(sum(len(a) / n * (a.mean() - c.mean()) for a, c in _binned(confidences, correct, n_bins) if len(a)))


def _unweighted(confidences, correct, n_bins) -> float:
    gaps = [abs(a.mean() - c.mean()) for a, c in _binned(confidences, correct, n_bins) if len(a)]
    return float(np.mean(gaps))


def _with_empty_bins(confidences, correct, n_bins) -> float:
    import warnings

    n = len(confidences)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # the mean of an empty bin: the mistake shown
        return float(sum(len(a) / n * abs(np.mean(a) - np.mean(c)) for a, c in _binned(confidences, correct, n_bins)))


checks.register(checks.Exercise(
    id="10.1", title="expected calibration error",
    checker=check_ece,
    hint="put each confidence in bin ceil(confidence * n_bins) - 1 (clipped to 0..n_bins-1); for every non-empty "
         "bin add (its size / N) * |mean(correct) - mean(confidence)|.",
    solution=ece,
    wrong_answers=(_signed, _unweighted, _with_empty_bins),
))


# --- 10.2 FLOPs per token -----------------------------------------------------------------

def flops_per_token_formula(n_matmul: int, n_layers: int, context: int, d_model: int,
                            training: bool = False) -> int:
    """Forward: 2 FLOPs per matmul weight plus attention's QK^T and AV, 2 * 2 * context * d_model per layer.
    Training (forward + backward): 3x the forward."""
    forward = 2 * n_matmul + 4 * n_layers * context * d_model
    return 3 * forward if training else forward


_FLOP_CASES = ((10_616_832, 6, 128, 384), (85_000_000, 12, 512, 768), (1_000, 2, 16, 8))


def check_flops(fn: Callable[..., int]) -> str | None:
    for n, layers, context, d in _FLOP_CASES:
        for training in (False, True):
            got = fn(n, layers, context, d, training=training)
            if got is None:
                return "your function returned None: did you forget a `return`?"
            want = flops_per_token(n, layers, context, d, training=training)
            if math.isclose(float(got), want, rel_tol=1e-9):
                continue
            forward = flops_per_token(n, layers, context, d)
            if not training and math.isclose(float(got), 2 * n, rel_tol=1e-9):
                return "attention's own work is missing: QK^T and AV cost 2 * context * d_model FLOPs each, per layer."
            if not training and math.isclose(float(got), forward / 2, rel_tol=1e-9):
                return "a multiply-add is two FLOPs (one multiply, one add): you counted it as one."
            if training and math.isclose(float(got), 2 * forward, rel_tol=1e-9):
                return "the backward pass costs about twice the forward (input AND weight gradients): training is 3x."
            if training and math.isclose(float(got), forward, rel_tol=1e-9):
                return "with training=True, add the backward pass: about twice the forward's FLOPs."
            return f"for N={n}, {layers} layers, context {context}, d_model {d}, training={training} you returned " \
                   f"{got}, expected {want}."
    return None


def _no_attention(n_matmul, n_layers, context, d_model, training=False):
    return (6 if training else 2) * n_matmul


def _multiply_adds(n_matmul, n_layers, context, d_model, training=False):
    forward = n_matmul + 2 * n_layers * context * d_model
    return 3 * forward if training else forward


def _training_twice(n_matmul, n_layers, context, d_model, training=False):
    forward = 2 * n_matmul + 4 * n_layers * context * d_model
    return 2 * forward if training else forward


checks.register(checks.Exercise(
    id="10.2", title="FLOPs per token by formula",
    checker=check_flops,
    hint="each weight of a Linear layer does one multiply and one add per token (2N); per layer, QK^T and AV each "
         "cost 2 * context * d_model per token; the backward pass costs about twice the forward.",
    solution=flops_per_token_formula,
    wrong_answers=(_no_attention, _multiply_adds, _training_twice),
))


# --- 10.3 int8 quantization of a weight by hand --------------------------------------------

def quantize_int8(weight: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Symmetric per-tensor int8: s = max|w| / 127.5, q = round(w / s) clamped to -128..127."""
    scale = weight.abs().max().item() / 127.5
    q = torch.clamp(torch.round(weight / scale), -128, 127).to(torch.int8)
    return q, scale


_INT8_CASES = (
    torch.tensor([[0.5, -1.0, 0.25], [2.0, -0.01, 0.7]]),
    torch.tensor([[-3.0, 1.0], [0.4, 2.9]]),
    torch.linspace(-0.2, 0.37, 24).reshape(4, 6),
)


def check_int8(fn: Callable[[torch.Tensor], tuple]) -> str | None:
    for weight in _INT8_CASES:
        got = fn(weight.clone())
        if got is None:
            return "quantize_int8 returned None: did you forget a `return`?"
        if not isinstance(got, tuple) or len(got) != 2:
            return f"quantize_int8 should return a pair (q, scale), got {type(got).__name__}."
        q, scale = got
        want_q, want_scale = int8_symmetric(weight)
        if not isinstance(q, torch.Tensor) or q.shape != weight.shape:
            return f"q should be a tensor of the weight's shape {tuple(weight.shape)}, got {type(q).__name__}" + \
                   (f" of shape {tuple(q.shape)}" if isinstance(q, torch.Tensor) else "") + "."
        if q.dtype != torch.int8:
            if q.is_floating_point() and torch.allclose(q, want_q.float() * want_scale, atol=1e-6):
                return "you returned the de-quantized weights s * q: return the int8 numbers q themselves."
            return f"q should hold torch.int8 values (1 byte each), got {q.dtype}: convert with .to(torch.int8)."
        scale = float(scale)
        if math.isclose(scale, want_scale / 2, rel_tol=1e-6):
            return "that scale spreads -max|w|..max|w| over 510 steps, twice int8's 255: s = max|w| / 127.5."
        if not math.isclose(scale, want_scale, rel_tol=1e-6):
            return f"scale is {scale:.6g} for a weight with max|w| = {weight.abs().max().item():.4g}, " \
                   f"expected max|w| / 127.5 = {want_scale:.6g}."
        if torch.equal(q, torch.trunc(weight / want_scale).to(torch.int8)) and not torch.equal(q, want_q):
            return "q was truncated towards 0: round to the nearest integer (torch.round) before converting."
        ties = ((weight / want_scale).abs() % 1 - 0.5).abs() < 1e-4  # x.5 in exact arithmetic: fp32 may go either way
        if not torch.equal(q[~ties], want_q[~ties]) or (q.int() - want_q.int()).abs().max() > 1:
            return "q differs from round(w / s) clamped to -128..127 on some entries: round first, then clamp, " \
                   "then convert to int8."
    return None


def _dequantized(weight):
    scale = weight.abs().max().item() / 127.5
    return torch.round(weight / scale) * scale, scale


def _truncated(weight):
    scale = weight.abs().max().item() / 127.5
    return (weight / scale).to(torch.int8), scale


def _half_range(weight):
    scale = weight.abs().max().item() / 255
    return torch.clamp(torch.round(weight / scale), -128, 127).to(torch.int8), scale


checks.register(checks.Exercise(
    id="10.3", title="int8 quantization by hand",
    checker=check_int8,
    hint="s = weight.abs().max() / 127.5 (one fp32 number per tensor); q = round(weight / s), clamped to -128..127, "
         "as torch.int8; the layer then computes with s * q.",
    solution=quantize_int8,
    wrong_answers=(_dequantized, _truncated, _half_range),
))
