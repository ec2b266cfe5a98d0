"""Notebook 10's deletion-test and paired-bootstrap helpers called wrongly say which argument, what they got and
what they expect."""
import pytest
import torch

from helpers import attribution, calibration
from bad_input import assert_rejects, bad, case_id
from tiny_models import tiny_bert

MODEL = tiny_bert(num_labels=2).eval()
ONE = {"input_ids": torch.tensor([[2, 5, 7, 3]])}  # two removable tokens between [CLS] and [SEP]
OK = [1, 0]


def metric(y, p):
    return float((y == p).mean())


CASES = [
    bad(attribution.deletion_curve, "type", "keep", MODEL, ONE, torch.ones(4), 1, keep=torch.ones(4)),
    bad(attribution.deletion_curve, "shape", "keep", MODEL, ONE, torch.ones(4), 1,
        keep=torch.ones(3, dtype=torch.bool)),
    bad(attribution.deletion_curve, "type", "scores", MODEL, ONE, [0.1, 0.2, 0.3, 0.4], 1),
    bad(attribution.deletion_curve, "shape", "scores", MODEL, ONE, torch.ones(3), 1),
    bad(attribution.deletion_curve, "range", "k_max", MODEL, ONE, torch.ones(4), 3),
    bad(calibration.paired_bootstrap_ci, "type", "metric", 5, OK, OK, OK),
    bad(calibration.paired_bootstrap_ci, "shape", "pred_b", metric, OK, OK, [1, 0, 0]),
    bad(calibration.paired_bootstrap_ci, "range", "n_resamples", metric, OK, OK, OK, n_resamples=5),
    bad(calibration.mean_ci, "type", "values", "0.1 0.2"),
    bad(calibration.mean_ci, "shape", "values", [[0.1, 0.2]]),
    bad(calibration.mean_ci, "range", "level", [0.1, 0.2], level=95.0),
]

NOT_APPLICABLE: dict[str, dict[str, str]] = {}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_clear_message(case):
    assert_rejects(case)
