"""The shared hyperparameter checks, through both estimators."""

import numpy as np
import pytest

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor

BAD_TRAINING_PARAMS = [
    ("max_epochs", -1), ("max_epochs", 2.0), ("max_epochs", True),
    ("patience", -1), ("batch_size", 0), ("batch_size", np.int64(0)),
    ("lr", 0.0), ("lr", float("inf")), ("lr", float("nan")), ("lr", "0.1"),
    ("validation_fraction", 1.0), ("validation_fraction", -0.1),
    ("validation_fraction", True),
]


@pytest.mark.parametrize("make", [
    lambda **kw: TagEmbeddingTransformer(method="sum", **kw),
    lambda **kw: TimeXerRegressor(lookback=4, **kw),
], ids=["transformer", "timexer"])
@pytest.mark.parametrize(("name", "value"), BAD_TRAINING_PARAMS)
def test_bad_training_parameter_is_named(make, name, value):
    estimator = make(**{name: value})
    X = np.ones((12, 3), dtype=np.float32)
    with pytest.raises(ValueError, match=name):
        estimator.fit(X, np.ones(12))
    assert not hasattr(estimator, "n_features_in_")


@pytest.mark.parametrize("value", [np.array(["sum"]), ["sum"], 3])
def test_non_string_method_is_rejected_by_name(value):
    with pytest.raises(ValueError, match="method"):
        TagEmbeddingTransformer(method=value).fit(np.ones((4, 2), bool))


def test_numpy_integers_are_accepted():
    emb = TagEmbeddingTransformer(method="sum", max_epochs=np.int64(0),
                                  embedding_dim=np.int32(3), random_state=0)
    assert emb.fit_transform(np.eye(3, dtype=bool)).shape == (3, 3)
