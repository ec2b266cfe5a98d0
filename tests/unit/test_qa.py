"""helpers.qa and helpers.qa_baselines: labels match the tokenizer's own mapping, post-processing obeys its
rules, the QA loop learns and resumes exactly."""
import random

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer, BertForQuestionAnswering, DataCollatorWithPadding

from tiny_models import tiny_bert

from helpers import checkpoints, qa
from helpers.course import assets
from helpers.metrics import normalize_answer
from helpers.qa_baselines import first_noun_phrase, overlap_window
from helpers.data.qa import load_news_qa
from helpers.training import TrainConfig, stack_collate

CONTEXT = "The storm hit Sydney on Monday. About 500 residents left their homes in Hill Top."
QUESTION = "How many residents left their homes?"


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(str(assets.path("encoder")))


def columns(rows):
    return {key: [row[key] for row in rows] for key in rows[0]}


def test_char_to_token_span_by_hand():
    # [CLS] q q [SEP] ctx(0,3) ctx(4,9) ctx(10,16) ctx(16,17) [SEP]
    offsets = [(0, 0), (0, 3), (4, 9), (0, 0), (0, 3), (4, 9), (10, 16), (16, 17), (0, 0)]
    ids = [None, 0, 0, None, 1, 1, 1, 1, None]
    assert qa.char_to_token_span(offsets, ids, 4, 16) == (5, 6)
    assert qa.char_to_token_span(offsets, ids, 0, 3) == (4, 4)          # not the question's (0, 3)
    assert qa.char_to_token_span(offsets, ids, 12, 14) == (6, 6)        # inside one token
    assert qa.char_to_token_span(offsets, ids, 10, 20) == (0, 0)        # runs past the window


def test_train_labels_agree_with_the_tokenizers_char_to_token(tokenizer):
    data = load_news_qa()["validation"].select(range(60))[:]
    features = qa.prepare_train_features(data, tokenizer, max_length=64, stride=16)
    encoded = tokenizer([q.strip() for q in data["question"]], data["context"], truncation="only_second",
                        max_length=64, stride=16, return_overflowing_tokens=True)
    labelled = set()
    for w, sample in enumerate(encoded["overflow_to_sample_mapping"]):
        answer = data["answers"][sample]
        first = answer["answer_start"][0]
        last = first + len(answer["text"][0]) - 1
        start = encoded.char_to_token(w, first, sequence_index=1)
        end = encoded.char_to_token(w, last, sequence_index=1)
        want = (start, end) if start is not None and end is not None else (0, 0)
        got = (features["start_positions"][w], features["end_positions"][w])
        assert got == want, (w, got, want)
        if got != (0, 0):
            labelled.add(sample)
            text = tokenizer.decode(features["input_ids"][w][got[0]:got[1] + 1])
            assert normalize_answer(text).replace(" ", "") == normalize_answer(answer["text"][0].lower()).replace(" ", "")
    assert len(labelled) == 60  # every answer is whole in at least one window
    assert len(encoded["input_ids"]) > 60  # and some contexts really were split


def test_eval_features_keep_only_context_offsets(tokenizer):
    data = {"id": ["a"], "question": [QUESTION], "context": [CONTEXT]}
    features = qa.prepare_eval_features(data, tokenizer, max_length=24, stride=6)
    assert len(features["input_ids"]) >= 2 and set(features["example_id"]) == {"a"}
    for w, offsets in enumerate(features["offset_mapping"]):
        types = features["token_type_ids"][w]
        assert all((o is None) == (t == 0 or i == len(offsets) - 1) for i, (o, t) in enumerate(zip(offsets, types)))


def test_best_spans_follow_the_rules():
    offsets = [None, None, (0, 3), (4, 9), (10, 16), (17, 20), None]
    start = np.array([9.0, 8.0, 0.0, 2.0, 1.0, 3.0, 7.0])  # the best starts are outside the context
    end = np.array([9.0, 0.0, 1.0, 0.5, 2.5, 0.0, 7.0])
    spans = qa.best_spans(start, end, offsets, n_best=7, max_answer_tokens=30)
    assert spans[0] == (4.5, 4, 16)  # start 3, end 4: the best legal pair
    assert all(a <= b for _, a, b in spans) and (5.5, 17, 16) not in spans  # never reversed
    short = qa.best_spans(start, end, offsets, n_best=7, max_answer_tokens=1)
    assert all(s in ((3.5, 10, 16), (2.5, 4, 9), (1.0, 0, 3), (3.0, 17, 20)) for s in short)
    assert qa.best_spans(start, end, offsets, n_best=1) == []  # the top start and end are not in the context


def test_postprocess_picks_the_best_window():
    examples = {"id": ["q1", "q2"], "context": ["alpha beta gamma delta", "one two"]}
    features = {"example_id": ["q1", "q1", "q2"],
                "offset_mapping": [[None, (0, 5), (6, 10)], [None, (11, 16), (17, 22)], [None, None, None]]}
    start = np.array([[0.0, 1.0, 0.0], [0.0, 5.0, 0.0], [0.0, 0.0, 0.0]])
    end = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 4.0], [0.0, 0.0, 0.0]])
    assert qa.postprocess(examples, features, start, end) == {"q1": "gamma delta", "q2": ""}


def tiny_qa_model(seed: int = 0) -> BertForQuestionAnswering:
    return tiny_bert(BertForQuestionAnswering, seed=seed, vocab_size=20, hidden_size=32, layers=2, heads=4)


