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
    bags = model.feature_tag_bags()
    torch.testing.assert_close(embedding(bags), tags @ embedding.weight)
    # Swapping two variables' tags changes the forecast: tokens carry identity.
    swapped = small(tag_embedding=embedding, tag_matrix=tags[[1, 0, 2, 3]])
    swapped.load_state_dict(model.state_dict() | {
        k: v for k, v in swapped.state_dict().items() if k.startswith("tag_")})
    endogenous, exogenous = torch.randn(3, 24, 1), torch.randn(3, 24, 4)
    assert not torch.allclose(model(endogenous, exogenous),
                              swapped(endogenous, exogenous))
    # Swapping the exogenous series along with their tags does not: tokens are
    # an unordered set of (series, identity) pairs.
    torch.testing.assert_close(model(endogenous, exogenous),
                               swapped(endogenous, exogenous[:, :, [1, 0, 2, 3]]))


def test_a_sparse_tag_matrix_gives_the_dense_result():
    torch.manual_seed(0)
    tags = torch.tensor([[1.0, 0, 0], [0, 1, 0], [0, 1, 1], [1, 0, 1]])
    dense = small(tag_embedding=build_tag_embedding("attention", 3, 4),
                  tag_matrix=tags)
    sparse = small(tag_embedding=build_tag_embedding("attention", 3, 4),
                   tag_matrix=tags.to_sparse())
    sparse.load_state_dict(dense.state_dict())
    endogenous, exogenous = torch.randn(3, 24, 1), torch.randn(3, 24, 4)
    torch.testing.assert_close(dense(endogenous, exogenous),
                               sparse(endogenous, exogenous))


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
        ({"series_tag_dropout": 1.0}, "series_tag_dropout"),
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


# -- future covariates, missing values, quantiles, series tags ---------------------


def test_future_covariates_are_read_over_lookback_and_horizon():
    torch.manual_seed(0)
    model = small(n_future=2)
    assert model.future_embedding.in_features == 24 + 3
    shapes = capture_cross_attention_keys(model)
    endogenous, exogenous = torch.randn(2, 24, 1), torch.randn(2, 24, 4)
    future = torch.randn(2, 27, 2)
    base = model(endogenous, exogenous, future=future)
    assert shapes[0][1] == (2, 4 + 2, 16)  # one token per future variable
    changed = future.clone()
    changed[:, -1, 0] += 5.0  # the last horizon step of one covariate
    assert not torch.allclose(base, model(endogenous, exogenous, future=changed))


def test_missing_values_are_masked_and_never_give_nan():
    torch.manual_seed(0)
    model = small(missing_embedding=True)
    endogenous, exogenous = torch.randn(4, 24, 1), torch.randn(4, 24, 4)
    holes = endogenous.clone()
    holes[0, 3:7, 0] = float("nan")
    exo_holes = exogenous.clone()
    exo_holes[:, ::5, 2] = float("nan")
    out = model(holes, exo_holes)
    assert torch.isfinite(out).all()
    # Rows without holes are unchanged: the mask embedding of no missing
    # value is zero, and statistics are per window.
    torch.testing.assert_close(out[1:], model(endogenous[1:], exo_holes[1:]))
    # The model is told where the holes are: filling them with the window
    # mean by hand differs from leaving them missing.
    filled = holes.clone()
    filled[0, 3:7, 0] = holes[0, ~torch.isnan(holes[0, :, 0]), 0].mean()
    assert not torch.allclose(out[0], model(filled, exo_holes)[0])


def test_nan_aware_normalisation_matches_statistics_of_the_observed_values():
    from sktagembed.nn.timexer import _prepare

    x = torch.randn(3, 20, 2, dtype=torch.float64) * 4 + 1
    x[0, :5, 0] = float("nan")
    out, mask, mean, std = _prepare(x, True)
    observed = x[0, 5:, 0]
    torch.testing.assert_close(mean[0, 0, 0], observed.mean())
    torch.testing.assert_close(std[0, 0, 0],
                               torch.sqrt(observed.var(unbiased=False) + 1e-5))
    assert torch.equal(out[0, :5, 0], torch.zeros(5, dtype=torch.float64))
    assert mask[0, :5, 0].eq(1).all() and mask.sum() == 5
    whole, _, whole_mean, _ = _prepare(x[1:], True)
    torch.testing.assert_close(out[1:], whole)  # complete windows unchanged


