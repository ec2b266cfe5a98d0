"""Bad input to helpers.playgrounds.threshold (notebook 10, section 4): the threshold view, its HTML and the
playground builder.

A wrong type (a string for the scores, a view that is not a ThresholdView), a shape that does not fit
(labels of another length, 2-d scores, three class names) and a value out of range (a probability above 1,
a threshold above 1, a temperature of 0). ``tests/bad_input/bad_input.py`` explains a case.
"""
from __future__ import annotations

import pytest

from bad_input import assert_rejects, bad, case_id
from helpers.playgrounds import threshold

SCORES, LABELS = [0.1, 0.8, 0.6, 0.3], [0, 1, 1, 0]

CASES = [
    bad(threshold.threshold_view, "type", "scores", "0.1 0.8", LABELS),
    bad(threshold.threshold_view, "type", "threshold", SCORES, LABELS, "high"),
    bad(threshold.threshold_view, "shape", "labels", SCORES, [0, 1]),
    bad(threshold.threshold_view, "shape", "scores", [[0.1, 0.9], [0.8, 0.2]], [0, 1]),
    bad(threshold.threshold_view, "shape", "names", SCORES, LABELS, names=("a", "b", "c")),
    bad(threshold.threshold_view, "range", "scores", [0.1, 1.8, 0.6, 0.3], LABELS),
    bad(threshold.threshold_view, "range", "labels", SCORES, [0, 1, 2, 0]),
    bad(threshold.threshold_view, "range", "threshold", SCORES, LABELS, 1.5),
    bad(threshold.threshold_view, "range", "temperature", SCORES, LABELS, 0.5, 0.0),
    bad(threshold.threshold_html, "type", "view", {"precision": 0.5}),
    bad(threshold.threshold_playground, "type", "with_temperature", SCORES, LABELS, with_temperature="yes"),
    bad(threshold.threshold_playground, "shape", "labels", SCORES, [0, 1, 1]),
    bad(threshold.threshold_playground, "range", "default_threshold", SCORES, LABELS, default_threshold=-0.1),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {
    "playgrounds.threshold.threshold_html": {
        "shape": "takes one ThresholdView, which threshold_view builds already checked",
        "range": "takes one ThresholdView, which threshold_view builds already checked"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_useful_message(case):
    assert_rejects(case)
