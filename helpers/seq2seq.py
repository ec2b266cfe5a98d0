"""Sequence-to-sequence fine-tuning, shared by notebooks 07 (translation) and 09 (summarization).

* ``warm_start``: an encoder-decoder built from a pretrained *encoder* (BERT2BERT,
  Rothe, Narayan & Severyn 2020): the encoder is copied as it is; the decoder is the
  same checkpoint with a causal mask and new, randomly initialised cross-attention.
  ``weight_origins`` counts which parameters are pretrained and which are new.
* ``load_seq2seq_model``: a real seq2seq checkpoint (``AutoModelForSeq2SeqLM``) when there is
  one, else the warm start; the rest of the code is the same for both. (The datasets come
  from ``helpers.data.translation.load_translation`` and ``summarization_data.load_summarization``.)
* ``encode_pairs`` / ``shift_right`` / ``collator``: source and target token ids, labels
  padded with -100, decoder inputs = labels shifted one step right (teacher forcing).
* ``trainer_arguments`` / ``seq2seq_trainer``: ``Seq2SeqTrainer`` with the course's small, CPU-friendly
  settings and the mixed precision ``helpers.device.pick_precision`` chooses (bf16/fp16 on a GPU).
* ``generate``: batched ``model.generate`` that returns strings.
"""
from __future__ import annotations

import tempfile
from typing import Any, Sequence

import torch

from .device import pick_device, trainer_precision_args
from .course.errors import TutorialError
from .course.validation import (require_callable, require_dataset, require_int, require_model, require_module,
                         require_number, require_str, require_strings, require_tensor)

IGNORE_INDEX = -100  # labels with this value are skipped by the cross-entropy loss


class Seq2SeqError(TutorialError, ValueError):
    """A seq2seq set-up that cannot work as asked."""


# --- the model ------------------------------------------------------------------------------

def warm_start(checkpoint: str, decoder_layers: int | None = None):
    """(BERT2BERT model, tokenizer, new-weight names): an ``EncoderDecoderModel`` from one BERT checkpoint.

    ``decoder_layers`` keeps only the first k layers of the checkpoint in the decoder (all
    when None); the encoder always keeps all of its layers. The special tokens of the
    BERT vocabulary take the roles a decoder needs: generation starts from ``[CLS]`` and
    stops at ``[SEP]``; ``[PAD]`` pads.

    Taught in: notebook 07, section 3.
    """
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer, EncoderDecoderModel

    require_str("checkpoint", checkpoint)
    if decoder_layers is not None:
        require_int("decoder_layers", decoder_layers, minimum=1)
    config = AutoConfig.from_pretrained(checkpoint)
    if decoder_layers is not None and not 1 <= decoder_layers <= config.num_hidden_layers:
        raise Seq2SeqError(f"decoder_layers={decoder_layers} is not possible for {checkpoint}, which has "
                           f"{config.num_hidden_layers} layers; use 1 to {config.num_hidden_layers} or None")
    overrides = {"num_hidden_layers": decoder_layers} if decoder_layers else {}
    decoder, info = AutoModelForCausalLM.from_pretrained(
        checkpoint, is_decoder=True, add_cross_attention=True, output_loading_info=True, **overrides)
    model = EncoderDecoderModel.from_encoder_decoder_pretrained(checkpoint, decoder_model=decoder)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    set_special_tokens(model, tokenizer)
    return model, tokenizer, sorted(info["missing_keys"])


def set_special_tokens(model, tokenizer) -> None:
    """Tell a BERT2BERT model (and its generation config) which tokens start, stop and pad.

    Not taught: a building block of this module's taught helpers.
    """
    require_model("model", model)
    require_callable("tokenizer", tokenizer)
    ids = {"decoder_start_token_id": tokenizer.cls_token_id, "bos_token_id": tokenizer.cls_token_id,
           "eos_token_id": tokenizer.sep_token_id, "pad_token_id": tokenizer.pad_token_id}
    for name, value in ids.items():
        setattr(model.config, name, value)
        setattr(model.generation_config, name, value)
    model.config.vocab_size = model.config.decoder.vocab_size


