"""Bad input to the classification metrics of helpers.metrics (the SQuAD ones are in test_bad_input_qa.py)."""
from __future__ import annotations

import matplotlib
import pytest

from bad_input import assert_rejects, bad, case_id
from helpers import metrics

matplotlib.use("Agg")
NAMES = ["ham", "spam"]

CASES = [
    bad(metrics.classification_metrics, "type", "y_true", "0101", [0, 1, 0, 1], NAMES),
    bad(metrics.classification_metrics, "shape", "y_true", [[0, 1], [1, 0]], [0, 1, 1, 0], NAMES),
    bad(metrics.classification_metrics, "range", "y_true", [0, 1, 2], [0, 1, 1], NAMES),
    bad(metrics.majority_predictions, "type", "train_labels", 3, 5),
    bad(metrics.majority_predictions, "shape", "train_labels", [[0, 1]], 5),
    bad(metrics.majority_predictions, "range", "n", [0, 1, 1], -1),
    bad(metrics.plot_confusion_matrix, "type", "confusion", "[[1, 2], [3, 4]]", NAMES),
    bad(metrics.plot_confusion_matrix, "shape", "confusion", [[1, 2, 3], [4, 5, 6]], NAMES),
    bad(metrics.plot_confusion_matrix, "range", "confusion", [[1, -2], [3, 4]], NAMES),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_named(case):
    assert_rejects(case)