def test_a_window_without_history_is_forecast_in_the_datas_own_units():
    from sktagembed.nn.timexer import _prepare

    x = torch.randn(2, 24, 1)
    x[0, :, 0] = float("nan")  # the sensor was down the whole window
    x[1, :-1, 0] = float("nan")  # one reading: no spread either
    _, _, mean, std = _prepare(x, True)
    assert torch.equal(std, torch.ones_like(std))
    assert mean[0, 0, 0] == 0 and mean[1, 0, 0] == x[1, -1, 0]
    # The de-normalised forecast keeps the head's scale, not 0.003 of it.
    torch.manual_seed(0)
    model = small()
    out = model(x[:1].expand(4, -1, -1).contiguous(), torch.randn(4, 24, 4))
    assert out.abs().mean() > 0.05


def test_quantiles_never_cross_and_the_median_is_the_point():
    torch.manual_seed(0)
    model = small(n_quantiles=5, median_index=2)
    for parameter in model.head.parameters():  # large raw outputs of any sign
        torch.nn.init.normal_(parameter, std=3.0)
    out = model(torch.randn(8, 24, 1), torch.randn(8, 24, 4))
    assert out.shape == (8, 3, 1, 5)
    assert (out.diff(dim=-1) >= 0).all()


def test_series_tags_join_every_endogenous_token():
    torch.manual_seed(0)
    for combine in ("add", "concat"):
        model = small(series_tag_embedding=build_tag_embedding("sum", 3, 4),
                      tag_combine=combine)
        endogenous, exogenous = torch.randn(2, 24, 1), torch.randn(2, 24, 4)
        tags = torch.tensor([[1.0, 0, 0], [0, 1, 1]])
        out = model(endogenous, exogenous, series_tags=tags)
        other = model(endogenous, exogenous, series_tags=tags[[1, 0]])
        assert not torch.allclose(out, other)
        torch.testing.assert_close(
            out, model(endogenous, exogenous, series_tags=tags.to_sparse()))


def test_series_tag_dropout_drops_whole_windows_tags_and_evaluates_their_mean():
    torch.manual_seed(0)
    model = small(series_tag_embedding=build_tag_embedding("sum", 3, 4),
                  dropout=0.0, series_tag_dropout=0.5, linear_skip=True)
    endogenous, exogenous = torch.randn(64, 24, 1), torch.randn(64, 24, 4)
    tags = torch.tensor([[1.0, 0, 1]]).expand(64, 3)
    model.series_tag_dropout = 0.0
    tagged = model(endogenous, exogenous, series_tags=tags)
    model.train()  # dropout=0: training mode changes only the series tags
    model.series_tag_dropout = 1.0  # torch.rand < 1: every window dropped
    dropped = model(endogenous, exogenous, series_tags=tags)
    model.series_tag_dropout = 0.5
    mixed = model(endogenous, exogenous, series_tags=tags)
    as_tagged = torch.isclose(mixed, tagged).flatten(1).all(dim=1)
    as_dropped = torch.isclose(mixed, dropped).flatten(1).all(dim=1)
    assert bool((as_tagged ^ as_dropped).all())
    assert 16 < int(as_dropped.sum()) < 48
    # In evaluation: the mean forecast over the training's dropout.
    model.eval()
    torch.testing.assert_close(model(endogenous, exogenous, series_tags=tags),
                               0.5 * tagged + 0.5 * dropped)


# -- linear skip --------------------------------------------------------------------


def test_the_linear_skip_starts_at_zero_so_training_starts_from_timexer():
    torch.manual_seed(0)
    plain = small(n_calendar=2, n_future=1)
    skipped = small(n_calendar=2, n_future=1, linear_skip=True)
    missing = skipped.load_state_dict(plain.state_dict(), strict=False).missing_keys
    assert sorted(missing) == ["level_location", "level_scale",
                               "skip_level_own.bias", "skip_level_own.weight",
                               "skip_level_shared.weight", "skip_own.bias",
                               "skip_own.weight", "skip_shared.weight"]
    inputs = (torch.randn(5, 24, 1), torch.randn(5, 24, 4), torch.randn(5, 24, 2),
              torch.randn(5, 27, 1))
    torch.testing.assert_close(skipped(*inputs), plain(*inputs))


