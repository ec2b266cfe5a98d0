"""The from-scratch encoder (helpers.encoder, helpers.bert_encoder) against transformers' BERT.

The equivalence tests need the prepared offline encoder (`python -m helpers.course.assets prepare encoder`).
"""
from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, GPT2Config, GPT2Model

from helpers import AssetError, ShapeError, checks
from helpers.course import assets
from helpers.attention import MultiHeadAttention, padding_mask
from helpers.bert_encoder import (bert_parameter_formula, count_by_component,
                                  count_parameters, encoder_from_bert, from_bert_layer)
from helpers.encoder import (Embeddings, Encoder, EncoderConfig, EncoderLayer, FeedForward, add_and_norm,
                             sinusoidal_positions)
from helpers.course.errors import ArchitectureError

TOLERANCE = 1e-4  # max abs difference allowed in float32
SENTENCES = ["The cat sat on the mat.", "Attention lets every token look at every other token, all at once."]
PAIRS = (["Where is the cat?", "Who wrote it?"], ["On the mat, asleep in the sun.", "Nobody knows."])
BERT_BASE = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2)


@pytest.fixture(scope="module")
def model() -> BertModel:
    return AutoModel.from_pretrained(str(assets.path("encoder")), attn_implementation="eager").eval()


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(str(assets.path("encoder")))


def batch_of(tokenizer, padded: bool) -> dict[str, torch.Tensor]:
    if padded:  # sentence pairs of different lengths: padding and both token types
        return tokenizer(*PAIRS, padding=True, return_tensors="pt")
    return tokenizer(SENTENCES[:1], return_tensors="pt")


def max_difference(ours: torch.Tensor, theirs: torch.Tensor, attention_mask: torch.Tensor) -> float:
    real = attention_mask.bool()  # (B, T): compare real tokens only
    return (ours - theirs)[real].abs().max().item()


# --- equivalence with transformers ---------------------------------------------------

@pytest.mark.parametrize("index", [0, 5])
def test_one_layer_matches_bert_layer(model, tokenizer, index):
    batch = batch_of(tokenizer, padded=False)
    with torch.no_grad():
        x = model(**batch, output_hidden_states=True).hidden_states[index]  # (1, T, D)
        expected = model.encoder.layer[index](x)
        expected = expected[0] if isinstance(expected, tuple) else expected
        ours = from_bert_layer(model.encoder.layer[index], model.config)(x)
    assert ours.shape == expected.shape
    assert (ours - expected).abs().max().item() < TOLERANCE


def test_one_layer_matches_with_padding(model, tokenizer):
    batch = batch_of(tokenizer, padded=True)
    assert (batch["attention_mask"] == 0).any(), "the test batch must contain padding"
    with torch.no_grad():
        states = model(**batch, output_hidden_states=True).hidden_states
        layer = from_bert_layer(model.encoder.layer[2], model.config)
        ours = layer(states[2], mask=padding_mask(batch["attention_mask"]))
        unmasked = layer(states[2])  # ignoring the padding must change the real tokens' outputs
    assert max_difference(ours, states[3], batch["attention_mask"]) < TOLERANCE
    assert max_difference(unmasked, states[3], batch["attention_mask"]) > 1e-3


@pytest.mark.parametrize("padded", [False, True])
def test_whole_encoder_matches_last_hidden_state(model, tokenizer, padded):
    batch = batch_of(tokenizer, padded)
    encoder = encoder_from_bert(model)
    assert not encoder.training
    with torch.no_grad():
        expected = model(**batch).last_hidden_state
        ours = encoder(batch["input_ids"], batch["attention_mask"], batch["token_type_ids"])
    assert ours.shape == expected.shape
    assert max_difference(ours, expected, batch["attention_mask"]) < TOLERANCE


def test_equivalence_check_can_fail(model, tokenizer):
    batch = batch_of(tokenizer, padded=False)
    layer = from_bert_layer(model.encoder.layer[0], model.config)
    with torch.no_grad():
        x = model(**batch, output_hidden_states=True).hidden_states[0]
        expected = layer(x)
        layer.feed_forward.down.bias[0] += 0.05  # one wrong number (a shift of ALL biases would cancel in LayerNorm)
        assert (layer(x) - expected).abs().max().item() > 1e-3


