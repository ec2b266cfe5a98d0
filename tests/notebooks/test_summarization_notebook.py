"""Notebook 09's hub path, sized for its scale: run its data cells at ``tiny x hub`` against a stand-in of
CNN/DailyMail with the hub's real layout (``abisee/cnn_dailymail``, config 3.0.0, Parquet shards, columns
article/highlights/id, 5,000 rows per split, some degenerate articles as in the real test split). The
real ``load_dataset("abisee/cnn_dailymail", "3.0.0")`` reads it, from a folder of that name.

Proven here: tokenization (``map``) touches only the rows the run uses (steps x batch training pairs, the
evaluation cap for validation and test), statistics read at most a sample, and the length check tolerates
empty articles and articles shorter than their highlights."""
import hashlib
import json
import random
from pathlib import Path

import datasets
import pytest
import torch

from helpers.course.config import resolve

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "09_summarization.ipynb"
ROWS = 5000  # per split (the hub's: 287,113 / 13,368 / 11,490)
DEGENERATE_EVERY = 50  # every 50th row (2%): an empty article, or an article shorter than its highlights
WORDS = ("the police said a man was found in the city on monday after storm hit coast minister "
         "government team won match club players fans world cup new study shows people health").split()

README = """---
dataset_info:
- config_name: 3.0.0
  features:
  - name: article
    dtype: string
  - name: highlights
    dtype: string
  - name: id
    dtype: string
configs:
- config_name: 3.0.0
  data_files:
  - split: train
    path: 3.0.0/train-*
  - split: validation
    path: 3.0.0/validation-*
  - split: test
    path: 3.0.0/test-*
---
# A stand-in of abisee/cnn_dailymail (3.0.0) for the tests: same files, columns and splits, made-up text.
"""


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def row_id(split: str, index: int) -> str:
    """A 40-digit hex id, unique across splits, like CNN/DailyMail's (the SHA-1 of the story's URL)."""
    return hashlib.sha1(f"{split}/{index}".encode()).hexdigest()


def pair(rng: random.Random, split: str, index: int, degenerate: bool) -> dict[str, str]:
    highlights = "\n".join(sentence(rng, rng.randint(8, 14)) for _ in range(3))
    if degenerate and index % DEGENERATE_EVERY == 0:
        article = "" if index % (2 * DEGENERATE_EVERY) == 0 else sentence(rng, 5)  # empty, or shorter
    else:
        article = "(CNN) -- " + " ".join(sentence(rng, rng.randint(10, 20)) for _ in range(rng.randint(4, 8)))
    return {"article": article, "highlights": highlights, "id": row_id(split, index)}


