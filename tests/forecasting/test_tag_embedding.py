"""TimeXerRegressor(tag_embedding=...): a TagEmbeddingTransformer feeding the
forecaster, unfitted (the method and its options) or fitted (the start)."""

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor
from sktagembed.exceptions import InvalidParameterError

SMALL = {"lookback": 8, "patch_len": 4, "d_model": 8, "n_heads": 2, "d_ff": 16,
         "max_epochs": 2, "batch_size": 16, "random_state": 0, "device": "cpu"}
UNTRAINED = {**{k: v for k, v in SMALL.items() if k != "batch_size"},
             "max_epochs": 0}
TAGS = pd.DataFrame({"price": [True, False, True], "volume": [False, True, True]},
                    index=["x0", "x1", "x2"])


def series_frame(n_rows=80, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, 4)),
                     columns=["x0", "x1", "x2", "target"])
    y = X["x0"].shift(1).fillna(0.0) + 0.1 * rng.normal(size=n_rows)
    return X, y.to_numpy()


def fitted_transformer(method="sum", **params):
    params = {"embedding_dim": 4, "max_epochs": 3, "random_state": 1,
              "device": "cpu", **params}
    return TagEmbeddingTransformer(method, **params).fit(TAGS)


def state(module):
    return {name: value.detach().clone() for name, value in
            module.state_dict().items()}


@pytest.mark.parametrize("method", ["attention", "multihead", "hierarchical"])
def test_a_method_name_is_an_unfitted_transformer_with_default_options(method):
    X, y = series_frame()
    by_name = TimeXerRegressor(**SMALL, feature_tags=TAGS,
                               tag_embedding=method).fit(X, y)
    by_transformer = TimeXerRegressor(
        **SMALL, feature_tags=TAGS,
        tag_embedding=TagEmbeddingTransformer(method)).fit(X, y)
    np.testing.assert_array_equal(by_name.predict(X), by_transformer.predict(X))
    assert by_name.tag_embeddings_.shape == (2, 16)


def test_an_unfitted_transformer_gives_its_method_and_options():
    X, y = series_frame()
    model = TimeXerRegressor(**SMALL, feature_tags=TAGS, tag_embedding=(
        TagEmbeddingTransformer("multihead", embedding_dim=6, n_heads=3))).fit(X, y)
    module = model.net_.module_.tag_embedding
    assert type(module).__name__ == "MultiHeadTagEmbedding"
    assert (module.n_heads, module.embedding_dim) == (3, 6)
    assert model.tag_embeddings_.shape == (2, 6)


def test_a_fitted_transformer_frozen_keeps_its_table_bit_for_bit():
    X, y = series_frame()
    transformer = fitted_transformer()
    before, params = state(transformer.net_.module_), transformer.get_params()
    model = TimeXerRegressor(**SMALL, feature_tags=TAGS,
                             tag_embedding=transformer).fit(X, y)
    # The forecaster trained, its tag table did not move, and the transformer
    # it read is untouched.
    np.testing.assert_array_equal(model.tag_embeddings_.to_numpy(),
                                  transformer.embeddings_.to_numpy())
    assert not any(p.requires_grad for p in
                   model.net_.module_.tag_embedding.parameters())
    after = state(transformer.net_.module_)
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert transformer.get_params() == params
    assert model.tag_embedding is transformer


def test_a_fitted_transformer_with_freeze_false_is_fine_tuned():
    X, y = series_frame()
    transformer = fitted_transformer(freeze=False)
    start = transformer.embeddings_.to_numpy()
    model = TimeXerRegressor(**{**SMALL, "lr": 1e-2}, feature_tags=TAGS,
                             tag_embedding=transformer).fit(X, y)
    tuned = model.tag_embeddings_.to_numpy()
    assert not np.array_equal(tuned, start)
    # It started from the table: untrained, the forecaster holds it exactly.
    untrained = TimeXerRegressor(**UNTRAINED, feature_tags=TAGS,
                                 tag_embedding=transformer).fit(X, y)
    np.testing.assert_array_equal(untrained.tag_embeddings_.to_numpy(), start)
    np.testing.assert_array_equal(transformer.embeddings_.to_numpy(), start)


@pytest.mark.parametrize("method", ["linear", "multihead", "interaction", "mlp",
                                    "bilinear", "attention", "hierarchical"])
def test_every_method_starts_from_the_fitted_modules(method):
    X, y = series_frame()
    options = {"n_heads": 2} if method == "multihead" else {}
    transformer = fitted_transformer(method, **options)
    model = TimeXerRegressor(**UNTRAINED, feature_tags=TAGS,
                             tag_embedding=transformer).fit(X, y)
    np.testing.assert_allclose(model.tag_embeddings_.to_numpy(),
                               transformer.embeddings_.to_numpy(), rtol=1e-6)


