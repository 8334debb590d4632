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
    ("weight_decay", -0.1), ("weight_decay", float("inf")),
    ("weight_decay", float("nan")), ("weight_decay", "0.1"),
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


@pytest.mark.parametrize("make", [
    lambda: TimeXerRegressor(lookback=10, patch_len=3),
    lambda: TimeXerRegressor(lookback=8, patch_len=4, d_model=10, n_heads=3),
    lambda: TimeXerRegressor(lookback=8, patch_len=4, dropout=1.5),
    lambda: TagEmbeddingTransformer("multihead", embedding_dim=6, n_heads=4),
    lambda: TagEmbeddingTransformer("sum", pooling="max"),
    lambda: TagEmbeddingTransformer("mlp", hidden_dim=0),
    lambda: TagEmbeddingTransformer("hierarchical", hierarchy={"zz": ["t0"]}),
    lambda: TagEmbeddingTransformer("pretrained", pretrained=np.ones((2, 16))),
], ids=["patch", "heads", "dropout", "multihead", "pooling", "mlp",
        "hierarchy", "pretrained"])
def test_parameter_errors_checked_deep_inside_are_input_errors(make):
    # Checked by the torch modules, these still blame the caller, so the
    # command line reports them as one line instead of a traceback.
    from sktagembed.exceptions import InputError

    rng = np.random.default_rng(0)
    estimator = make()
    if isinstance(estimator, TimeXerRegressor):
        X, y = rng.normal(size=(60, 3)), rng.normal(size=60)
    else:
        X, y = rng.random((20, 3)) < 0.5, None
    with pytest.raises(InputError):
        estimator.fit(X, y)