def weight_origins(model, new_decoder_keys: Sequence[str]) -> dict[str, int]:
    """Parameter counts of a warm-started model: pretrained encoder, pretrained decoder, new.

    ``new_decoder_keys`` are the decoder's parameter names that the checkpoint did not hold
    (``warm_start`` returns them). Tied weights (the decoder's output layer shares the word
    embeddings) are counted once.

    Taught in: notebook 07, section 3.
    """
    require_module("model", model)
    new = set(require_strings("new_decoder_keys", new_decoder_keys))
    counts = {"encoder (pretrained)": 0, "decoder (pretrained)": 0, "decoder (new)": 0}
    for name, parameter in model.named_parameters():  # shared tensors appear once
        if name.startswith("encoder."):
            counts["encoder (pretrained)"] += parameter.numel()
        elif name.removeprefix("decoder.") in new:
            counts["decoder (new)"] += parameter.numel()
        else:
            counts["decoder (pretrained)"] += parameter.numel()
    return counts


def cross_attention_from_self(model) -> int:
    """Initialise every decoder layer's (new) cross-attention with a copy of the same layer's
    (pretrained) self-attention; returns how many numbers were copied.

    Encoder and decoder are copies of one checkpoint, so the encoder's outputs live in the
    space the self-attention was trained on: the copied projections can compare decoder
    states with source tokens from the first step, instead of starting from random ones.

    Taught in: notebook 07, section 3.
    """
    require_module("model", model)
    layers = getattr(getattr(getattr(getattr(model, "decoder", None), "bert", None), "encoder", None), "layer", None)
    if layers is None or not all(hasattr(layer, "crossattention") for layer in layers):
        raise TypeError(f"model must be a BERT2BERT EncoderDecoderModel with cross-attention (from warm_start), "
                        f"got {type(model).__name__}")
    copied = 0
    for layer in layers:
        layer.crossattention.load_state_dict(layer.attention.state_dict())
        copied += sum(p.numel() for p in layer.crossattention.parameters())
    return copied


def load_seq2seq_model(model_id: str | None, encoder_checkpoint: str, decoder_layers: int | None = None):
    """(model, tokenizer): ``AutoModelForSeq2SeqLM`` for a seq2seq checkpoint, else a warm start.

    Taught in: notebook 07, section 3.
    """
    if model_id is not None:
        require_str("model_id", model_id)
    if model_id:
        from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

        return AutoModelForSeq2SeqLM.from_pretrained(model_id), AutoTokenizer.from_pretrained(model_id)
    model, tokenizer, _ = warm_start(encoder_checkpoint, decoder_layers)
    return model, tokenizer


# --- the data -------------------------------------------------------------------------------

def encode_pairs(tokenizer, sources: Sequence[str], targets: Sequence[str], max_source_length: int,
                 max_target_length: int, decoder_start_token_id: int | None = None,
                 prefix: str = "") -> dict[str, list[list[int]]]:
    """Token ids of sources (``input_ids``, ``attention_mask``) and targets (``labels``).

    The labels are what the decoder must *output*: when the tokenizer puts the decoder's
    start token in front of a target (BERT's ``[CLS]``), it is removed, because the decoder
    is *given* that token and never has to predict it. ``prefix`` is prepended to every
    source (T5 reads its task from it, e.g. ``"summarize: "``). Notebook 07, section 4, writes
    this code out (a unit test checks the two agree); notebook 09, section 4, shows it.

    Taught in: notebook 09, section 4.
    """
    require_callable("tokenizer", tokenizer)
    require_strings("sources", sources)
    require_strings("targets", targets)
    if len(sources) != len(targets):
        raise Seq2SeqError(f"sources and targets must have the same length (one target per source), "
                           f"got {len(sources)} sources but {len(targets)} targets")
    require_int("max_source_length", max_source_length, minimum=1)
    require_int("max_target_length", max_target_length, minimum=1)
    if decoder_start_token_id is not None:
        require_int("decoder_start_token_id", decoder_start_token_id, minimum=0)
    require_str("prefix", prefix, empty=True)
    inputs = tokenizer([prefix + s for s in sources], max_length=max_source_length, truncation=True)
    labels = tokenizer(text_target=list(targets), max_length=max_target_length + 1, truncation=True)["input_ids"]
    if decoder_start_token_id is not None:
        labels = [ids[1:] if ids and ids[0] == decoder_start_token_id else ids for ids in labels]
    inputs["labels"] = [ids[:max_target_length] for ids in labels]
    return dict(inputs)