def test_the_linear_skip_is_a_linear_map_of_the_normalised_windows():
    torch.manual_seed(0)
    model = small(n_endogenous=2, n_calendar=1, n_future=1, linear_skip=True)
    for parameter in [*model.skip_own.parameters(), *model.skip_shared.parameters()]:
        torch.nn.init.normal_(parameter)
    for parameter in model.head.parameters():  # silence the transformer path
        torch.nn.init.zeros_(parameter)
    endogenous, exogenous = torch.randn(3, 24, 2) * 2 + 1, torch.randn(3, 24, 4)
    calendar, future = torch.rand(3, 24, 1) - 0.5, torch.randn(3, 27, 1) * 5
    out = model(endogenous, exogenous, calendar, future).detach().numpy()

    def standardise(x):
        x = x.numpy().astype(np.float64)
        mean = x.mean(axis=1, keepdims=True)
        std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
        return (x - mean) / std, mean, std

    own, mean, std = standardise(endogenous)
    shared = np.concatenate([standardise(exogenous)[0].reshape(3, -1),
                             calendar.numpy().reshape(3, -1),
                             standardise(future)[0].reshape(3, -1)], axis=1)
    w_own = model.skip_own.weight.detach().numpy()
    w_shared = model.skip_shared.weight.detach().numpy()
    for j in range(2):  # each endogenous variable: its own window + the rest
        skip = (own[:, :, j] @ w_own.T + model.skip_own.bias.detach().numpy()
                + shared @ w_shared.T)
        np.testing.assert_allclose(out[:, :, j], skip * std[:, :, j] + mean[:, :, j],
                                   rtol=1e-4, atol=1e-4)


def test_with_tags_the_linear_skip_still_starts_from_the_tagged_timexer():
    torch.manual_seed(0)
    tags = torch.tensor([[1.0, 0, 0], [0, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1]])
    params = {"n_future": 1, "tag_embedding": build_tag_embedding("sum", 3, 4),
              "tag_matrix": tags,
              "series_tag_embedding": build_tag_embedding("sum", 2, 4)}
    plain = small(**params)
    skipped = small(**params, linear_skip=True)
    skipped.load_state_dict(plain.state_dict(), strict=False)
    assert {name.split(".")[0] for name, _ in skipped.skip_tags.named_parameters()} \
        == {"exogenous", "future", "series", "roles", "level_exogenous",
            "level_future",
            "level_series"}
    inputs = (torch.randn(5, 24, 1), torch.randn(5, 24, 4))
    future, series = torch.randn(5, 27, 1), torch.eye(2)[[0, 1, 1, 0, 1]]
    torch.testing.assert_close(skipped(*inputs, future=future, series_tags=series),
                               plain(*inputs, future=future, series_tags=series))