def test_copy_uses_the_model_config(model):
    layer = from_bert_layer(model.encoder.layer[0], model.config)
    assert layer.attention_norm.eps == model.config.layer_norm_eps
    assert isinstance(layer.feed_forward.act, nn.GELU) and model.config.hidden_act == "gelu"
    assert torch.equal(layer.attention.q_proj.weight, model.encoder.layer[0].attention.self.query.weight)
    assert layer.attention.q_proj.weight.data_ptr() != model.encoder.layer[0].attention.self.query.weight.data_ptr()


# --- parameter counts ----------------------------------------------------------------

def test_formula_matches_the_real_count(model):
    counts = count_by_component(model)
    assert counts == bert_parameter_formula(model.config)
    assert sum(counts.values()) == count_parameters(model)
    ours = encoder_from_bert(model)  # no pooler
    assert count_parameters(ours) == count_parameters(model) - counts["pooler"]
    assert count_by_component(ours) == bert_parameter_formula(model.config, pooler=False)


def test_bert_base_formula():
    config = BertConfig(**BERT_BASE)
    with torch.device("meta"):
        bert_base = BertModel(config)
    formula = bert_parameter_formula(config)
    assert count_by_component(bert_base) == formula
    assert sum(formula.values()) == 109_482_240  # BertModel(bert-base-uncased), pooler included
    d = config.hidden_size
    per_layer = (formula["self-attention (Q, K, V, output)"] + formula["attention LayerNorm"]
                 + formula["feed-forward"] + formula["feed-forward LayerNorm"]) // config.num_hidden_layers
    assert per_layer == 12 * d * d + 13 * d  # with d_ff = 4 d


def test_sinusoidal_positions_have_no_parameters():
    config = EncoderConfig(vocab_size=50, d_model=16, num_layers=2, num_heads=4, d_ff=64,
                           max_positions=32, positions="sinusoidal")
    encoder = Encoder(config)
    assert count_by_component(encoder) == bert_parameter_formula(config, pooler=False)
    assert count_by_component(encoder)["position embeddings"] == 0


def test_count_by_component_rejects_unknown_parameters():
    with pytest.raises(ArchitectureError, match="classifier"):
        count_by_component(nn.ModuleDict({"classifier": nn.Linear(2, 2)}))


# --- building blocks ------------------------------------------------------------------

def test_sinusoidal_known_values():
    pe = sinusoidal_positions(50, 8)  # (P, D)
    assert pe.shape == (50, 8)
    assert torch.equal(pe[0, 0::2], torch.zeros(4)) and torch.equal(pe[0, 1::2], torch.ones(4))
    assert pe[1, 0].item() == pytest.approx(math.sin(1.0)) and pe[1, 1].item() == pytest.approx(math.cos(1.0))
    assert pe[7, 2].item() == pytest.approx(math.sin(7 / 10000 ** (2 / 8)), abs=1e-6)
    assert pe[7, 7].item() == pytest.approx(math.cos(7 / 10000 ** (6 / 8)), abs=1e-6)
    similarity = pe @ pe.T  # depends only on the offset between positions
    assert torch.allclose(similarity[3:, 3:], similarity[:-3, :-3], atol=1e-4)


@pytest.mark.parametrize("positions, d_model, named", [(0, 8, "num_positions"), (10, 7, "d_model"), (10, 0, "d_model")])
def test_sinusoidal_rejects_bad_sizes(positions, d_model, named):
    with pytest.raises(ValueError, match=named):
        sinusoidal_positions(positions, d_model)


def test_attention_and_layer_are_permutation_equivariant():
    torch.manual_seed(0)
    x = torch.randn(2, 7, 16)  # (B, T, D)
    perm = torch.randperm(7)
    attention = MultiHeadAttention(16, 4)
    layer = EncoderLayer(16, 4, 64, dropout=0.0).eval()
    with torch.no_grad():
        assert torch.allclose(attention(x[:, perm])[0], attention(x)[0][:, perm], atol=1e-6)
        assert torch.allclose(layer(x[:, perm]), layer(x)[:, perm], atol=1e-5)


def test_positions_break_permutation_equivariance():
    torch.manual_seed(0)
    for kind in ("learned", "sinusoidal"):
        config = EncoderConfig(vocab_size=50, d_model=16, num_layers=1, num_heads=4, d_ff=64,
                               max_positions=16, dropout=0.0, positions=kind)
        encoder = Encoder(config).eval()
        ids = torch.randint(0, 50, (1, 8))
        perm = torch.tensor([1, 0, 2, 3, 4, 5, 6, 7])
        with torch.no_grad():
            assert not torch.allclose(encoder(ids[:, perm]), encoder(ids)[:, perm], atol=1e-3)