def shift_right(labels: torch.Tensor, decoder_start_token_id: int, pad_token_id: int) -> torch.Tensor:
    """Decoder inputs for teacher forcing: (B, T) labels -> (B, T) inputs, one step later.

    Position t of the decoder reads label t-1 (the start token at t = 0) and must predict
    label t. Padding labels (-100) become ``pad_token_id``: they are read, never predicted.

    Taught in: notebook 07, section 4.
    """
    require_tensor("labels", labels, shape="(B, T)", dtype="int")
    if labels.dim() != 2:
        raise Seq2SeqError(f"labels must have shape (B, T), got {tuple(labels.shape)}")
    require_int("decoder_start_token_id", decoder_start_token_id, minimum=0)
    require_int("pad_token_id", pad_token_id, minimum=0)
    shifted = labels.new_full(labels.shape, pad_token_id)  # (B, T)
    shifted[:, 1:] = labels[:, :-1]
    shifted[:, 0] = decoder_start_token_id
    return shifted.masked_fill(shifted == IGNORE_INDEX, pad_token_id)


def collator(tokenizer, model):
    """The library's ``DataCollatorForSeq2Seq``: pads inputs with ``[PAD]``, labels with -100,
    and adds ``decoder_input_ids`` (the labels shifted right) from the model. Notebook 07,
    section 4, makes the same call (a unit test checks the two agree).

    Taught in: notebook 09, section 4.
    """
    from transformers import DataCollatorForSeq2Seq

    require_callable("tokenizer", tokenizer)
    require_model("model", model)
    return DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=IGNORE_INDEX,
                                  return_tensors="pt")


# --- training -------------------------------------------------------------------------------

