"""Attention heatmaps: shapes in, one panel per (layer, head) out, clear errors."""
import matplotlib
import numpy as np
import pytest
import torch

from helpers.course.errors import ShapeError
from helpers.viz import as_layers_heads, plot_attention, show_source

matplotlib.use("Agg")


@pytest.mark.parametrize("shape,expected", [
    ((4, 5), (1, 1, 4, 5)), ((3, 4, 5), (1, 3, 4, 5)), ((2, 3, 4, 5), (2, 3, 4, 5)),
])
def test_weights_become_layers_heads(shape, expected):
    assert as_layers_heads(torch.rand(shape)).shape == expected


def test_model_attentions_tuple_is_stacked():
    per_layer = tuple(torch.full((1, 2, 3, 3), float(layer)) for layer in range(4))  # like output.attentions
    stacked = as_layers_heads(per_layer)
    assert stacked.shape == (4, 2, 3, 3) and stacked[3, 1, 0, 0] == 3.0


def test_one_panel_per_chosen_layer_and_head():
    weights = torch.softmax(torch.randn(2, 3, 4, 4), dim=-1)
    fig = plot_attention(weights, list("abcd"), layers=[1], heads=[0, 2], title="demo")
    panels = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in panels] == ["layer 1, head 0", "layer 1, head 2"]
    assert np.allclose(panels[1].images[0].get_array(), weights[1, 2].numpy())
    assert [t.get_text() for t in panels[0].get_xticklabels()] == list("abcd")
    matplotlib.pyplot.close(fig)


def test_errors_name_what_is_wrong():
    with pytest.raises(ShapeError, match=r"end in \(4, 4\) \(T_q, T_k\) but there are 3 query and 3 key tokens"):
        plot_attention(torch.rand(4, 4), list("abc"))
    with pytest.raises(ValueError, match=r"heads\[0\] must be an int between 0 and 1, got 5"):
        plot_attention(torch.rand(2, 3, 3), list("abc"), heads=[5])
    with pytest.raises(ShapeError, match=r"got \(3,\)"):
        as_layers_heads(np.ones(3))
    with pytest.raises(ShapeError, match="empty sequence"):
        as_layers_heads(())


def test_show_source_prints_the_code(capsys):
    show_source(as_layers_heads)
    assert "def as_layers_heads" in capsys.readouterr().out
