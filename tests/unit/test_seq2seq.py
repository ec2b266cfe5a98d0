"""The shared seq2seq helpers, on a tiny BERT checkpoint built here (no asset, seconds to run), and notebook
07's written-out preprocessing, which must equal the helpers' (encode_pairs, collator)."""
from pathlib import Path

import pytest
import torch
from transformers import BertConfig, BertModel, BertTokenizerFast, EncoderDecoderModel
from transformers.models.encoder_decoder.modeling_encoder_decoder import shift_tokens_right

from helpers import checks
from helpers.bert_encoder import count_parameters
from helpers.freezing import freeze_module
from helpers.seq2seq import (IGNORE_INDEX, Seq2SeqError, as_tokenizer_writes, collator,
                             cross_attention_from_self,
                             encode_pairs, generate, load_seq2seq_model, loss_history, seq2seq_trainer,
                             shift_right, warm_start, weight_origins)

WORDS = ("save delete change password user group add the a of is on cat mat sat opslaan verwijderen "
         "wijzigen wachtwoord gebruiker groep toevoegen de het een van kat mat zat . , ?").split()
D, LAYERS, FFN = 32, 3, 64


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-bert")
    tokens = list(dict.fromkeys(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]))
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(tokens)}, do_lower_case=True)
    assert len(tokenizer) == len(tokens)
    config = BertConfig(vocab_size=len(tokenizer), hidden_size=D, num_hidden_layers=LAYERS, num_attention_heads=2,
                        intermediate_size=FFN, max_position_embeddings=64, pad_token_id=0)
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture()
def warm(checkpoint):
    torch.manual_seed(0)
    return warm_start(checkpoint, decoder_layers=2)


def test_warm_start_builds_a_bert2bert_with_the_right_tokens(warm):
    model, tokenizer, new_keys = warm
    assert isinstance(model, EncoderDecoderModel)
    assert model.config.decoder.is_decoder and model.config.decoder.add_cross_attention
    assert not model.config.encoder.is_decoder
    assert (model.config.encoder.num_hidden_layers, model.config.decoder.num_hidden_layers) == (LAYERS, 2)
    for holder in (model.config, model.generation_config):
        assert holder.decoder_start_token_id == tokenizer.cls_token_id
        assert holder.eos_token_id == tokenizer.sep_token_id and holder.pad_token_id == tokenizer.pad_token_id


def test_new_weights_are_cross_attention_and_lm_head_transform(warm, checkpoint):
    model, _, new_keys = warm
    assert new_keys and all("crossattention" in k or k.startswith("cls.predictions") for k in new_keys)
    assert any("crossattention" in k for k in new_keys) and any("transform" in k for k in new_keys)
    # the pretrained parts are copies of the checkpoint: encoder and decoder self-attention alike
    original = BertModel.from_pretrained(checkpoint)
    query = original.encoder.layer[1].attention.self.query.weight
    assert torch.equal(model.encoder.encoder.layer[1].attention.self.query.weight, query)
    assert torch.equal(model.decoder.bert.encoder.layer[1].attention.self.query.weight, query)


def test_weight_origins_count_every_parameter_once(warm):
    model, tokenizer, new_keys = warm
    origins = weight_origins(model, new_keys)
    assert sum(origins.values()) == sum(p.numel() for p in model.parameters())
    cross = sum(p.numel() for p in model.decoder.bert.encoder.layer[0].crossattention.parameters())
    assert cross == 4 * (D * D + D) + 2 * D  # q, k, v, output projections + LayerNorm
    assert origins["decoder (new)"] == 2 * cross + (D * D + D) + 2 * D + len(tokenizer)  # + transform, LayerNorm, bias


def test_cross_attention_can_start_as_a_copy_of_self_attention(warm):
    model, _, _ = warm
    copied = cross_attention_from_self(model)
    layers = model.decoder.bert.encoder.layer
    assert copied == sum(p.numel() for layer in layers for p in layer.crossattention.parameters())
    for layer in layers:
        assert torch.equal(layer.crossattention.self.key.weight, layer.attention.self.key.weight)
        assert torch.equal(layer.crossattention.output.dense.bias, layer.attention.output.dense.bias)
        assert layer.crossattention.self.key.weight.data_ptr() != layer.attention.self.key.weight.data_ptr()