def test_tags_the_transformer_never_saw_start_fresh_and_known_ones_by_name():
    X, y = series_frame()
    # Fitted on another vocabulary, in another order: "volume" is known by
    # name, "price" is not.
    other = pd.DataFrame({"volume": [True, False, True],
                          "spread": [False, True, True]})
    transformer = TagEmbeddingTransformer("sum", embedding_dim=4, max_epochs=2,
                                          random_state=1).fit(other)
    model = TimeXerRegressor(**SMALL, feature_tags=TAGS,
                             tag_embedding=transformer).fit(X, y)
    table = model.tag_embeddings_
    np.testing.assert_array_equal(table.loc["volume"],
                                  transformer.embeddings_.loc["volume"])
    assert not np.isin(table.loc["price"].to_numpy(),
                       transformer.embeddings_.to_numpy()).any()


def test_a_table_sharing_no_tag_with_the_transformer_is_trained():
    X, y = series_frame()
    other = pd.DataFrame({"spread": [True, False], "depth": [False, True]})
    transformer = TagEmbeddingTransformer("sum", embedding_dim=4, max_epochs=1,
                                          random_state=1).fit(other)
    frozen = TimeXerRegressor(**SMALL, feature_tags=TAGS,
                              tag_embedding=transformer).fit(X, y)
    assert all(p.requires_grad for p in
               frozen.net_.module_.tag_embedding.parameters())


@pytest.mark.filterwarnings("ignore:tag_embedding__n_heads=2 is ignored")
def test_nested_parameters_are_searched():
    X, y = series_frame(n_rows=60)
    base = TimeXerRegressor(**{**SMALL, "max_epochs": 1}, feature_tags=TAGS,
                            tag_embedding=TagEmbeddingTransformer(embedding_dim=4))
    grid = {"tag_embedding__method": ["sum", "multihead"],
            "tag_embedding__n_heads": [2, 4]}
    search = GridSearchCV(base, grid, cv=TimeSeriesSplit(2),
                          error_score="raise").fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = search.best_estimator_.tag_embedding
    assert (best.method, best.n_heads) == (
        search.best_params_["tag_embedding__method"],
        search.best_params_["tag_embedding__n_heads"])
    # The search changed clones, not the transformer it was given.
    assert (base.tag_embedding.method, base.tag_embedding.n_heads) == ("sum", 4)


def test_params_round_trip_through_clone_and_set_params():
    model = TimeXerRegressor(feature_tags=TAGS, tag_embedding=TagEmbeddingTransformer(
        "multihead", n_heads=2, hidden_dim=8))
    params = model.get_params(deep=True)
    assert params["tag_embedding__method"] == "multihead"
    assert params["tag_embedding__n_heads"] == 2
    assert params["tag_embedding__hierarchy"] == "infer"
    copy = clone(model)
    assert copy.tag_embedding is not model.tag_embedding
    assert copy.tag_embedding.get_params() == model.tag_embedding.get_params()
    copy.set_params(tag_embedding__n_heads=4, tag_embedding__method="attention")
    assert (copy.tag_embedding.method, copy.tag_embedding.n_heads) == (
        "attention", 4)
    assert model.tag_embedding.n_heads == 2
    assert clone(TimeXerRegressor(tag_embedding="mlp")).tag_embedding == "mlp"


def test_a_frozen_estimator_keeps_the_fit_through_clone():
    X, y = series_frame()
    transformer = fitted_transformer()
    model = clone(TimeXerRegressor(**SMALL, feature_tags=TAGS,
                                   tag_embedding=FrozenEstimator(transformer)))
    model.fit(X, y)
    np.testing.assert_array_equal(model.tag_embeddings_.to_numpy(),
                                  transformer.embeddings_.to_numpy())


@pytest.mark.parametrize("value, match", [
    ("bogus", r"tag_embedding='bogus' is invalid: it must be one of 'auto', "
              r"None, 'sum'.* or a TagEmbeddingTransformer"),
    (16, r"tag_embedding=16 is invalid"),
    (TagEmbeddingTransformer(n_heads=0), r"tag_embedding__n_heads=0 is invalid"),
    (TagEmbeddingTransformer("multihead", embedding_dim=6),
     r"tag_embedding__embedding_dim=6 must be divisible by tag_embedding__n_heads=4"),
    (TagEmbeddingTransformer("pretrained"), r"tag_embedding__pretrained="),
    (TagEmbeddingTransformer("hierarchical", hierarchy=None),
     r"tag_embedding__hierarchy="),
], ids=["name", "number", "heads", "divisible", "pretrained", "hierarchy"])
def test_bad_tag_embeddings_are_named(value, match):
    X, y = series_frame()
    with pytest.raises(InvalidParameterError if "invalid" in match else ValueError,
                       match=match):
        TimeXerRegressor(**SMALL, feature_tags=TAGS, tag_embedding=value).fit(X, y)


def test_the_old_parameters_are_gone():
    for name in ("tag_method", "tag_options", "tag_embedding_dim"):
        with pytest.raises(TypeError, match=name):
            TimeXerRegressor(**{name: None})
