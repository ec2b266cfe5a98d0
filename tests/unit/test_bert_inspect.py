"""Helpers of notebook 03: attention weights, pooling, similarity, head patterns, offline bertviz, exercises."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
import torch
from matplotlib.figure import Figure

from helpers import TutorialError, bert_inspect as bi, bertviz_offline, checks
from helpers.attention import padding_mask, scaled_dot_product_attention, split_heads
from helpers.course.errors import ShapeError
from helpers.exercises import nb03


@pytest.fixture(scope="module")
def encoder():
    from transformers import AutoModel, AutoTokenizer

    from helpers import settings

    tokenizer = AutoTokenizer.from_pretrained(settings().models.encoder)
    model = AutoModel.from_pretrained(settings().models.encoder, attn_implementation="eager").eval()
    return tokenizer, model


# --- attention weights ----------------------------------------------------------------------

def test_get_attentions_matches_a_hand_computation_with_padding(encoder):
    tokenizer, model = encoder
    inputs = tokenizer(["A short one.", "A somewhat longer sentence with padding after it."],
                       padding=True, return_tensors="pt")
    attentions = bi.get_attentions(model, inputs)
    config = model.config
    assert len(attentions) == config.num_hidden_layers
    assert attentions[0].shape == (2, config.num_attention_heads, *inputs["input_ids"].shape[1:] * 2)
    torch.testing.assert_close(attentions[3].sum(-1), torch.ones(attentions[3].shape[:-1]))
    # layer 0 by hand: project the embedding output, split heads, masked softmax(QK^T / sqrt(d_k))
    with torch.no_grad():
        x = model(**inputs, output_hidden_states=True).hidden_states[0]  # (B, T, D)
        layer = model.encoder.layer[0].attention.self
        q, k, v = (split_heads(proj(x), config.num_attention_heads) for proj in (layer.query, layer.key, layer.value))
        _, weights = scaled_dot_product_attention(q, k, v, mask=padding_mask(inputs["attention_mask"]))
    torch.testing.assert_close(attentions[0], weights, atol=1e-5, rtol=1e-4)
    assert float(attentions[0][0, :, :, inputs["attention_mask"][0] == 0].abs().max()) < 1e-6  # no weight on padding


def test_sdpa_model_gives_a_one_sentence_error(encoder):
    from transformers import AutoModel

    from helpers import settings

    tokenizer, _ = encoder
    sdpa = AutoModel.from_pretrained(settings().models.encoder)  # transformers' default kernel
    assert bi.attention_implementation(sdpa) != "eager"
    assert sdpa(**tokenizer("Hi there.", return_tensors="pt"), output_attentions=True).attentions in ((), None)
    with pytest.raises(bi.EagerAttentionError, match='attn_implementation="eager"') as raised:
        bi.get_attentions(sdpa, tokenizer("Hi there.", return_tensors="pt"))
    assert isinstance(raised.value, TutorialError) and isinstance(raised.value, ValueError)
    assert str(raised.value).count(". ") == 0  # one sentence


def test_empty_attentions_from_an_eager_model_are_an_error():
    class Output:
        attentions = ()

    class Quiet(torch.nn.Module):
        config = type("Config", (), {"_attn_implementation": "eager"})()

        def forward(self, **inputs):
            return Output()

    with pytest.raises(bi.EagerAttentionError):
        bi.get_attentions(Quiet(), {"input_ids": torch.ones(1, 3, dtype=torch.long)})
    with pytest.raises(TypeError, match="transformers model"):
        bi.get_attentions(object(), {})


# --- pooling and similarity -----------------------------------------------------------------

def test_mean_pool_ignores_padding():
    hidden = torch.arange(2 * 4 * 2, dtype=torch.float).reshape(2, 4, 2)  # (B, T, D)
    mask = torch.tensor([[1, 1, 1, 1], [1, 1, 0, 0]])
    expected = torch.tensor([[(0 + 2 + 4 + 6) / 4, (1 + 3 + 5 + 7) / 4], [(8 + 10) / 2, (9 + 11) / 2]])
    torch.testing.assert_close(bi.mean_pool(hidden, mask), expected)
    assert torch.equal(bi.mean_pool(hidden, torch.zeros(2, 4)), torch.zeros(2, 2))  # all padding: zeros, no NaN
    with pytest.raises(ShapeError, match=r"\(B, T, D\)"):
        bi.mean_pool(hidden, mask[:, :3])


def test_cosine_matrix_values():
    a = torch.tensor([[1.0, 0.0], [0.0, 2.0], [-3.0, 0.0]])
    torch.testing.assert_close(bi.cosine_matrix(a), torch.tensor([[1.0, 0.0, -1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0]]))
    b = torch.randn(5, 7)
    c = torch.randn(3, 7)
    torch.testing.assert_close(bi.cosine_matrix(b, c),
                               torch.nn.functional.cosine_similarity(b[:, None], c[None], dim=-1))
    with pytest.raises(ShapeError):
        bi.cosine_matrix(b, torch.randn(3, 6))


def test_batched_sentence_embeddings_equal_one_by_one(encoder):
    tokenizer, model = encoder
    texts = ["Short.", "A much longer sentence, so the first one gets padded in the batch."]
    batched = bi.sentence_embeddings(model, tokenizer, texts)
    single = torch.cat([bi.sentence_embeddings(model, tokenizer, [t]) for t in texts])
    assert batched.shape == (2, model.config.hidden_size)
    torch.testing.assert_close(batched, single, atol=1e-5, rtol=1e-4)


def test_pooled_features_match_the_last_layer_and_every_depth_in_one_pass(encoder):
    from transformers import DataCollatorWithPadding

    tokenizer, model = encoder
    texts = ["Short.", "A much longer sentence, so the first one gets padded in the batch.", "Three."]
    rows = [{**tokenizer(t), "label": i % 2} for i, t in enumerate(texts)]  # the label is dropped
    collate = DataCollatorWithPadding(tokenizer)
    depth = model.config.num_hidden_layers
    found = bi.pooled_features(model, rows, collate, layers=[0, 2, depth], batch_size=2)
    assert sorted(found) == [0, 2, depth] and found[depth].shape == (3, model.config.hidden_size)
    last = bi.pooled_features(model, rows, collate)  # layers=None: the last layer only
    assert list(last) == [depth]
    torch.testing.assert_close(torch.from_numpy(last[depth]), bi.sentence_embeddings(model, tokenizer, texts),
                               atol=1e-5, rtol=1e-4)
    one_by_one = bi.pooled_features(model, rows, collate, layers=[2], batch_size=1)[2]  # padding changes nothing
    torch.testing.assert_close(torch.from_numpy(one_by_one), torch.from_numpy(found[2]), atol=1e-5, rtol=1e-4)
    assert not (found[0] == found[depth]).all()  # different depths, different features


def test_word_positions_and_vectors(encoder):
    tokenizer, model = encoder
    text = "Unbelievably, the bank was open."
    tokens = tokenizer.convert_ids_to_tokens(tokenizer(text)["input_ids"])
    positions = bi._word_positions(tokenizer, text, "unbelievably")
    assert len(positions) > 1 and tokens[positions[1]].startswith("##")
    assert [tokens[p] for p in bi._word_positions(tokenizer, text, "bank")] == ["bank"]
    with pytest.raises(ValueError, match="not a whole word"):
        bi._word_positions(tokenizer, text, "ban")
    vectors = bi.word_vectors(model, tokenizer, [text, "The bank was closed."], "bank")
    assert vectors.shape == (model.config.num_hidden_layers + 1, 2, model.config.hidden_size)
    with torch.no_grad():
        hidden = model(**tokenizer(text, return_tensors="pt"), output_hidden_states=True).hidden_states
    torch.testing.assert_close(vectors[-1, 0], hidden[-1][0, tokens.index("bank")])
    torch.testing.assert_close(vectors[0, 0], hidden[0][0, tokens.index("bank")])


# --- head patterns --------------------------------------------------------------------------

TOKENS = ["[CLS]", "a", "b", "c", "[SEP]"]


def test_pattern_targets_are_exact():
    targets = bi._pattern_targets(TOKENS, "[CLS]", "[SEP]")
    assert set(targets) == set(bi.PATTERNS)
    assert targets["previous token"].nonzero().tolist() == [[1, 0], [2, 1], [3, 2], [4, 3]]
    assert targets["next token"].nonzero().tolist() == [[0, 1], [1, 2], [2, 3], [3, 4]]
    assert targets["to [SEP]"][:, 4].all() and targets["to [SEP]"].sum() == 5
    assert torch.equal(targets["same token"], torch.eye(5, dtype=torch.bool))


def _planted() -> torch.Tensor:
    weights = torch.full((2, 3, 5, 5), 1 / 5)  # (L, H, T, T) uniform
    weights[0, 1] = torch.eye(5).roll(-1, dims=1)  # previous token (query 0 -> key 4, not a target)
    weights[1, 2] = torch.zeros(5, 5).index_fill(1, torch.tensor([0]), 1.0)  # everything on [CLS]
    weights[1, 0] = torch.eye(5)  # itself
    return weights


def test_scores_and_baselines_on_planted_heads():
    found = bi.head_pattern_scores(_planted(), TOKENS)
    assert found.scores["previous token"][0, 1] == pytest.approx(1.0)
    assert found.scores["to [CLS]"][1, 2] == pytest.approx(1.0)
    assert found.scores["same token"][1, 0] == pytest.approx(1.0)
    assert found.scores["next token"][0, 0] == pytest.approx(1 / 5)  # a uniform head scores the baseline
    assert found.baselines == pytest.approx({name: 1 / 5 for name in bi.PATTERNS})
    best = {h.pattern: (h.layer, h.head) for h in bi.top_heads(found)}
    assert best["previous token"] == (0, 1) and best["to [CLS]"] == (1, 2) and best["same token"] == (1, 0)
    assert "layer 0, head  1" in str(bi.top_heads(found)[2])


def test_two_sep_tokens_double_the_baseline_and_averages_combine():
    tokens = ["[CLS]", "a", "[SEP]", "b", "[SEP]"]
    one = bi.head_pattern_scores(_planted(), tokens)
    assert one.baselines["to [SEP]"] == pytest.approx(2 / 5)
    two = bi.head_pattern_scores(torch.full((2, 3, 5, 5), 1 / 5), tokens)
    mean = bi._average_scores([one, two])
    torch.testing.assert_close(mean.scores["to [CLS]"], (one.scores["to [CLS]"] + two.scores["to [CLS]"]) / 2)
    with pytest.raises(ShapeError):
        bi.head_pattern_scores(_planted(), tokens[:4])


def test_scores_of_the_real_model_find_a_previous_token_head(encoder):
    tokenizer, model = encoder
    found = bi.pattern_scores_for_texts(model, tokenizer, ["The cat sat on the mat.", "Dogs bark at night."])
    best = {h.pattern: h for h in bi.top_heads(found)}
    assert best["previous token"].score > 3 * best["previous token"].baseline


# --- positional patterns without the [CLS]/[SEP] sink -------------------------------------------

SINK_TOKENS = ["[CLS]", "a", "b", "c", "d", "[SEP]"]  # 4 real tokens


def _sink_and_pattern_heads() -> torch.Tensor:
    """(L=1, H=3, T, T): head 0 parks 55% on [CLS] and puts 45% on the previous token; head 1 has no
    sink and puts 40% on the previous token, 60% on the other real tokens; head 2 is uniform."""
    t = len(SINK_TOKENS)
    weights = torch.zeros(1, 3, t, t)  # (L, H, T_q, T_k)
    for h in range(2):
        weights[0, h, 0, 0] = weights[0, h, -1, -1] = 1.0  # [CLS] and [SEP] attend to themselves
        weights[0, h, 1, 0] = 1.0  # "a": its previous token is [CLS]
    for q in (2, 3, 4):  # "b", "c", "d": the previous token is a real token
        weights[0, 0, q, 0], weights[0, 0, q, q - 1] = 0.55, 0.45
        others = [k for k in range(1, 5) if k != q - 1]
        weights[0, 1, q, q - 1] = 0.40
        weights[0, 1, q, others] = 0.60 / len(others)
    weights[0, 2] = 1 / t
    return weights


def test_sink_free_scores_on_hand_made_heads():
    found = bi.sink_free_scores(_sink_and_pattern_heads(), SINK_TOKENS)
    assert found.baselines == pytest.approx({name: 1 / 4 for name in bi.POSITIONAL})  # uniform over 4 real keys
    # sink: mean mass of the 4 real queries on [CLS] and [SEP]
    torch.testing.assert_close(found.sink, torch.tensor([[(1.0 + 3 * 0.55) / 4, 1.0 / 4, 2 / 6]]))
    # previous token, over the queries whose previous token is real (b, c, d), renormalised without the sink
    torch.testing.assert_close(found.scores["previous token"], torch.tensor([[1.0, 0.40, 0.25]]))
    # same token, over a, b, c, d; "a" gives the sink everything, so it has nothing to share out and scores 0
    torch.testing.assert_close(found.scores["same token"], torch.tensor([[0.0, (0 + 3 * 0.60 / 3) / 4, 0.25]]))
    torch.testing.assert_close(found.scores["next token"][0, 2], torch.tensor(0.25))  # uniform: the baseline


def test_sink_free_heads_pass_over_a_sink_head_that_raw_scores_pick():
    weights = _sink_and_pattern_heads()
    raw = {h.pattern: (h.layer, h.head) for h in bi.top_heads(bi.head_pattern_scores(weights, SINK_TOKENS))}
    assert raw["previous token"] == (0, 0)  # raw attention mass picks the head that mostly looks at [CLS]
    found = bi.sink_free_scores(weights, SINK_TOKENS)
    best = {h.pattern: h for h in bi.sink_free_heads(found)}  # max_sink = 0.5: head 0 (sink 0.66) is out
    assert (best["previous token"].layer, best["previous token"].head) == (0, 1)
    assert best["previous token"].score == pytest.approx(0.40) and best["previous token"].sink == pytest.approx(0.25)
    lenient = {h.pattern: h for h in bi.sink_free_heads(found, max_sink=0.7)}
    assert (lenient["previous token"].head, lenient["previous token"].score) == (0, pytest.approx(1.0))
    assert "non-sink attention" in str(best["previous token"]) and "25.0% goes to the sink" in str(
        best["previous token"])
    with pytest.raises(ValueError, match="max_sink must leave at least one head"):
        bi.sink_free_heads(found, max_sink=0.2)
    with pytest.raises(ValueError, match="two neighbouring tokens"):  # a pair of one-word texts
        bi.sink_free_scores(torch.full((1, 1, 5, 5), 0.2), ["[CLS]", "a", "[SEP]", "b", "[SEP]"])


def test_sink_free_scores_of_the_real_model(encoder):
    tokenizer, model = encoder
    texts = ["The cat sat on the mat.", "Dogs bark at night."]
    found = bi.sink_free_scores_for_texts(model, tokenizer, texts)
    depth, heads = model.config.num_hidden_layers, model.config.num_attention_heads
    assert found.sink.shape == (depth, heads) and found.scores["next token"].shape == (depth, heads)
    one = [bi.sink_free_scores(torch.cat(bi.get_attentions(model, tokenizer(t, return_tensors="pt"))),
                               tokenizer.convert_ids_to_tokens(tokenizer(t)["input_ids"])) for t in texts]
    torch.testing.assert_close(found.sink, (one[0].sink + one[1].sink) / 2)
    best = {h.pattern: h for h in bi.sink_free_heads(found)}
    assert best["previous token"].score > 3 * float(found.scores["previous token"].median())
    assert best["previous token"].sink < 0.5


# --- offline bertviz ------------------------------------------------------------------------

class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.linked: list[tuple[str, str, str]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.linked += [(tag, name, value or "") for name, value in attrs if name in {"src", "href", "srcset"}]


# URLs in the inlined libraries that are never fetched: XML namespace names and d3's licence comment
NAMESPACES = {"http://www.w3.org/1999/xhtml", "http://www.w3.org/1999/xlink", "http://www.w3.org/2000/svg",
              "http://www.w3.org/2000/xmlns/", "http://www.w3.org/XML/1998/namespace", "https://d3js.org"}


@pytest.fixture(scope="module")
def views():
    weights = _planted()
    return [bertviz_offline.head_view(weights, TOKENS, layer=1),
            bertviz_offline.model_view(list(weights.unsqueeze(1)), TOKENS)]


def test_views_load_nothing_from_outside(views):
    for view in views:
        for text in (view.html, view.standalone()):
            tags = _Tags()
            tags.feed(text)
            assert tags.linked == [], tags.linked  # no src=, href= on any element
            assert "link" not in tags.tags and "iframe" not in tags.tags
            urls = set(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}[^\s\"'<>)]*", text))
            assert {u for u in urls if not u.startswith("//")} <= NAMESPACES, urls - NAMESPACES
            for marker in ("cdnjs", "require.config", "require.min.js", "@import", "url("):
                assert marker not in text
            # one script element: the inlined libraries never close it early
            assert len(re.findall(r"</script", text, flags=re.IGNORECASE)) == 1


def test_views_carry_the_weights_and_the_fallback(views):
    head, model = views
    assert head.kind == "head view" and model.kind == "model view"
    assert head.weights.shape == (2, 3, 5, 5) and head.tokens == tuple(TOKENS)
    assert "bertviz-offline-note" in head.html and "Trust" in head.html
    assert '"left_text": ["[CLS]", "a", "b", "c", "[SEP]"]' in head.html
    assert "[[1.0, 0.0, 0.0, 0.0, 0.0]" in head.html  # the [CLS] head of layer 1, rounded
    assert head._repr_html_() == head.html and "2 layers x 3 heads" in repr(head)


def test_save_and_static_fallback(views, tmp_path):
    head = views[0]
    saved = head.save(tmp_path / "deep" / "view.html", title="a <view>")
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and "<title>a &lt;view&gt;</title>" in text and head.html in text
    figure = bertviz_offline.show(head, interactive=False, layers=[1], heads=[0, 2])
    assert isinstance(figure, Figure) and len(figure.axes) == 3  # two panels and the colour bar
    assert isinstance(head.static(), Figure)
    assert bertviz_offline._javascript_available() is False  # pytest is not a notebook kernel


def test_view_arguments_are_validated():
    with pytest.raises(ValueError, match="tokens has 4 entries"):
        bertviz_offline.head_view(_planted(), TOKENS[:4])
    with pytest.raises(ValueError, match="display_mode"):
        bertviz_offline.model_view(_planted(), TOKENS, display_mode="blue")
    assert "</script" not in bertviz_offline._library_source("d3").lower()  # safe inside the page's <script>


def test_script_safe_escapes_closing_tags():
    assert bertviz_offline._script_safe('x = "</script><!--"') == 'x = "<\\/script><\\!--"'


# --- exercises ------------------------------------------------------------------------------

def _message(exercise_id: str, answer) -> str:
    result = checks.check(exercise_id, answer)
    assert not result.passed
    return result.message.lower()


@pytest.mark.parametrize("mistake,words", [
    (nb03._pair_without_final_sep, ["two [sep]"]),
    (nb03._pair_all_type_zero, ["token_type_ids", "position"]),
    (nb03._pair_without_cls, ["[cls]"]),
    (nb03._pair_middle_sep_type_one, ["token_type_ids", "[sep]"]),
])
def test_encode_pair_mistakes_are_named(mistake, words):
    text = _message("03.1", mistake)
    assert all(word in text for word in words), text


@pytest.mark.parametrize("mistake,words", [
    (nb03._next_token_head, ["next"]),
    (nb03._largest_single_weight, ["average"]),
    (nb03._swapped_order, ["swapped"]),
    (nb03._same_token_head, ["itself"]),
    (lambda a: 7, ["pair"]),
])
def test_previous_token_head_mistakes_are_named(mistake, words):
    text = _message("03.2", mistake)
    assert all(word in text for word in words), text


def test_previous_token_head_finds_the_real_models_head(encoder):
    tokenizer, model = encoder
    inputs = tokenizer("The cat sat on the mat because it was warm.", return_tensors="pt")
    attention = torch.cat(bi.get_attentions(model, inputs))  # (L, H, T, T)
    tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
    scores = bi.head_pattern_scores(attention, tokens).scores["previous token"]
    assert nb03.previous_token_head(attention) == divmod(int(scores.argmax()), scores.shape[1])


@pytest.mark.parametrize("mistake,words", [
    (nb03._pool_with_padding, ["padding"]),
    (nb03._pool_unmasked_sum, ["padding"]),
    (nb03._pool_divide_by_length, ["divided by t"]),
    (nb03._pool_over_features, ["shape"]),
])
def test_mean_pool_mistakes_are_named(mistake, words):
    text = _message("03.3", mistake)
    assert all(word in text for word in words), text


def test_helper_mean_pool_passes_the_exercise():
    assert checks.check("03.3", bi.mean_pool).passed