def write_stand_in(root: Path, degenerate: bool = True) -> Path:
    """``root/abisee/cnn_dailymail``: README with the hub's configs, Parquet shards named as on the hub."""
    folder = root / "abisee" / "cnn_dailymail"
    (folder / "3.0.0").mkdir(parents=True)
    (folder / "README.md").write_text(README)
    rng = random.Random(0)
    shards = {"train": 3, "validation": 1, "test": 1}
    for split, count in shards.items():
        rows = [pair(rng, split, i, degenerate) for i in range(ROWS)]
        size = -(-ROWS // count)
        for shard in range(count):
            part = rows[shard * size:(shard + 1) * size]
            table = datasets.Dataset.from_list(part)
            table.to_parquet(str(folder / "3.0.0" / f"{split}-{shard:05d}-of-{count:05d}.parquet"))
    return folder


def code_cells() -> list[str]:
    return ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"] if c["cell_type"] == "code"]


def cell(marker: str) -> str:
    found = [source for source in code_cells() if marker in source]
    assert len(found) == 1, f"expected one code cell of notebook 09 holding {marker!r}, found {len(found)}"
    return found[0]


class CountingTokenizer:
    """A tokenizer that counts the texts it is asked to tokenize (sources and targets apart)."""

    def __init__(self, tokenizer):
        self.tokenizer, self.sources, self.targets = tokenizer, 0, 0

    def __call__(self, *args, **kwargs):
        if args:
            self.sources += len(args[0]) if isinstance(args[0], list) else 1
        if "text_target" in kwargs:
            self.targets += len(kwargs["text_target"])
        return self.tokenizer(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.tokenizer, name)


def run_data_cells(tmp_path: Path, monkeypatch) -> dict:
    """Notebook 09's set-up, data and preprocessing cells at tiny x hub, on the stand-in; the namespace after."""
    from transformers import AutoTokenizer, T5Config, T5ForConditionalGeneration

    from helpers.course import assets
    from helpers.seq2seq_metrics import mean_words

    monkeypatch.chdir(tmp_path)  # load_dataset("abisee/cnn_dailymail", ...) finds the stand-in folder
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    tokenizer = CountingTokenizer(AutoTokenizer.from_pretrained(str(assets.path("encoder"))))
    torch.manual_seed(0)
    model = T5ForConditionalGeneration(T5Config(vocab_size=tokenizer.tokenizer.vocab_size, d_model=8, d_kv=4,
                                                d_ff=16, num_layers=1, num_heads=2,
                                                decoder_start_token_id=0))  # as in t5-small's config.json
    loaded, words_read = [], []

    def load_seq2seq_model(model_id, encoder_checkpoint, decoder_layers=None):  # stands in for t5-small
        loaded.append(model_id)
        return model, tokenizer

    def counting_mean_words(texts):
        words_read.append(len(texts))
        return mean_words(texts)

    scope: dict = {}
    exec(compile(code_cells()[0], str(NOTEBOOK), "exec"), scope)  # the set-up cell: imports, settings, device
    scope.update(cfg=resolve({"TUTORIAL_SCALE": "tiny", "TUTORIAL_SOURCE": "hub"}, "cpu"),
                 load_seq2seq_model=load_seq2seq_model, mean_words=counting_mean_words, device=torch.device("cpu"))
    markers = ["load_summarization(cfg.data.summarization)", "cap_splits(data,", "documents, references =",
               "def preprocess("]
    found = [source for source in code_cells() if any(m in source for m in markers)]
    assert len(found) >= 3, "notebook 09 no longer loads, cuts and tokenizes its data in the expected cells"
    for source in found:
        exec(compile(source, str(NOTEBOOK), "exec"), scope)
    scope.update(tokenizer_counts=tokenizer, loaded=loaded, words_read=words_read)
    return scope


@pytest.fixture(scope="module")
def hub_run(tmp_path_factory):
    """One run of the data cells for the tests that read it (writing and tokenizing take a few seconds)."""
    root = tmp_path_factory.mktemp("hub")
    write_stand_in(root)
    with pytest.MonkeyPatch.context() as monkeypatch:
        return run_data_cells(root, monkeypatch)


def test_the_stand_in_has_cnn_dailymails_layout(tmp_path, monkeypatch):
    write_stand_in(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path / "cache")
    data = datasets.load_dataset("abisee/cnn_dailymail", "3.0.0")
    assert {name: len(split) for name, split in data.items()} == {"train": ROWS, "validation": ROWS, "test": ROWS}
    assert data["train"].column_names == ["article", "highlights", "id"]
    test = data["test"]
    short = sum(len(a.split()) <= len(h.split()) for a, h in zip(test["article"], test["highlights"]))
    assert short == ROWS // DEGENERATE_EVERY and "" in test["article"]


def test_tiny_hub_tokenizes_only_the_rows_it_uses(hub_run):
    cfg, tokenizer = hub_run["cfg"], hub_run["tokenizer_counts"]
    train_pairs, evaluated = cfg.summarization.steps * cfg.seq2seq.batch_size, cfg.summarization.eval_examples  # 800, 300
    assert hub_run["loaded"] == [cfg.models.summarization]  # the t5-small path: a seq2seq checkpoint
    assert {name: len(split) for name, split in hub_run["encoded"].items()} == {
        "train": train_pairs, "validation": evaluated, "test": evaluated}
    # each pair tokenized once: ROWS x 3 = 15,000 before the cut was made before map
    assert tokenizer.sources == tokenizer.targets == train_pairs + 2 * evaluated
    assert len(hub_run["documents"]) == evaluated and hub_run["prefix"] == "summarize: "
    assert 0 < max(hub_run["words_read"]) <= train_pairs  # statistics read a sample, never a whole split


def test_tiny_hub_trains_on_a_random_sample_and_tests_on_the_first_rows(hub_run):
    position = {row_id("train", i): i for i in range(ROWS)}
    rows = [position[i] for i in hub_run["data"]["train"]["id"]]
    assert len(set(rows)) == len(rows) and max(rows) > 2 * len(rows)  # a sample from the whole split, no repeats
    assert rows != sorted(rows)  # shuffled: not the split's first rows
    assert hub_run["data"]["test"]["id"] == [row_id("test", i) for i in range(len(hub_run["data"]["test"]))]
    assert "CNN/DailyMail" in hub_run["summaries_name"] and "docstring" not in hub_run["summaries_name"]


@pytest.mark.parametrize("source,before,lead_1,passes", [
    ("hub", 12.0, 16.3, True),  # t5-small, trained on CNN/DailyMail, summarizes before fine-tuning
    ("hub", 0.1, 16.3, False),  # junk (the warm start's ROUGE-L offline) must not pass as a pretrained summarizer
    ("offline", 0.1, 16.3, True),  # the untrained warm start writes junk
    ("offline", 12.0, 16.3, False),
])
def test_the_before_fine_tuning_check_separates_a_summarizer_from_junk(source, before, lead_1, passes):
    """The notebook's check on ROUGE before fine-tuning, run with stand-in scores: at source=hub a model that
    writes junk fails it (the old check, on the loss, let any falling curve pass)."""
    import time

    scope = {"cfg": resolve({"TUTORIAL_SCALE": "tiny", "TUTORIAL_SOURCE": source}, "cpu"), "time": time,
             "generate": lambda model, tokenizer, documents, **settings: ["a summary"] * len(documents),
             "rouge_scores": lambda outputs, references: {"rougeL": before}, "mean_words": lambda texts: 2.0,
             "results": {"lead-1": {"rougeL": lead_1}}, "model": None, "tokenizer": None,
             "documents": ["A document."] * 3, "references": ["A summary."] * 3, "decode_settings": {}}
    source_code = cell("before = generate(")
    if passes:
        exec(compile(source_code, str(NOTEBOOK), "exec"), scope)
    else:
        with pytest.raises(AssertionError):
            exec(compile(source_code, str(NOTEBOOK), "exec"), scope)
