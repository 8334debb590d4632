"""TimeXerRegressor(tag_embedding=...): a TagEmbeddingTransformer feeding the
forecaster its method and options."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor
from sktagembed.exceptions import InvalidParameterError

SMALL = {"lookback": 8, "patch_len": 4, "d_model": 8, "n_heads": 2, "d_ff": 16,
         "max_epochs": 2, "batch_size": 16, "random_state": 0, "device": "cpu"}
TAGS = pd.DataFrame({"price": [True, False, True], "volume": [False, True, True]},
                    index=["x0", "x1", "x2"])


def series_frame(n_rows=80, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, 4)),
                     columns=["x0", "x1", "x2", "target"])
    y = X["x0"].shift(1).fillna(0.0) + 0.1 * rng.normal(size=n_rows)
    return X, y.to_numpy()


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
