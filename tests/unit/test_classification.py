"""helpers.classification: probabilities match the logits, mistakes are ranked, padding is counted right."""
import pytest
import torch
from transformers import BertForSequenceClassification

from tiny_models import tiny_bert

from helpers.classification import most_confident_mistakes, padded_tokens, predict_proba, seconds_per_batch
from helpers.training import stack_collate


def tiny_model() -> BertForSequenceClassification:
    return tiny_bert(num_labels=3).eval()


def dataset(n: int = 10, length: int = 6) -> list[dict]:
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(1, 30, (n, length), generator=generator)
    return [{"input_ids": row.tolist(), "attention_mask": [1] * length, "label": i % 3} for i, row in enumerate(ids)]


def test_predict_proba_is_the_softmax_of_the_logits_and_keeps_order():
    model, data = tiny_model(), dataset()
    model.train()  # predict_proba must switch to eval mode (dropout off) and restore the mode
    probs, labels = predict_proba(model, data, stack_collate, batch_size=4)
    assert model.training
    batch = stack_collate(data)
    model.eval()
    with torch.no_grad():
        expected = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits.softmax(-1)
    assert probs.shape == (10, 3) and labels.tolist() == [i % 3 for i in range(10)]
    torch.testing.assert_close(probs, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(probs.sum(-1), torch.ones(10))


def test_predict_proba_rejects_a_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        predict_proba(tiny_model(), dataset(), stack_collate, batch_size=0)


def test_most_confident_mistakes_ranks_only_wrong_predictions():
    probs = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.05, 0.95], [0.3, 0.7]])
    labels = torch.tensor([1, 1, 1, 0, 1])  # wrong: 0 (0.9), 2 (0.6), 3 (0.95)
    assert most_confident_mistakes(probs, labels, k=5) == [3, 0, 2]
    assert most_confident_mistakes(probs, labels, k=2) == [3, 0]
    assert most_confident_mistakes(probs, labels, k=0) == []
    assert most_confident_mistakes(probs, torch.tensor([0, 1, 0, 1, 1]), k=3) == []


@pytest.mark.parametrize("probs,labels,k", [(torch.ones(3), torch.zeros(3), 1),
                                            (torch.ones(3, 2), torch.zeros(2), 1),
                                            (torch.ones(3, 2), torch.zeros(3), -1)])
def test_most_confident_mistakes_validates_arguments(probs, labels, k):
    with pytest.raises(ValueError):
        most_confident_mistakes(probs, labels, k)


def test_padded_tokens_counts_each_batch_at_its_longest():
    lengths = [3, 5, 2, 2, 7]
    assert padded_tokens(lengths, batch_size=2) == 5 * 2 + 2 * 2 + 7 * 1  # batches [3,5] [2,2] [7]
    assert padded_tokens(lengths, batch_size=5) == 7 * 5
    assert padded_tokens(lengths, batch_size=2, pad_to=8) == 40
    with pytest.raises(ValueError, match="pad_to"):
        padded_tokens(lengths, batch_size=2, pad_to=6)
    with pytest.raises(ValueError, match="batch_size"):
        padded_tokens(lengths, batch_size=0)


def test_seconds_per_batch_times_forward_passes():
    model, data = tiny_model(), dataset()
    batches = [stack_collate(data[:5]), stack_collate(data[5:])]
    seconds = seconds_per_batch(model, batches, repeats=2)
    assert 0 < seconds < 5
    with pytest.raises(ValueError, match="empty"):
        seconds_per_batch(model, [])


def _printed_strings(source: str) -> list[str]:
    """The literal text of what a cell prints or puts in a plot title (f-string parts included)."""
    import ast

    shown = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        parts = list(node.args) if name in ("print", "set_title", "suptitle") else []
        parts += [k.value for k in node.keywords if k.arg == "title"]
        shown += [s.value for part in parts for s in ast.walk(part)
                  if isinstance(s, ast.Constant) and isinstance(s.value, str)]
    return shown


def test_notebook06_outputs_name_examples_from_the_settings():
    """At source=hub the examples are SST-2 sentences: no print or plot title may call them emails."""
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "notebooks" / "06_classification.ipynb"
    cells = json.loads(path.read_text())["cells"]
    worded = [(i, text) for i, cell in enumerate(cells) if cell["cell_type"] == "code"
              for text in _printed_strings("".join(cell["source"])) if "email" in text.lower()]
    assert not worded, f"notebook 06 prints 'emails' at every source (use `texts`): {worded}"
    assert _printed_strings('print(f"test {n} emails")\nax.set(title="Overfitting (emails)")') == \
        ["test ", " emails", "Overfitting (emails)"]
