"""helpers.pipelines_tour: the extractive answer of a QA model, and which head a checkpoint was saved with."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from transformers import AutoModelForMaskedLM, AutoModelForQuestionAnswering, AutoTokenizer

from helpers import settings
from helpers.pipelines_tour import answer_question, loading_reports_silenced, trained_for

CONTEXT = "The Eiffel Tower was built for the 1889 World's Fair in Paris. It is 330 metres tall."
QUESTION = "How tall is the Eiffel Tower?"


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(settings().models.encoder)


class PlantedQA(torch.nn.Module):
    """A stand-in QA model whose start and end logits are given."""

    def __init__(self, start: torch.Tensor, end: torch.Tensor):
        super().__init__()
        self.config = SimpleNamespace(architectures=["PlantedQA"])
        self.start, self.end, self.anchor = start, end, torch.nn.Parameter(torch.zeros(1))

    def forward(self, input_ids, **_):
        T = input_ids.shape[1]
        return SimpleNamespace(start_logits=self.start[None, :T], end_logits=self.end[None, :T])


def _encoded(tokenizer):
    encoding = tokenizer(QUESTION, CONTEXT, return_offsets_mapping=True)
    return encoding, [i for i, s in enumerate(encoding.sequence_ids()) if s == 1]


def test_the_planted_span_is_found_and_scored_as_a_product_of_softmaxes(tokenizer):
    encoding, context_tokens = _encoded(tokenizer)
    T = len(encoding["input_ids"])
    start, end = torch.zeros(T), torch.zeros(T)
    target = next(i for i in context_tokens if CONTEXT[slice(*encoding["offset_mapping"][i])] == "330")
    start[target], end[target + 1] = 5.0, 5.0  # "330 metres"
    start[0] = end[0] = 50.0                     # [CLS] and the question are never answers
    got = answer_question(PlantedQA(start, end), tokenizer, QUESTION, CONTEXT)
    assert got["answer"] == "330 metres" == CONTEXT[got["start"]:got["end"]]
    p_start = start[context_tokens].softmax(-1)[context_tokens.index(target)]
    p_end = end[context_tokens].softmax(-1)[context_tokens.index(target + 1)]
    assert got["score"] == pytest.approx(float(p_start * p_end), rel=1e-5)


def test_reversed_and_too_long_spans_are_never_chosen(tokenizer):
    encoding, context_tokens = _encoded(tokenizer)
    T = len(encoding["input_ids"])
    start, end = torch.zeros(T), torch.zeros(T)
    first, last = context_tokens[0], context_tokens[-1]
    start[last], end[first] = 9.0, 9.0           # the best start lies after the best end
    got = answer_question(PlantedQA(start, end), tokenizer, QUESTION, CONTEXT, max_answer_tokens=3)
    span = [i for i in context_tokens if encoding["offset_mapping"][i][0] >= got["start"]
            and encoding["offset_mapping"][i][1] <= got["end"]]
    assert 1 <= len(span) <= 3 and got["answer"] == CONTEXT[got["start"]:got["end"]]


def test_the_encoder_checkpoint_has_no_task_head():
    name = settings().models.encoder
    with loading_reports_silenced():
        mlm = AutoModelForMaskedLM.from_pretrained(name)
        qa = AutoModelForQuestionAnswering.from_pretrained(name)
    assert trained_for(mlm) == trained_for(qa) == "BertModel"  # the checkpoint holds the encoder alone
    answer = answer_question(qa, AutoTokenizer.from_pretrained(name), QUESTION, CONTEXT)
    assert answer["answer"] == CONTEXT[answer["start"]:answer["end"]] and answer["answer"]
    assert 0.0 < answer["score"] < 0.2  # an untrained head has no strong preference


def test_loading_reports_come_back_after_the_block():
    from transformers.utils import logging

    before = logging.get_verbosity()
    with loading_reports_silenced():
        assert logging.get_verbosity() == logging.ERROR
    assert logging.get_verbosity() == before


def test_a_model_without_segment_inputs_is_fed_without_them(tokenizer):
    from transformers import DistilBertConfig, DistilBertForQuestionAnswering

    torch.manual_seed(0)
    model = DistilBertForQuestionAnswering(DistilBertConfig(vocab_size=tokenizer.vocab_size, dim=16, n_layers=1,
                                                            n_heads=2, hidden_dim=32))
    got = answer_question(model, tokenizer, QUESTION, CONTEXT)
    assert got["answer"] and got["answer"] == CONTEXT[got["start"]:got["end"]]