def test_the_linear_skip_reads_each_variables_and_each_series_tags():
    # Skip weights W_j = B_0 + sum_k e_jk B_k from each exogenous variable's
    # tag embedding e_j, weighted in window b by 1 + e_j . M s_b, and likewise
    # from each window's series embedding s_b, against a loop over variables
    # and windows.
    torch.manual_seed(0)
    tags = torch.tensor([[1.0, 0, 0], [0, 1, 0], [1, 0, 1], [0, 1, 0]])
    model = small(n_endogenous=1, n_exogenous=4, linear_skip=True,
                  tag_embedding=build_tag_embedding("sum", 3, 4), tag_matrix=tags,
                  series_tag_embedding=build_tag_embedding("sum", 2, 5))
    for name in ("exogenous", "series", "roles"):
        for parameter in model.skip_tags[name].parameters():
            torch.nn.init.normal_(parameter, std=0.5)
    for parameter in model.head.parameters():  # silence the transformer path
        torch.nn.init.zeros_(parameter)
    endogenous, exogenous = torch.randn(3, 24, 1) * 2 + 1, torch.randn(3, 24, 4)
    series = torch.eye(2)[[0, 1, 1]]
    out = model(endogenous, exogenous, series_tags=series).detach().numpy()

    def standardise(x):
        x = x.numpy().astype(np.float64)
        mean = x.mean(axis=1, keepdims=True)
        std = np.sqrt(x.var(axis=1, keepdims=True) + 1e-5)
        return (x - mean) / std, mean, std

    own, mean, std = standardise(endogenous)
    exo = standardise(exogenous)[0]
    feature_table = model.tag_embedding.weight.detach().numpy().astype(np.float64)
    series_table = model.series_tags.embedding.weight.detach().numpy()
    exo_map, series_map = model.skip_tags["exogenous"].weights, \
        model.skip_tags["series"].weights
    roles = model.skip_tags["roles"].weight.detach().numpy()
    expected = np.empty((3, 3))
    for b in range(3):
        skip = own[b, :, 0] @ model.skip_own.weight.detach().numpy().T \
            + model.skip_own.bias.detach().numpy()
        s = series[b].numpy() @ series_table
        for j in range(4):
            e = tags[j].numpy() @ feature_table
            w = (exo_map.weight.detach().numpy() @ e
                 + exo_map.bias.detach().numpy()).reshape(3, 24)
            # How much this kind of variable weighs in this kind of series.
            skip = skip + (1 + e @ roles @ s) * (w @ exo[b, :, j])
        e = s
        w = (series_map.weight.detach().numpy() @ e
             + series_map.bias.detach().numpy()).reshape(3, 24)
        expected[b] = skip + w @ own[b, :, 0]
    np.testing.assert_allclose(out[:, :, 0], expected * std[:, :, 0] + mean[:, :, 0],
                               rtol=1e-4, atol=1e-4)
    # Two variables with the same tags read their windows through the same
    # tag-made weights: swapping their windows changes nothing.
    swapped = exogenous[:, :, [0, 3, 2, 1]]
    torch.testing.assert_close(model(endogenous, swapped, series_tags=series),
                               model(endogenous, exogenous, series_tags=series))


def level_model(**params):
    """A model whose forecast is the window's mean plus the skip's level
    part (random weights, fixed statistics), and those statistics."""
    location = torch.tensor([1.0, -2.0, 0.5, 3.0, 0.0, 2.0])
    scale = torch.tensor([2.0, 0.5, 1.0, 4.0, 1.5, 3.0])
    model = small(n_endogenous=1, n_exogenous=4, n_future=1, linear_skip=True,
                  level_location=location, level_scale=scale, **params)
    for layer in (model.skip_level_own, model.skip_level_shared):
        for parameter in layer.parameters():
            torch.nn.init.normal_(parameter)
    for parameter in model.head.parameters():  # silence the transformer path
        torch.nn.init.zeros_(parameter)
    return model, location.numpy(), scale.numpy()


def naive_level_skip(model, location, scale, endogenous, exogenous, future):
    def standardised(x, columns):
        z = (x.numpy().astype(np.float64) - location[columns]) / scale[columns]
        return np.nan_to_num(z, nan=0.0)

    own = standardised(endogenous, slice(0, 1))[:, :, 0]
    shared = np.concatenate(
        [standardised(exogenous, slice(1, 5)).reshape(len(own), -1),
         standardised(future, slice(5, 6)).reshape(len(own), -1)], axis=1)
    return (own @ model.skip_level_own.weight.detach().numpy().T
            + model.skip_level_own.bias.detach().numpy()
            + shared @ model.skip_level_shared.weight.detach().numpy().T)


