"""The pure-torch TimeXer against the paper's shapes and properties."""

import numpy as np
import pytest
import torch

from sktagembed.nn import TimeXer, build_tag_embedding


def small(**params):
    defaults = {"lookback": 24, "horizon": 3, "n_endogenous": 1, "n_exogenous": 4,
                "patch_len": 6, "d_model": 16, "n_heads": 2, "e_layers": 2,
                "d_ff": 32}
    return TimeXer(**{**defaults, **params}).eval()


def capture_cross_attention_keys(model):
    shapes = []
    model.layers[0].cross_attention.register_forward_hook(
        lambda module, args, out: shapes.append((args[0].shape, args[1].shape))
    )
    return shapes


def test_patch_and_token_counts_follow_the_paper():
    model = small(n_calendar=2)
    assert model.n_patches == 24 // 6
    assert model.n_tokens == 4 + 1  # patches + one global token
    shapes = capture_cross_attention_keys(model)
    model(torch.randn(5, 24, 1), torch.randn(5, 24, 4), torch.randn(5, 24, 2))
    queries, keys = shapes[0]
    assert queries == (5, 1, 16)  # one global token per endogenous variable
    assert keys == (5, 4 + 2, 16)  # one token per exogenous series + calendar
    # The flatten head reads every endogenous token.
    assert model.head.in_features == 16 * model.n_tokens


@pytest.mark.parametrize("n_endogenous", [1, 3])
def test_output_shape(n_endogenous):
    model = small(n_endogenous=n_endogenous)
    out = model(torch.randn(7, 24, n_endogenous), torch.randn(7, 24, 4))
    assert out.shape == (7, 3, n_endogenous)
    assert torch.isfinite(out).all()


def test_instance_normalisation_makes_the_forecast_affine_equivariant():
    torch.manual_seed(0)
    model = small()
    endogenous, exogenous = torch.randn(6, 24, 1), torch.randn(6, 24, 4)
    base = model(endogenous, exogenous)
    scaled = model(3.0 * endogenous + 5.0, 0.1 * exogenous - 2.0)
    torch.testing.assert_close(scaled, 3.0 * base + 5.0, rtol=1e-4, atol=1e-4)


def test_exogenous_series_influence_the_forecast_only_through_cross_attention():
    torch.manual_seed(0)
    model = small()
    endogenous = torch.randn(2, 24, 1)
    first = model(endogenous, torch.randn(2, 24, 4))
    second = model(endogenous, torch.randn(2, 24, 4))
    assert not torch.allclose(first, second)
    for layer in model.layers:  # cut the only path from exogenous tokens
        torch.nn.init.zeros_(layer.cross_attention.out.weight)
        torch.nn.init.zeros_(layer.cross_attention.out.bias)
    torch.testing.assert_close(model(endogenous, torch.randn(2, 24, 4)),
                               model(endogenous, torch.randn(2, 24, 4)))


def test_tag_embeddings_are_added_to_exogenous_tokens():
    torch.manual_seed(0)
    tags = torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 1]])
    embedding = build_tag_embedding("sum", 3, 5)
    model = small(tag_embedding=embedding, tag_matrix=tags)
    tokens = model.exogenous_tag_tokens()
    assert tokens.shape == (4, 16)
    expected = model.tag_projection(tags @ embedding.weight)
    torch.testing.assert_close(tokens, expected)
    # Swapping two variables' tags changes the forecast: tokens carry identity.
    endogenous, exogenous = torch.randn(3, 24, 1), torch.randn(3, 24, 4)
    before = model(endogenous, exogenous)
    model.tag_matrix.copy_(tags[[1, 0, 2, 3]])
    assert not torch.allclose(before, model(endogenous, exogenous))


def test_gradients_reach_the_tag_embedding():
    tags = torch.tensor([[1.0, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [1, 0, 0, 1]])
    model = small(tag_embedding=build_tag_embedding("attention", 4, 4),
                  tag_matrix=tags).train()
    model(torch.randn(3, 24, 1), torch.randn(3, 24, 4)).sum().backward()
    for name, parameter in model.tag_embedding.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


@pytest.mark.parametrize(
    "params, match",
    [
        ({"patch_len": 5}, "divisible by patch_len"),
        ({"d_model": 15}, "n_heads"),
        ({"n_exogenous": 0}, "exogenous"),
        ({"lookback": 0}, "lookback"),
        ({"activation": "tanh"}, "activation"),
    ],
)
def test_bad_construction_arguments(params, match):
    with pytest.raises(ValueError, match=match):
        small(**params)


@pytest.mark.parametrize("requires_grad", [False, True])
def test_normalise_matches_naive_standardisation_and_keeps_its_input(requires_grad):
    from sktagembed.nn.timexer import _normalise

    x = torch.randn(3, 20, 4, dtype=torch.float64) * 5 + 2
    x.requires_grad_(requires_grad)
    before = x.detach().clone()
    normalised, mean, std = _normalise(x)
    naive = x.detach().numpy()
    naive_mean = naive.mean(axis=1, keepdims=True)
    naive_std = np.sqrt(naive.var(axis=1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(mean.numpy(), naive_mean, rtol=1e-12)
    np.testing.assert_allclose(std.numpy(), naive_std, rtol=1e-12)
    np.testing.assert_allclose(normalised.detach().numpy(),
                               (naive - naive_mean) / naive_std, rtol=1e-10)
    assert torch.equal(x.detach(), before)  # the in-place step spares the input
    if requires_grad:
        # Statistics are constants: d normalised / dx is 1 / std.
        normalised.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(),
                                   np.broadcast_to(1 / naive_std, x.shape),
                                   rtol=1e-10)
