"""Notebook 10's helpers called wrongly say which argument, what they got and what they expect."""
import pytest
from datasets import Dataset
import torch
from transformers import BertForSequenceClassification

from helpers import attribution, augment, bias_probe, calibration, compute
from bad_input import assert_rejects, bad, case_id
from tiny_models import tiny_bert


def _tiny(eager: bool = False) -> BertForSequenceClassification:
    return tiny_bert(num_labels=2, eager=eager).eval()


MODEL, EAGER = _tiny(), _tiny(eager=True)
ONE = {"input_ids": torch.tensor([[2, 5, 7, 3]])}
FLAT = {"input_ids": torch.tensor([2, 5, 7, 3])}
E2, E3 = torch.ones(2, 2), torch.ones(2, 3)
COS = [0.9, 0.6]
OK = [1, 0]
TOKENIZED = Dataset.from_dict({"input_ids": [[101, 7, 8, 102]], "attention_mask": [[1, 1, 1, 1]], "label": [0]})

CASES = [
    bad(calibration.reliability_bins, "type", "confidences", "0.9", OK),
    bad(calibration.reliability_bins, "shape", "confidences", [[0.9, 0.6]], OK),
    bad(calibration.reliability_bins, "range", "confidences", [1.5, 0.6], OK),
    bad(calibration.reliability_bins, "range", "n_bins", COS, OK, n_bins=0),
    bad(calibration.expected_calibration_error, "type", "n_bins", COS, OK, n_bins=2.5),
    bad(calibration.expected_calibration_error, "shape", "correct", COS, [1, 0, 1]),
    bad(calibration.expected_calibration_error, "range", "confidences", [-0.1, 0.5], OK),
    bad(calibration.plot_reliability, "type", "bins", [0.1, 0.2]),
    bad(calibration.bootstrap_ci, "type", "metric", 5, OK, OK),
    bad(calibration.bootstrap_ci, "shape", "y_pred", lambda a, b: 0.0, OK, [1, 0, 0]),
    bad(calibration.bootstrap_ci, "range", "n_resamples", lambda a, b: 0.0, OK, OK, n_resamples=5),
    bad(calibration.bootstrap_ci, "range", "level", lambda a, b: 0.0, OK, OK, level=95.0),
    bad(calibration.rare_positive_indices, "type", "labels", None),
    bad(calibration.rare_positive_indices, "shape", "labels", [[0, 1], [1, 0]]),
    bad(calibration.rare_positive_indices, "range", "share", [0, 0, 1], share=1.5),
    bad(attribution.gradient_x_input, "type", "model", "bert", ONE),
    bad(attribution.gradient_x_input, "shape", "inputs", MODEL, FLAT),
    bad(attribution.gradient_x_input, "range", "target", MODEL, ONE, target=5),
    bad(attribution.cls_attention, "type", "layer", EAGER, ONE, layer="top"),
    bad(attribution.cls_attention, "shape", "inputs", EAGER, FLAT),
    bad(attribution.cls_attention, "range", "layer", EAGER, ONE, layer=7),
    bad(attribution.rank_correlation, "type", "a", "abc", [1, 2, 3]),
    bad(attribution.rank_correlation, "shape", "a", [1, 2, 3], [1, 2, 3, 4]),
    bad(attribution.rank_correlation, "range", "a", [1, 2], [2, 1]),
    bad(attribution.removal_effect, "type", "scores", MODEL, ONE, [0.1, 0.2, 0.3, 0.4], 1),
    bad(attribution.removal_effect, "shape", "scores", MODEL, ONE, torch.ones(3), 1),
    bad(attribution.removal_effect, "range", "k", MODEL, ONE, torch.ones(4), 3),
    bad(compute.matmul_parameters, "type", "model", "bert"),
    bad(compute.flops_per_token, "type", "n_matmul", 1.5e6, 6, 128, 384),
    bad(compute.flops_per_token, "range", "context", 10**6, 6, 0, 384),
    bad(compute.measure_flops, "type", "model", "bert", ONE),
    bad(compute.measure_flops, "shape", "inputs", MODEL, FLAT),
    bad(compute.training_memory, "type", "total", "22M"),
    bad(compute.training_memory, "range", "trainable", 100, trainable=200),
    bad(compute.training_memory, "range", "precision", 100, precision="fp8"),
    bad(compute.state_bytes, "type", "state", object()),
    bad(compute.activation_bytes, "type", "model", None, ONE),
    bad(compute.activation_bytes, "shape", "inputs", MODEL, FLAT),
    bad(bias_probe.word_embeddings, "type", "words", None, None, "nurse"),
    bad(bias_probe.word_embeddings, "range", "template", None, None, ["nurse"], template="no slot"),
    bad(bias_probe.word_embeddings, "range", "words", None, None, []),
    bad(bias_probe.effect_size, "type", "b", E2, E2, E2, "pleasant"),
    bad(bias_probe.effect_size, "shape", "a", E2, E2, E3, E2),
    bad(bias_probe.permutation_test, "range", "seed", E2, E2, E2, E2, seed=-1),
    bad(bias_probe.effect_size, "type", "x", "engineer", E2, E2, E2),
    bad(bias_probe.effect_size, "shape", "y", E2, E3, E2, E2),
    bad(bias_probe.effect_size, "range", "x", torch.ones(1, 2), torch.ones(1, 2), E2, E2),
    bad(bias_probe.permutation_test, "type", "n_permutations", E2, E2, E2, E2, n_permutations=1e4),
    bad(bias_probe.permutation_test, "shape", "y", E2, E3, E2, E2),
    bad(bias_probe.permutation_test, "range", "n_permutations", E2, E2, E2, E2, n_permutations=10),
    bad(augment.augment_with_token_dropout, "type", "dataset", [{"input_ids": [1]}], 0.1),
    bad(augment.augment_with_token_dropout, "range", "p", TOKENIZED, 2.0),
    bad(augment.augment_with_token_dropout, "range", "copies", TOKENIZED, 0.1, copies=0),
    bad(augment.augment_with_token_dropout, "type", "p", TOKENIZED, "0.1"),
    bad(augment.augment_with_token_dropout, "type", "seed", TOKENIZED, 0.1, seed=0.5),
]

NOT_APPLICABLE = {
    "calibration.plot_reliability": {"shape": "takes a ReliabilityBins object, not an array",
                                     "range": "takes a ReliabilityBins object, no numeric argument"},
    "compute.matmul_parameters": {"shape": "takes a module, no array", "range": "takes a module, no number"},
    "compute.flops_per_token": {"shape": "takes scalars only"},
    "compute.measure_flops": {"range": "no numeric argument (backward is a bool)"},
    "compute.training_memory": {"shape": "takes counts only"},
    "compute.state_bytes": {"shape": "any nesting of tensors is valid",
                            "range": "no numeric argument"},
    "compute.activation_bytes": {"range": "no numeric argument"},
    "bias_probe.word_embeddings": {"shape": "takes a list of words, no array"},
    "augment.augment_with_token_dropout": {"shape": "takes a dataset, not an array"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_clear_message(case):
    assert_rejects(case)