def test_feed_forward_is_per_position():
    torch.manual_seed(0)
    ffn = FeedForward(8, 32)
    x = torch.randn(2, 5, 8)
    with torch.no_grad():
        each = torch.stack([ffn(x[:, t]) for t in range(5)], dim=1)
        assert torch.allclose(ffn(x), each, atol=1e-6)


def test_add_and_norm_is_post_ln():
    norm = nn.LayerNorm(4)
    x, update = torch.randn(3, 4), torch.randn(3, 4)
    assert torch.allclose(add_and_norm(x, update, norm), norm(x + update))
    with pytest.raises(ShapeError, match="same shape"):
        add_and_norm(x, update[:, :2], norm)


def test_dropout_is_active_only_in_training():
    torch.manual_seed(0)
    layer = EncoderLayer(16, 4, 64, dropout=0.5)
    x = torch.randn(1, 6, 16)
    assert not torch.allclose(layer.train()(x), layer(x))
    assert torch.equal(layer.eval()(x), layer(x))


# --- bad input ------------------------------------------------------------------------

def test_wrong_architecture_is_named():
    gpt2 = GPT2Model(GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=50, n_positions=16))
    with pytest.raises(ArchitectureError, match="model_type 'bert'"):
        encoder_from_bert(gpt2)
    with pytest.raises(ArchitectureError, match="model_type 'bert'"):
        from_bert_layer(gpt2.h[0], gpt2.config)
    small_bert = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                            intermediate_size=64)
    with pytest.raises(ArchitectureError, match="GPT2Block without 'attention.self.query', not a BERT module"):
        from_bert_layer(gpt2.h[0], small_bert)


def test_wrong_size_is_named(model):
    with pytest.raises(ShapeError, match="pass the config of the model"):
        from_bert_layer(model.encoder.layer[0], BertConfig(**BERT_BASE))


@pytest.mark.parametrize("change, match", [({"is_decoder": True}, "decoder"),
                                            ({"hidden_act": "silu"}, "hidden_act")])
def test_unsupported_bert_variants(change, match):
    config = BertConfig(vocab_size=50, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, **change)
    with pytest.raises(ArchitectureError, match=match):
        bert_parameter_formula(config)


def test_missing_model_folder_names_the_fix(tmp_path):
    with pytest.raises(AssetError, match="helpers.course.assets prepare encoder") as error:
        encoder_from_bert(str(tmp_path / "encoder"))
    assert str(error.value).count(". ") <= 1 and "\n" not in str(error.value)  # one sentence


def test_too_long_input_is_named():
    config = EncoderConfig(vocab_size=50, d_model=16, num_layers=1, num_heads=4, d_ff=64, max_positions=8)
    with pytest.raises(ShapeError, match="max_positions=8"):
        Encoder(config)(torch.zeros(1, 9, dtype=torch.long))


def test_bad_config_is_named():
    with pytest.raises(ShapeError, match="num_heads=5"):
        EncoderConfig(d_model=16, num_heads=5)
    with pytest.raises(ValueError, match="positions"):
        EncoderConfig(positions="rotary")
    with pytest.raises(ValueError, match="activation"):
        EncoderConfig(activation="swish")


# --- exercises ------------------------------------------------------------------------

@pytest.mark.parametrize("exercise_id", ["02.1", "02.2", "02.3"])
def test_exercise_solution_passes_and_mistakes_fail(exercise_id):
    spec = checks.exercise(exercise_id)
    assert checks.check(exercise_id, spec.solution).passed
    assert len(spec.wrong_answers) >= 3
    for wrong in spec.wrong_answers:
        result = checks.check(exercise_id, wrong)
        assert not result.passed and result.attempted, wrong.__name__
        assert "Hint" in result.message


@pytest.mark.parametrize("exercise_id", ["02.1", "02.2", "02.3"])
def test_exercise_stub_and_none(exercise_id):
    def stub(*args):
        raise NotImplementedError

    assert not checks.check(exercise_id, stub).attempted
    assert "None" in checks.check(exercise_id, lambda *args: None).message


@pytest.mark.parametrize("wrong, message", [
    ("_block_pre_ln", "pre-LN"), ("_block_no_residual", "residual is missing"),
    ("_block_no_norm", "not normalised"), ("_block_norm_x_only", "x alone"),
])
def test_post_ln_checker_names_the_mistake(wrong, message):
    from helpers.exercises import nb02

    assert message in checks.check("02.2", getattr(nb02, wrong)).message
