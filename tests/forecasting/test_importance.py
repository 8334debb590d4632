"""Which tags matter: tag_importance and its plots."""

from types import SimpleNamespace

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from sktagembed import TimeXerRegressor
from sktagembed.plotting import plot_tag_importance, plot_variable_embeddings

matplotlib.use("Agg")


def tagged_panel(n_series=10, n_steps=64, n_vars=6, seed=0):
    """The target at row t is the mean of the group-A variables at t; a
    ``noise`` tag is carried by variables of both groups, and means nothing."""
    rng = np.random.default_rng(seed)
    names = [f"v{i}" for i in range(n_vars)]
    group_a = names[::2]
    X = pd.DataFrame(rng.normal(size=(n_series * n_steps, n_vars)), columns=names)
    y = X[group_a].mean(axis=1).to_numpy()
    X["target"] = np.r_[0.0, y[:-1]]
    groups = np.repeat(np.arange(n_series), n_steps)
    tags = pd.DataFrame({"group": ["A" if n in group_a else "B" for n in names],
                         "noise": [n in ("v0", "v1") for n in names]}, index=names)
    return X, y, groups, tags


@pytest.fixture(scope="module")
def fitted():
    X, y, groups, tags = tagged_panel()
    model = TimeXerRegressor(lookback=8, patch_len=4, d_model=16, n_heads=2,
                             d_ff=16, max_epochs=10, lr=1e-2, patience=0,
                             batch_size=16, feature_tags=tags,
                             linear_skip=False, random_state=0)
    model.fit(X, y, groups=groups)
    # The tags must be the only route to a column's group: the linear skip's
    # own per-column weights would find it from the column positions.
    return model, tags


def test_the_tag_that_tells_the_groups_apart_matters_and_noise_does_not(fitted):
    model, _ = fitted
    X, y, groups, _ = tagged_panel(n_series=4, seed=1)
    importance = model.tag_importance(X, y, groups=groups, random_state=0)
    assert set(importance.index) == set(model.tag_names_)
    assert importance.columns.tolist() == ["importance", "importance_std",
                                           "attention", "n_variables"]
    group_tag = importance.loc[["group=A", "group=B"], "importance"].max()
    assert group_tag > 0.1  # forecasts are >10% worse without it
    assert importance.loc["noise", "importance"] < 0.2 * group_tag
    assert importance.loc["group=A", "n_variables"] == 3
    # Attention weights are shares of the tokens: between 0 and 1.
    assert importance["attention"].between(0, 1).all()
    permuted = model.tag_importance(X, y, groups=groups, method="permutation",
                                    n_repeats=3, random_state=0)
    assert permuted.loc[["group=A", "group=B"], "importance"].max() > 0.1


def test_tag_importance_needs_feature_tags():
    X, y, groups, _ = tagged_panel(n_series=2)
    plain = TimeXerRegressor(lookback=8, patch_len=4, d_model=8, n_heads=2,
                             d_ff=8, max_epochs=1).fit(X, y, groups=groups)
    with pytest.raises(ValueError, match="feature_tags"):
        plain.tag_importance(X, y, groups=groups)


def test_importance_and_variable_maps_are_drawn(fitted):
    model, tags = fitted
    X, y, groups, _ = tagged_panel(n_series=2, seed=2)
    importance = model.tag_importance(X, y, groups=groups, n_repeats=2)
    fig = plot_tag_importance(importance)
    assert len(fig.axes[0].patches) == len(importance)
    assert list(model.variable_embeddings_.index) == list(tags.index)
    fig = plot_variable_embeddings(model, tags.astype(str), by=("group", "noise"))
    assert len(fig.axes) == 2
    legend = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert legend == ["A", "B"]


def distinct_looks(fig) -> set:
    """(colour, marker shape) of each label's points in the first panel."""
    return {(to_hex(c.get_facecolor()[0]), str(c.get_paths()[0].vertices.round(2)))
            for c in fig.axes[0].collections}


def test_variable_maps_give_every_label_its_own_look(fitted):
    model, tags = fitted
    for n_labels in (6, 3):  # one label per variable; two per label
        many = pd.DataFrame({"site": [f"s{i % n_labels}" for i in range(6)]},
                            index=tags.index)
        fig = plot_variable_embeddings(model, many, by=("site",))
        assert len(distinct_looks(fig)) == n_labels == len(fig.axes[0].collections)
        plt.close(fig)


def test_variable_maps_past_the_colour_cycle_still_tell_labels_apart():
    coords = pd.DataFrame(np.random.default_rng(0).normal(size=(25, 4)),
                          index=[f"v{i}" for i in range(25)])
    model = SimpleNamespace(variable_embeddings_=coords)
    tags = pd.DataFrame({"site": coords.index}, index=coords.index)
    fig = plot_variable_embeddings(model, tags, by=("site",))
    assert len(distinct_looks(fig)) == 25
    plt.close(fig)