def trainer_arguments(*, output_dir: str, learning_rate: float, batch_size: int, max_steps: int, seed: int = 0,
                      warmup_fraction: float = 0.05, **overrides: Any) -> dict[str, Any]:
    """The ``Seq2SeqTrainingArguments`` settings of ``seq2seq_trainer``, as a plain dict.

    Short runs: no checkpoints, no evaluation loop, batches of similar length (less padding),
    a constant learning rate after a short warm-up (a decaying rate spends half of a short
    run at rates too small to move new weights), and ``bf16``/``fp16`` from
    ``trainer_precision_args`` for the device the trainer will use (the CPU when
    ``use_cpu=True``), so ``Seq2SeqTrainer`` trains in the same precision as our own loop
    (``helpers.training``). ``overrides`` replace any setting. Notebook 07 (section 7) and
    notebook 09 (section 5) print what the trainer got.

    Not taught: a building block of this module's taught helpers.
    """
    require_str("output_dir", output_dir)
    require_int("max_steps", max_steps)
    require_int("batch_size", batch_size)
    require_number("learning_rate", learning_rate)
    if max_steps < 1 or batch_size < 1 or learning_rate <= 0:
        raise Seq2SeqError(f"need max_steps >= 1, batch_size >= 1 and learning_rate > 0; got "
                           f"max_steps={max_steps}, batch_size={batch_size}, learning_rate={learning_rate}")
    require_int("seed", seed, minimum=0)
    require_number("warmup_fraction", warmup_fraction, minimum=0.0, below=1.0)
    device = torch.device("cpu") if overrides.get("use_cpu") else pick_device()
    settings = dict(
        output_dir=output_dir, per_device_train_batch_size=batch_size, learning_rate=learning_rate,
        max_steps=max_steps, warmup_steps=warmup_fraction, lr_scheduler_type="constant_with_warmup",
        train_sampling_strategy="group_by_length", logging_steps=max(1, max_steps // 10), save_strategy="no",
        eval_strategy="no", report_to="none", disable_tqdm=True, seed=seed, dataloader_num_workers=0,
        **trainer_precision_args(device),  # bf16 on a recent GPU, fp16 on an older one, fp32 on a CPU
    )
    settings.update(overrides)
    return settings


def seq2seq_trainer(model, tokenizer, train_dataset, *, learning_rate: float, batch_size: int,
                    max_steps: int, seed: int = 0, warmup_fraction: float = 0.05, output_dir: str | None = None,
                    **overrides: Any):
    """A ``Seq2SeqTrainer`` for short runs, with the settings of ``trainer_arguments`` and the
    collator of ``collator`` (dynamic padding: each batch is padded to its own longest pair).

    Taught in: notebook 07, section 4.
    """
    from transformers import Seq2SeqTrainer, Seq2SeqTrainingArguments

    settings = trainer_arguments(output_dir=output_dir or tempfile.mkdtemp(prefix="seq2seq-"),
                                 learning_rate=learning_rate, batch_size=batch_size, max_steps=max_steps, seed=seed,
                                 warmup_fraction=warmup_fraction, **overrides)
    require_model("model", model)
    require_callable("tokenizer", tokenizer)
    require_dataset("train_dataset", train_dataset)
    return Seq2SeqTrainer(model=model, args=Seq2SeqTrainingArguments(**settings), train_dataset=train_dataset,
                          data_collator=collator(tokenizer, model), processing_class=tokenizer)


def loss_history(trainer) -> tuple[list[int], list[float]]:
    """(steps, training losses) that the trainer logged.

    Taught in: notebook 07, section 7.
    """
    if not hasattr(getattr(trainer, "state", None), "log_history"):
        raise TypeError(f"trainer must be a transformers Trainer (after trainer.train()), got {type(trainer).__name__}")
    logged = [(row["step"], row["loss"]) for row in trainer.state.log_history if "loss" in row]
    return [s for s, _ in logged], [loss for _, loss in logged]


# --- generating -----------------------------------------------------------------------------

@torch.no_grad()
def generate(model, tokenizer, sources: Sequence[str], *, max_source_length: int, max_new_tokens: int,
             batch_size: int = 32, prefix: str = "", **generate_kwargs: Any) -> list[str]:
    """Generated texts for a list of sources (greedy unless ``generate_kwargs`` say otherwise).

    Taught in: notebook 07, section 5.
    """
    require_model("model", model)
    require_callable("tokenizer", tokenizer)
    require_strings("sources", sources)
    require_int("max_source_length", max_source_length, minimum=1)
    require_int("max_new_tokens", max_new_tokens, minimum=1)
    require_int("batch_size", batch_size, minimum=1)
    require_str("prefix", prefix, empty=True)
    model.eval()
    device = next(model.parameters()).device
    outputs: list[str] = []
    for start in range(0, len(sources), batch_size):
        chunk = [prefix + s for s in sources[start:start + batch_size]]
        batch = tokenizer(chunk, max_length=max_source_length, truncation=True, padding=True,
                          return_tensors="pt").to(device)
        ids = model.generate(**batch, max_new_tokens=max_new_tokens, **generate_kwargs)  # (b, T_out)
        outputs.extend(tokenizer.batch_decode(ids, skip_special_tokens=True))
    return [text.strip() for text in outputs]


def as_tokenizer_writes(tokenizer, texts: Sequence[str]) -> list[str]:
    """Each text as the model could at best write it: ``decode(encode(text))``.

    An uncased tokenizer lowercases and strips accents and puts spaces around punctuation;
    scoring against references passed through the same round trip compares like with like.

    Taught in: notebook 07, section 5.
    """
    require_callable("tokenizer", tokenizer)
    require_strings("texts", texts)
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    return [text.strip() for text in tokenizer.batch_decode(ids, skip_special_tokens=True)]