def test_the_skips_level_part_reads_the_windows_standardised_with_fixed_statistics():
    torch.manual_seed(0)
    model, location, scale = level_model()
    endogenous, exogenous = torch.randn(3, 24, 1) * 2 + 1, torch.randn(3, 24, 4) * 3
    future = torch.randn(3, 27, 1) + 2
    endogenous[0, 5, 0] = exogenous[1, 7, 2] = future[2, 25, 0] = float("nan")
    out = model(endogenous, exogenous, future=future).detach().numpy()[:, :, 0]
    level = naive_level_skip(model, location, scale, endogenous, exogenous, future)
    # The transformer path is silent and the normalised skip zero, so the
    # forecast is the window's mean (NaN left out) plus the level part,
    # in the endogenous variable's units.
    mean = np.nanmean(endogenous.numpy(), axis=1)
    np.testing.assert_allclose(out, mean + level * scale[0], rtol=1e-4, atol=1e-4)
    # Given the target's own statistics, the level part is in its standard units.
    location_t, scale_t = torch.full((3, 1, 1), 4.0), torch.full((3, 1, 1), 2.0)
    out = model(endogenous, exogenous, future=future, target_location=location_t,
                target_scale=scale_t).detach().numpy()[:, :, 0]
    np.testing.assert_allclose(out, level * 2.0 + 4.0, rtol=1e-4, atol=1e-4)


def test_the_skips_level_part_sees_levels_that_normalisation_removes():
    torch.manual_seed(0)
    model = small(n_future=1, linear_skip=True,
                  level_location=torch.zeros(6), level_scale=torch.ones(6))
    for parameter in model.parameters():  # every path active, head included
        torch.nn.init.normal_(parameter, std=0.1)
    endogenous, exogenous = torch.randn(2, 24, 1), torch.randn(2, 24, 4)
    future = torch.randn(2, 27, 1)
    base = model(endogenous, exogenous, future=future)
    shifted = model(endogenous, exogenous + 3.0, future=future)
    # Each exogenous window is normalised by its own mean: only the level
    # part can tell the shifted windows from the others.
    assert not torch.allclose(base, shifted, atol=1e-3)
    for layer in (model.skip_level_own, model.skip_level_shared):
        torch.nn.init.zeros_(layer.weight)
    torch.testing.assert_close(model(endogenous, exogenous + 3.0, future=future),
                               model(endogenous, exogenous, future=future),
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("params", "message"), [
    ({"level_location": torch.zeros(3)}, "level_location has 3 values"),
    ({"level_scale": torch.tensor([1.0, 1.0, 1.0, 1.0, 0.0])}, "positive"),
    ({"level_scale": torch.tensor([1.0, 1.0, float("nan"), 1.0, 1.0])}, "finite"),
    ({"level_location": torch.zeros(5), "linear_skip": False}, "linear_skip=True"),
])
def test_level_statistics_are_checked(params, message):
    with pytest.raises(ValueError, match=message):
        small(**{"linear_skip": True, **params})


def test_the_linear_skip_keeps_affine_equivariance_and_quantile_order():
    torch.manual_seed(0)
    model = small(n_quantiles=3, median_index=1, linear_skip=True)
    for parameter in [*model.skip_own.parameters(), *model.skip_shared.parameters()]:
        torch.nn.init.normal_(parameter)
    endogenous, exogenous = torch.randn(6, 24, 1), torch.randn(6, 24, 4)
    base = model(endogenous, exogenous)
    assert (base.diff(dim=-1) >= 0).all()
    # Scales above 1: the 1e-5 under the standard deviation's root stays
    # negligible for the skip's large random weights.
    scaled = model(3.0 * endogenous + 5.0, 2.0 * exogenous - 2.0)
    torch.testing.assert_close(scaled, 3.0 * base + 5.0, rtol=1e-4, atol=1e-4)


# -- other exogenous variables at prediction time ------------------------------------


def tagged_skip_model(**params):
    """A model with tags, the linear skip and every path active."""
    torch.manual_seed(0)
    tags = torch.tensor([[1.0, 0, 0], [0, 1, 0], [1, 0, 1], [0, 1, 0], [0, 0, 1]])
    model = small(n_future=1, linear_skip=True,
                  tag_embedding=build_tag_embedding("sum", 3, 4), tag_matrix=tags,
                  level_location=torch.arange(6.0), level_scale=torch.ones(6) * 2,
                  **params)
    for parameter in model.parameters():
        torch.nn.init.normal_(parameter, std=0.1)
    return model, tags