def marker_features(n: int, seed: int) -> dict[str, list]:
    """The answer starts at token 18 and ends at token 19: easy for a tiny model to find."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, 18, (n, 12), generator=g)
    starts = torch.randint(1, 9, (n,), generator=g)
    lengths = torch.randint(0, 3, (n,), generator=g)
    ids[torch.arange(n), starts] = 18
    ids[torch.arange(n), starts + lengths + 1] = 19
    return {"input_ids": ids.tolist(), "attention_mask": torch.ones_like(ids).tolist(),
            "start_positions": starts.tolist(), "end_positions": (starts + lengths + 1).tolist()}


TRAIN = marker_features(96, seed=1)


def config(**overrides) -> TrainConfig:
    return TrainConfig(**{"epochs": 2, "learning_rate": 3e-3, "batch_size": 16, "progress": False, "seed": 7,
                          **overrides})


def test_train_qa_learns_and_predict_logits_matches_the_model():
    model = tiny_qa_model()
    history = qa.train_qa(model, TRAIN, config(epochs=4), collate_fn=stack_collate, device="cpu")
    assert len(history.losses) == 4 * 6 and np.mean(history.losses[-6:]) < np.mean(history.losses[:6]) / 2
    valid = marker_features(32, seed=2)
    start, end = qa.predict_logits(model, valid, stack_collate, batch_size=10)
    model.eval()
    with torch.no_grad():
        out = model(input_ids=torch.tensor(valid["input_ids"]))
    np.testing.assert_allclose(start, out.start_logits.numpy(), atol=1e-5)
    accuracy = np.mean(start.argmax(1) == np.array(valid["start_positions"]))
    assert accuracy > 0.8


def test_resumed_qa_run_matches_an_uninterrupted_one(tmp_path):
    straight = tiny_qa_model()
    full = qa.train_qa(straight, TRAIN, config(), collate_fn=stack_collate, device="cpu")
    interrupted = tiny_qa_model()
    first = qa.train_qa(interrupted, TRAIN, config(checkpoint_dir=str(tmp_path), stop_after_epoch=1),
                        collate_fn=stack_collate, device="cpu")
    assert len(first.losses) == 6 and checkpoints.latest_checkpoint(tmp_path).name == "epoch-1"
    resumed_model = tiny_qa_model(seed=123)  # a fresh process: another model, scrambled random states
    torch.manual_seed(999), random.seed(999), np.random.seed(999)
    resumed = qa.train_qa(resumed_model, TRAIN, config(checkpoint_dir=str(tmp_path), resume=True),
                          collate_fn=stack_collate, device="cpu")
    assert resumed.losses == pytest.approx(full.losses, abs=1e-6)
    valid = marker_features(32, seed=2)
    for a, b in zip(qa.predict_logits(straight, valid, stack_collate), qa.predict_logits(resumed_model, valid, stack_collate)):
        np.testing.assert_allclose(a, b, atol=1e-5)  # the same final predictions, hence the same metric
    for (name, a), b in zip(straight.state_dict().items(), resumed_model.state_dict().values()):
        assert torch.allclose(a, b, atol=1e-6), name


def test_resume_without_the_saved_random_state_would_differ(tmp_path):
    """Guard: the comparison above can fail (dropout and shuffling depend on the saved state)."""
    full = qa.train_qa(tiny_qa_model(), TRAIN, config(), collate_fn=stack_collate, device="cpu")
    qa.train_qa(tiny_qa_model(), TRAIN, config(checkpoint_dir=str(tmp_path), stop_after_epoch=1),
                collate_fn=stack_collate, device="cpu")
    state_file = checkpoints.latest_checkpoint(tmp_path) / checkpoints.STATE
    state = torch.load(state_file, weights_only=True)
    state["rng"]["torch"] = torch.manual_seed(12345).get_state()
    torch.save(state, state_file)
    resumed = qa.train_qa(tiny_qa_model(), TRAIN, config(checkpoint_dir=str(tmp_path), resume=True),
                          collate_fn=stack_collate, device="cpu")
    assert resumed.losses[6:] != pytest.approx(full.losses[6:], abs=1e-6)


def test_padded_batches_predict_like_single_examples(tokenizer):
    model = tiny_qa_model()
    model.resize_token_embeddings(len(tokenizer))
    model.config.max_position_embeddings = 16
    features = {"input_ids": [[101, 5, 6, 102], [101, 7, 102]], "attention_mask": [[1, 1, 1, 1], [1, 1, 1]]}
    start, _ = qa.predict_logits(model, features, DataCollatorWithPadding(tokenizer), batch_size=2)
    assert start.shape == (2, 4) and np.isneginf(start[1, 3])  # padding can never be picked
    alone, _ = qa.predict_logits(model, {k: v[1:] for k, v in features.items()}, DataCollatorWithPadding(tokenizer))
    np.testing.assert_allclose(start[1, :3], alone[0], atol=1e-5)


@pytest.mark.parametrize("prediction,golds,category", [
    ("Sydney", ["Sydney"], "correct"),
    ("the Sydney.", ["Sydney"], "correct"),
    ("about 500", ["500"], "boundary"),
    ("300", ["500"], "same type"),
    ("Melbourne", ["Hill Top"], "same type"),
    ("the residents", ["500"], "unrelated"),
    ("", ["500"], "unrelated"),
])
def test_error_categories(prediction, golds, category):
    assert qa.error_category(prediction, golds) == category


def test_baselines_return_spans_by_hand():
    assert first_noun_phrase(QUESTION, CONTEXT) == "Sydney"
    # the right sentence, but the longest run of unasked words is "in Hill Top", not "About 500"
    assert overlap_window(QUESTION, CONTEXT) == "in Hill Top"
    assert overlap_window("Where did the storm hit on Monday?", CONTEXT) == "Sydney"