def test_warm_start_rejects_impossible_depths(checkpoint):
    with pytest.raises(Seq2SeqError, match="decoder_layers=5"):
        warm_start(checkpoint, decoder_layers=5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shift_right_equals_the_library(seed):
    generator = torch.Generator().manual_seed(seed)
    labels = torch.randint(5, 30, (4, 7), generator=generator)
    labels[1, 4:] = IGNORE_INDEX
    labels[3, 2:] = IGNORE_INDEX
    before = labels.clone()
    ours = shift_right(labels, decoder_start_token_id=2, pad_token_id=0)
    assert torch.equal(ours, shift_tokens_right(labels, pad_token_id=0, decoder_start_token_id=2))
    assert torch.equal(labels, before) and (ours[:, 0] == 2).all() and not (ours == IGNORE_INDEX).any()
    with pytest.raises(Seq2SeqError, match=r"\(B, T\)"):
        shift_right(labels[0], 2, 0)


def test_encode_pairs_removes_the_start_token_from_labels(warm):
    model, tokenizer, _ = warm
    start = model.config.decoder_start_token_id
    encoded = encode_pairs(tokenizer, ["save the cat", "delete"], ["opslaan de kat", "verwijderen"], 16, 16,
                           decoder_start_token_id=start)
    assert encoded["input_ids"][0][0] == start  # the encoder still reads [CLS] first
    assert tokenizer.convert_ids_to_tokens(encoded["labels"][0]) == ["opslaan", "de", "kat", "[SEP]"]
    cut = encode_pairs(tokenizer, ["a"], ["de kat zat op de mat"], 8, 3, decoder_start_token_id=start)
    assert len(cut["labels"][0]) == 3
    prefixed = encode_pairs(tokenizer, ["cat"], ["kat"], 8, 8, prefix="save ")
    assert tokenizer.decode(prefixed["input_ids"][0], skip_special_tokens=True) == "save cat"
    with pytest.raises(Seq2SeqError, match="2 sources but 1 targets"):
        encode_pairs(tokenizer, ["a", "b"], ["c"], 8, 8)


def test_collator_pads_labels_with_minus_100_and_shifts_them(warm):
    model, tokenizer, _ = warm
    encoded = encode_pairs(tokenizer, ["save", "change the password"], ["opslaan", "wachtwoord wijzigen ."], 16, 16,
                           decoder_start_token_id=model.config.decoder_start_token_id)
    batch = collator(tokenizer, model)([{k: encoded[k][i] for k in encoded} for i in range(2)])
    assert batch["labels"].shape == batch["decoder_input_ids"].shape == (2, 4)
    assert batch["labels"][0].tolist()[2:] == [IGNORE_INDEX, IGNORE_INDEX]
    assert torch.equal(batch["decoder_input_ids"], shift_right(batch["labels"], tokenizer.cls_token_id,
                                                               tokenizer.pad_token_id))
    assert (batch["attention_mask"][0] == torch.tensor([1, 1, 1, 0, 0])).all()


def test_trainer_lowers_the_loss_and_generate_returns_text(warm):
    from datasets import Dataset

    model, tokenizer, _ = warm
    sources, targets = ["save", "delete", "change password", "add user"], \
                       ["opslaan", "verwijderen", "wachtwoord wijzigen", "gebruiker toevoegen"]
    encoded = encode_pairs(tokenizer, sources, targets, 8, 8, decoder_start_token_id=tokenizer.cls_token_id)
    trainer = seq2seq_trainer(model, tokenizer, Dataset.from_dict(encoded), learning_rate=1e-2, batch_size=4,
                              max_steps=60, use_cpu=True, logging_steps=10, warmup_fraction=0.0)
    trainer.train()
    steps, losses = loss_history(trainer)
    assert steps == [10, 20, 30, 40, 50, 60] and losses[-1] < 0.2 * losses[0]
    out = generate(model, tokenizer, sources, max_source_length=8, max_new_tokens=6, batch_size=3)
    assert len(out) == 4 and all(isinstance(text, str) for text in out)
    assert sum(o == t for o, t in zip(out, targets)) >= 2  # memorised most of the four pairs
    short = generate(model, tokenizer, sources, max_source_length=8, max_new_tokens=1)
    assert all(len(tokenizer(s, add_special_tokens=False)["input_ids"]) <= 1 for s in short)


def test_seq2seq_trainer_validates_its_arguments(warm):
    model, tokenizer, _ = warm
    with pytest.raises(Seq2SeqError, match="max_steps=0"):
        seq2seq_trainer(model, tokenizer, None, learning_rate=1e-3, batch_size=2, max_steps=0)


def test_load_seq2seq_reads_a_saved_seq2seq_checkpoint(warm, checkpoint, tmp_path):
    model, tokenizer, _ = warm
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    loaded, loaded_tokenizer = load_seq2seq_model(str(tmp_path), checkpoint)  # the hub path: AutoModelForSeq2SeqLM
    batch = tokenizer(["save the cat"], return_tensors="pt")
    labels = torch.tensor([[5, 6, 3]])
    model.eval(), loaded.eval()
    with torch.no_grad():
        assert torch.allclose(model(**batch, labels=labels).logits, loaded(**batch, labels=labels).logits, atol=1e-6)
    warm_again, _ = load_seq2seq_model(None, checkpoint, decoder_layers=1)
    assert isinstance(warm_again, EncoderDecoderModel) and warm_again.config.decoder.num_hidden_layers == 1


def test_freeze_and_count(warm):
    model, _, _ = warm
    total = count_parameters(model, trainable_only=True)
    frozen = freeze_module(model.encoder)
    assert frozen == sum(p.numel() for p in model.encoder.parameters())
    assert count_parameters(model, trainable_only=True) == total - frozen and freeze_module(model.encoder) == 0
    assert not any(p.requires_grad for p in model.encoder.parameters())
    assert any(p.requires_grad for p in model.decoder.parameters())


def test_as_tokenizer_writes_lowercases_like_the_uncased_tokenizer(warm):
    _, tokenizer, _ = warm
    assert as_tokenizer_writes(tokenizer, ["De Kat zat.", "Opslaan?"]) == ["de kat zat.", "opslaan?"]


# --- exercise 07.1 -----------------------------------------------------------------------------

@pytest.mark.parametrize("mistake,words", [
    ("_minus_100_kept", ["-100"]), ("_shifted_left", ["left"]), ("_no_start_token", ["start token"]),
    ("_in_place", ["changed the labels"]), ("_not_shifted", ["start token"]),
])
def test_shift_exercise_names_the_mistake(mistake, words):
    from helpers.exercises import nb07

    result = checks.check("07.1", getattr(nb07, mistake))
    assert not result.passed and all(w in result.message for w in words), result.message


def test_shift_exercise_accepts_the_library_function():
    answer = lambda labels, start, pad: shift_tokens_right(labels, pad, start)
    assert checks.check("07.1", answer).passed
    assert checks.check("07.1", lambda labels, start, pad: shift_right(labels, start, pad)).passed


# --- interrupted training ------------------------------------------------------------------------

def _stop_at(step: int):
    from transformers import TrainerCallback

    class StopAt(TrainerCallback):  # as if the learner pressed stop after this step's checkpoint
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step >= step:
                control.should_training_stop = True
            return control

    return StopAt()


def _final_loss(model, tokenizer, dataset) -> float:
    batch = collator(tokenizer, model)([dataset[i] for i in range(len(dataset))])
    model.eval()
    with torch.no_grad():
        return model(**batch).loss.item()


@pytest.fixture
def one_thread():
    """One CPU thread: on a loaded 2-core machine, two threads per step made this test 30x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_an_interrupted_seq2seq_run_resumes_to_the_same_result(checkpoint, tmp_path, one_thread):
    from datasets import Dataset

    sources = ["save", "delete", "change password", "add user", "the cat", "add group"]
    targets = ["opslaan", "verwijderen", "wachtwoord wijzigen", "gebruiker toevoegen", "de kat", "groep toevoegen"]

    def run(folder, stop=None, resume=None):
        torch.manual_seed(0)
        model, tokenizer, _ = warm_start(checkpoint, decoder_layers=2)  # dropout 0.1: randomness matters
        data = Dataset.from_dict(encode_pairs(tokenizer, sources, targets, 8, 8,
                                              decoder_start_token_id=tokenizer.cls_token_id))
        trainer = seq2seq_trainer(model, tokenizer, data, learning_rate=5e-3, batch_size=2, max_steps=12,
                                  seed=3, use_cpu=True, logging_steps=1, warmup_fraction=0.0,
                                  output_dir=str(folder), save_strategy="steps", save_steps=6)
        if stop:
            trainer.add_callback(_stop_at(stop))
        trainer.train(resume_from_checkpoint=resume)
        return loss_history(trainer), _final_loss(model, tokenizer, data)

    (steps, losses), final = run(tmp_path / "straight")
    (first_steps, _), _ = run(tmp_path / "interrupted", stop=6)
    assert steps == list(range(1, 13)) and first_steps == list(range(1, 7))
    saved = tmp_path / "interrupted" / "checkpoint-6"
    assert (saved / "model.safetensors").is_file()  # weights as safetensors, not a pickle
    (resumed_steps, resumed_losses), resumed_final = run(tmp_path / "interrupted", resume=str(saved))
    assert resumed_steps[-6:] == list(range(7, 13))
    assert resumed_losses[-6:] == pytest.approx(losses[6:], abs=1e-5)
    assert resumed_final == pytest.approx(final, abs=1e-5)
    assert losses[-1] < losses[0]  # it did learn: the comparison is about a run that moves
    # the comparison can fail: resumed without the saved random state, dropout draws other masks
    for state in saved.glob("rng_state*.pth"):
        state.unlink()
    torch.manual_seed(12345)
    (_, scrambled), _ = run(tmp_path / "interrupted", resume=str(saved))
    assert scrambled[-6:] != pytest.approx(losses[6:], abs=1e-5)


# --- precision: Seq2SeqTrainer trains in what pick_precision chooses ------------------------------

def _arguments(**overrides):
    from helpers.seq2seq import trainer_arguments

    return trainer_arguments(output_dir="unused", learning_rate=1e-3, batch_size=2, max_steps=4, **overrides)


@pytest.mark.parametrize("dtype,flags", [(torch.bfloat16, (True, False)), (torch.float16, (False, True)),
                                         (None, (False, False))])
def test_trainer_arguments_take_bf16_or_fp16_from_pick_precision(monkeypatch, dtype, flags):
    import helpers.device

    monkeypatch.setattr(helpers.device, "pick_precision",
                        lambda device: helpers.device.Precision(dtype, use_grad_scaler=dtype == torch.float16))
    arguments = _arguments()
    assert (arguments["bf16"], arguments["fp16"]) == flags


@pytest.mark.parametrize("bf16_supported,flags", [(True, (True, False)), (False, (False, True))])
def test_trainer_arguments_on_a_cuda_machine(monkeypatch, bf16_supported, flags):
    # a CUDA machine as pick_device and pick_precision see it: bf16 on Ampere and newer, else fp16
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: bf16_supported)
    arguments = _arguments()
    assert (arguments["bf16"], arguments["fp16"]) == flags
    assert (arguments["train_sampling_strategy"], arguments["lr_scheduler_type"]) == ("group_by_length",
                                                                                       "constant_with_warmup")
    on_cpu = _arguments(use_cpu=True)  # a trainer told to use the CPU stays in fp32 even on that machine
    assert (on_cpu["bf16"], on_cpu["fp16"]) == (False, False)
    assert _arguments(bf16=False)["bf16"] is False  # an override wins


def test_seq2seq_trainer_hands_the_precision_to_its_arguments(warm, monkeypatch):
    # end to end, on a CPU: TrainingArguments accepts bf16 with use_cpu=True (CPU autocast)
    import helpers.device
    from datasets import Dataset

    model, tokenizer, _ = warm
    data = Dataset.from_dict(encode_pairs(tokenizer, ["save"], ["opslaan"], 8, 8))
    monkeypatch.setattr(helpers.device, "pick_precision",
                        lambda device: helpers.device.Precision(torch.bfloat16, use_grad_scaler=False))
    trainer = seq2seq_trainer(model, tokenizer, data, learning_rate=1e-3, batch_size=2, max_steps=2, use_cpu=True)
    assert (trainer.args.bf16, trainer.args.fp16) == (True, False)
    monkeypatch.undo()
    trainer = seq2seq_trainer(model, tokenizer, data, learning_rate=1e-3, batch_size=2, max_steps=2, use_cpu=True)
    assert (trainer.args.bf16, trainer.args.fp16) == (False, False)  # a CPU trains in fp32


def test_batches_are_grouped_by_length_and_padded_to_their_own_longest_pair(warm):
    # transformers 5 replaced TrainingArguments(group_by_length=True) by train_sampling_strategy; a wrong
    # name would fail in TrainingArguments, a wrong value would silently fall back to random batches
    from datasets import Dataset
    from transformers.trainer_pt_utils import LengthGroupedSampler

    model, tokenizer, _ = warm
    sources = ["save", "the cat sat on the mat", "add", "change the password of the user group", "delete user",
               "the cat", "save the password of the user", "add a group"]
    data = Dataset.from_dict(encode_pairs(tokenizer, sources, ["opslaan"] * len(sources), 16, 8))
    trainer = seq2seq_trainer(model, tokenizer, data, learning_rate=1e-3, batch_size=2, max_steps=4, use_cpu=True)
    assert isinstance(trainer._get_train_sampler(), LengthGroupedSampler)
    widths = []
    for batch in trainer.get_train_dataloader():
        widths.append(batch["input_ids"].shape[1])
        assert batch["attention_mask"].sum(dim=1).max() == widths[-1]  # dynamic padding: to this batch's longest
    assert len(set(widths)) > 1  # not padded to one fixed length


# --- notebook 07 writes the preprocessing out; the helpers must do the same -----------------------

NOTEBOOK_07 = Path(__file__).resolve().parents[2] / "notebooks" / "07_translation.ipynb"


def _notebook_definitions(path: Path, *names: str) -> str:
    """The source of the notebook's top-level definitions (def or assignment) of ``names``, in order."""
    import ast

    import nbformat

    found = {}
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            defined = [node.name] if isinstance(node, ast.FunctionDef) else \
                [t.id for t in getattr(node, "targets", []) if isinstance(t, ast.Name)]
            for name in set(defined) & set(names):
                assert name not in found, f"{path.name} defines {name} twice"
                found[name] = ast.get_source_segment(cell.source, node)
    missing = set(names) - set(found)
    assert not missing, f"{path.name} no longer defines {sorted(missing)}"
    return "\n\n".join(found[name] for name in names)


def _notebook_preprocessing(tokenizer, model, start: int, max_len: int) -> dict:
    from transformers import DataCollatorForSeq2Seq

    namespace = {"tokenizer": tokenizer, "model": model, "START": start, "MAX_LEN": max_len, "TARGET": "nl",
                 "DataCollatorForSeq2Seq": DataCollatorForSeq2Seq}
    exec(_notebook_definitions(NOTEBOOK_07, "preprocess", "data_collator"), namespace)
    return namespace


@pytest.mark.parametrize("max_len", [3, 5, 16])
@pytest.mark.parametrize("start", ["cls", "pad"])  # BERT's decoder starts from [CLS]; Marian's and T5's from pad
def test_notebook_07_preprocessing_equals_encode_pairs_and_collator(warm, max_len, start):
    model, tokenizer, _ = warm
    start_id = tokenizer.cls_token_id if start == "cls" else tokenizer.pad_token_id
    notebook = _notebook_preprocessing(tokenizer, model, start_id, max_len)
    sources = ["save the cat", "delete", "change the password of the user group", "add user"]
    targets = ["opslaan de kat", "verwijderen", "wachtwoord van de gebruiker groep wijzigen", "gebruiker toevoegen"]
    ours = notebook["preprocess"]({"translation": [{"en": s, "nl": t} for s, t in zip(sources, targets)]})
    helper = encode_pairs(tokenizer, sources, targets, max_len, max_len, decoder_start_token_id=start_id)
    assert ours == helper
    whole = len(tokenizer(text_target=targets[2])["input_ids"]) - (start == "cls")  # the longest target, uncut
    assert max(len(ids) for ids in ours["labels"]) == min(max_len, whole)  # max_len 3 and 5 cut it
    assert (ours["labels"][1][0] == tokenizer.cls_token_id) == (start == "pad")  # [CLS] dropped only as the start
    features = [{k: helper[k][i] for k in ("input_ids", "attention_mask", "labels")} for i in range(len(sources))]
    batch, expected = notebook["data_collator"](features), collator(tokenizer, model)(features)
    assert set(batch) == set(expected) and all(torch.equal(batch[k], expected[k]) for k in expected)
    width = batch["labels"].shape[1]
    assert (batch["labels"] == IGNORE_INDEX).sum() == sum(width - len(f["labels"]) for f in features)


def test_notebook_definitions_are_found_or_named():
    assert "text_target=" in _notebook_definitions(NOTEBOOK_07, "preprocess")
    with pytest.raises(AssertionError, match="no_such_name"):
        _notebook_definitions(NOTEBOOK_07, "no_such_name")