def test_a_model_reading_the_same_variables_in_another_order_forecasts_the_same():
    model, tags = tagged_skip_model()
    order = [2, 0, 3, 1]
    copy = model.with_exogenous(order, tags[[*order, 4]])
    endogenous, exogenous = torch.randn(3, 24, 1), torch.randn(3, 24, 4)
    future = torch.randn(3, 27, 1)
    torch.testing.assert_close(copy(endogenous, exogenous[:, :, order], future=future),
                               model(endogenous, exogenous, future=future),
                               rtol=1e-5, atol=1e-5)
    assert copy.n_exogenous == 4 and model.skip_shared.weight.requires_grad


def test_a_new_variable_reads_through_its_tags_only():
    # Variable 2 given as a new one (same tags, same window): the copy is the
    # model without variable 2's own skip weights.
    model, tags = tagged_skip_model()
    copy = model.with_exogenous([0, 1, -1, 3], tags,
                                level_location=model.level_location[[3]],
                                level_scale=model.level_scale[[3]])
    endogenous, exogenous = torch.randn(3, 24, 1), torch.randn(3, 24, 4)
    future = torch.randn(3, 27, 1)
    with torch.no_grad():
        for layer in (model.skip_shared, model.skip_level_shared):
            weight = layer.weight[:, :24 * 4].view(-1, 24, 4)
            weight[:, :, 2] = 0.0
    torch.testing.assert_close(copy(endogenous, exogenous, future=future),
                               model(endogenous, exogenous, future=future),
                               rtol=1e-5, atol=1e-5)
    # Its statistics default to 0 and 1 when not given.
    default = model.with_exogenous([0, 1, -1, 3], tags)
    assert default.level_location.tolist() == [0.0, 1.0, 2.0, 0.0, 4.0, 5.0]
    assert default.level_scale.tolist() == [2.0, 2.0, 2.0, 1.0, 2.0, 2.0]


def test_fewer_or_more_exogenous_variables_give_forecasts_of_the_same_shape():
    model, tags = tagged_skip_model()
    endogenous, future = torch.randn(3, 24, 1), torch.randn(3, 27, 1)
    fewer = model.with_exogenous([3, 0], tags[[3, 0, 4]])
    more = model.with_exogenous([0, 1, 2, 3, -1, -1], tags[[0, 1, 2, 3, 0, 2, 4]])
    for copy, n in ((fewer, 2), (more, 6)):
        out = copy(endogenous, torch.randn(3, 24, n), future=future)
        assert out.shape == (3, 3, 1) and torch.isfinite(out).all()
    assert model.n_exogenous == 4 and model.tag_indices.max() < 3


@pytest.mark.parametrize("params, known, match", [
    ({"tag_embedding": None, "tag_matrix": None}, [0], "with tags"),
    ({}, [4], "known positions"),
    ({}, [0, 1], "tag_matrix has 5 rows"),
])
def test_other_variables_need_tags_and_valid_positions(params, known, match):
    tags = torch.eye(5, 3)
    model = small(n_future=1, **{"tag_embedding": build_tag_embedding("sum", 3, 4),
                                 "tag_matrix": tags, **params})
    with pytest.raises(ValueError, match=match):
        model.with_exogenous(known, tags)


def test_without_weights_of_their_own_variables_of_one_kind_are_interchangeable():
    # Variables 1 and 3 carry the same tags: with every path active, the
    # model reading them through their tags alone cannot tell them apart,
    # and a new variable with those tags reads exactly as a known one.
    model, tags = tagged_skip_model(skip_variable_weights=False)
    assert model.skip_shared.in_features == 0
    model.level_location[4] = model.level_location[2]
    model.level_scale[4] = model.level_scale[2]
    endogenous, exogenous = torch.randn(3, 24, 1), torch.randn(3, 24, 4)
    future = torch.randn(3, 27, 1)
    base = model(endogenous, exogenous, future=future)
    torch.testing.assert_close(
        model(endogenous, exogenous[:, :, [0, 3, 2, 1]], future=future), base)
    copy = model.with_exogenous([0, 1, 2, -1], tags,
                                level_location=model.level_location[[4]],
                                level_scale=model.level_scale[[4]])
    torch.testing.assert_close(copy(endogenous, exogenous, future=future), base)


def test_weights_from_tags_alone_need_a_tag_embedding():
    with pytest.raises(ValueError, match="needs a tag_embedding"):
        small(linear_skip=True, skip_variable_weights=False)
