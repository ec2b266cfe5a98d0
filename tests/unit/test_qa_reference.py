"""helpers.qa_reference: the removed pipeline's decoding agrees with qa.postprocess inside one window,
can differ across windows, and matches a direct probability computation."""
from __future__ import annotations

import numpy as np
import transformers

from helpers import qa, qa_reference


def _one_question(windows: int, rng) -> tuple[dict, dict, np.ndarray, np.ndarray]:
    context = "alpha beta gamma delta epsilon zeta eta theta"
    offsets = [None] + [(context.index(w), context.index(w) + len(w)) for w in context.split()] + [None]
    features = {"example_id": ["a"] * windows, "offset_mapping": [offsets] * windows}
    start = rng.normal(size=(windows, len(offsets)))
    end = rng.normal(size=(windows, len(offsets)))
    return {"id": ["a"], "context": [context]}, features, start, end


def test_one_window_gives_the_same_answer_as_postprocess():
    rng = np.random.default_rng(0)
    for _ in range(50):
        examples, features, start, end = _one_question(1, rng)
        ours = qa.postprocess(examples, features, start, end, n_best=20, max_answer_tokens=3)
        assert qa_reference.pipeline_style_answers(examples, features, start, end, max_answer_tokens=3) == ours


def test_across_windows_probabilities_can_pick_another_window():
    examples, features, start, end = _one_question(2, np.random.default_rng(1))
    start[:] = -5.0
    end[:] = -5.0
    start[0, 1], end[0, 1] = 10.0, 10.0  # window 0: one sharp span, but a flat rest gets some probability
    start[0, 2:8], end[0, 2:8] = 9.0, 9.0
    start[1, 3], end[1, 3] = 2.0, 2.0  # window 1: low logits, yet all its probability on one span
    assert qa.postprocess(examples, features, start, end)["a"] == "alpha"
    assert qa_reference.pipeline_style_answers(examples, features, start, end)["a"] == "gamma"


def test_span_probability_is_the_product_of_softmaxes():
    examples, features, start, end = _one_question(1, np.random.default_rng(2))
    context = np.array([o is not None for o in features["offset_mapping"][0]])
    p_s = np.exp(np.where(context, start[0], -np.inf)) / np.exp(start[0][context]).sum()
    p_e = np.exp(np.where(context, end[0], -np.inf)) / np.exp(end[0][context]).sum()
    pairs = [(p_s[j] * p_e[k], j, k) for j in range(len(context)) for k in range(j, min(j + 30, len(context)))
             if context[j] and context[k]]
    _, j, k = max(pairs)
    offsets = features["offset_mapping"][0]
    want = examples["context"][0][offsets[j][0]:offsets[k][1]]
    assert qa_reference.pipeline_style_answers(examples, features, start, end)["a"] == want


def test_the_pipeline_is_reported_missing_from_transformers_5_3_on():
    major, minor = (int(x) for x in transformers.__version__.split(".")[:2])
    available, message = qa_reference.pipeline_available()
    if (major, minor) >= (5, 3):
        assert not available and "question-answering" in message
