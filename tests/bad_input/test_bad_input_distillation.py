"""Notebook 10's distillation and quantization helpers called wrongly say which argument, what they got and
what they expect."""
import pytest
import torch

from helpers import distillation, quantization
from bad_input import assert_rejects, bad
from bad_input import case_id
from tiny_models import tiny_bert

MODEL = tiny_bert(num_labels=2).eval()
ROWS = [{"input_ids": torch.tensor([2, 5, 3]), "attention_mask": torch.ones(3, dtype=torch.long),
         "labels": torch.tensor(1)}] * 4
LOGITS, LABELS = torch.zeros(4, 2), torch.tensor([0, 1, 1, 0])


def collate(rows):
    return {k: torch.stack([r[k] for r in rows]) for k in rows[0]}


CASES = [
    bad(distillation.distillation_loss, "type", "student_logits", [[0.0, 1.0]], LOGITS[:1], LABELS[:1]),
    bad(distillation.distillation_loss, "shape", "teacher_logits", LOGITS, torch.zeros(4, 3), LABELS),
    bad(distillation.distillation_loss, "range", "temperature", LOGITS, LOGITS, LABELS, temperature=0.0),
    bad(distillation.teacher_logits, "type", "teacher", "a model", ROWS, collate),
    bad(distillation.teacher_logits, "range", "batch_size", MODEL, ROWS, collate, batch_size=0),
    bad(distillation.train_student, "type", "student", "a model", ROWS, collate, None),
    bad(distillation.train_student, "shape", "soft_logits", MODEL, ROWS, collate, torch.zeros(3, 2)),
    bad(distillation.train_student, "range", "epochs", MODEL, ROWS, collate, None, epochs=0),
    bad(distillation.BagOfEmbeddings, "type", "embeddings", torch.nn.Linear(4, 4)),
    bad(distillation.BagOfEmbeddings, "range", "num_labels", torch.nn.Embedding(10, 4), num_labels=1),
    bad(quantization.int8_symmetric, "type", "weight", [[0.1, 0.2]]),
    bad(quantization.int8_symmetric, "range", "weight", torch.zeros(0, 4)),
    bad(quantization.dynamic_int8, "type", "model", "a model"),
    bad(quantization.saved_bytes, "type", "model", {"weight": torch.zeros(2)}),
]

NOT_APPLICABLE = {
    "distillation.teacher_logits": {"shape": "takes a dataset of examples; their shapes are the model's to check"},
    "distillation.BagOfEmbeddings": {"shape": "takes an embedding module and counts, no array"},
    "quantization.int8_symmetric": {"shape": "any shape of weight is quantized the same way"},
    "quantization.dynamic_int8": {"shape": "takes a module, no array", "range": "takes a module, no number"},
    "quantization.saved_bytes": {"shape": "takes a module, no array", "range": "takes a module, no number"},
}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_bad_input_is_rejected_with_a_clear_message(case):
    assert_rejects(case)
