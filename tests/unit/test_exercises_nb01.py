"""Notebook 01's checkers name the mistake a learner made, and accept every correct variant."""
import pytest
import torch

from helpers import attention, checks
from helpers.exercises import nb01


def message(exercise_id: str, answer) -> str:
    result = checks.check(exercise_id, answer)
    assert not result.passed
    return result.message.lower()


# --- 01.1 attention weights ---------------------------------------------------------------

@pytest.mark.parametrize("mistake,words", [
    (nb01._transposed, ["shape", "transposed"]),
    (nb01._unscaled, ["without scaling"]),
    (nb01._scaled_by_d_k, ["divided by d_k"]),
    (nb01._softmax_over_queries, ["column"]),
    (nb01._no_softmax, ["softmax is missing"]),
    (nb01._matrix_transpose_only, ["batch"]),
])
def test_attention_weights_mistakes_are_named(mistake, words):
    text = message("01.1", mistake)
    assert all(word in text for word in words), text


def test_attention_weights_accepts_other_correct_forms():
    def via_helper(q, k):
        return attention.scaled_dot_product_attention(q, k, k)[1]

    def via_einsum(q, k):
        scores = torch.einsum("...qd,...kd->...qk", q, k) * q.shape[-1] ** -0.5
        return torch.softmax(scores, dim=-1)

    assert checks.check("01.1", via_helper).passed
    assert checks.check("01.1", via_einsum).passed


def test_attention_weights_wrong_values_are_reported_with_their_size():
    def noisy(q, k):
        w = nb01.attention_weights(q, k) + 0.01 * torch.eye(q.shape[-2], k.shape[-2])
        return w / w.sum(dim=-1, keepdim=True)

    assert "differ" in message("01.1", noisy)


def test_attention_weights_checker_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    checks.check("01.1", nb01.attention_weights)
    assert torch.equal(torch.rand(3), expected)


# --- 01.2 causal mask ---------------------------------------------------------------------

@pytest.mark.parametrize("mistake,words", [
    (nb01._future_allowed, ["future"]),
    (nb01._diagonal_excluded, ["itself", "diagonal"]),
    (nb01._float_mask, ["dtype", "boolean"]),
    (nb01._blocked_is_true, ["may attend"]),
    (nb01._nothing_masked, ["later position"]),
])
def test_causal_mask_mistakes_are_named(mistake, words):
    text = message("01.2", mistake)
    assert all(word in text for word in words), text


def test_causal_mask_wrong_shape_and_none():
    assert "shape" in message("01.2", lambda t: torch.ones(t, t + 1, dtype=torch.bool).tril())
    assert "none" in message("01.2", lambda t: None)
    assert "list" in message("01.2", lambda t: [[True]])


def test_causal_mask_past_blocked_is_named():
    assert "earlier" in message("01.2", lambda t: torch.eye(t, dtype=torch.bool))


def test_causal_mask_accepts_the_helper():
    assert checks.check("01.2", lambda t: attention.causal_mask(t)).passed


# --- 01.3 split heads ---------------------------------------------------------------------

@pytest.mark.parametrize("mistake,words", [
    (nb01._view_without_transpose, ["shape is right", "positions"]),
    (nb01._heads_last, ["shape", "second"]),
    (nb01._interleaved_features, ["contiguous"]),
])
def test_split_heads_mistakes_are_named(mistake, words):
    text = message("01.3", mistake)
    assert all(word in text for word in words), text


def test_split_heads_accepts_the_helper_and_reshape():
    def via_reshape(x, h):
        b, t, d = x.shape
        return x.reshape(b, t, h, d // h).permute(0, 2, 1, 3)

    assert checks.check("01.3", attention.split_heads).passed
    assert checks.check("01.3", via_reshape).passed


def test_split_heads_foreign_values_are_reported():
    text = message("01.3", lambda x, h: torch.zeros(x.shape[0], h, x.shape[1], x.shape[2] // h))
    assert "values" in text


def test_messages_never_contain_the_solution_code():
    for exercise_id in ("01.1", "01.2", "01.3"):
        spec = checks.exercise(exercise_id)
        for mistake in spec.wrong_answers:
            problem = spec.checker(mistake)
            assert problem and problem.endswith("."), (exercise_id, mistake.__name__, problem)
            assert "return " not in problem and "def " not in problem


# --- 01.4 the partner positions -----------------------------------------------------------

@pytest.mark.parametrize("mistake,words", [
    (nb01._first_same_colour, ["themselves", "diagonal"]),
    (nb01._same_colour_mask, ["shape"]),
    (nb01._colours_back, ["colours themselves"]),
    (nb01._float_positions, ["integer"]),
])
def test_partner_positions_mistakes_are_named(mistake, words):
    text = message("01.4", mistake)
    assert all(word in text for word in words), text


def test_partner_positions_accepts_a_loop_and_rejects_a_wrong_colour():
    def with_loops(colours):
        out = torch.empty_like(colours)
        for b, row in enumerate(colours.tolist()):
            for i, colour in enumerate(row):
                out[b, i] = next(j for j, other in enumerate(row) if other == colour and j != i)
        return out

    def next_position(colours):
        return (torch.arange(colours.shape[1]) + 1).remainder(colours.shape[1]).expand_as(colours).clone()

    assert checks.check("01.4", with_loops).passed
    assert "another colour" in message("01.4", next_position)
