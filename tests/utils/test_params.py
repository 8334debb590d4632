"""The tables of hyperparameters: every parameter declared, checked before
any data is read, and values that cannot act warned about."""

import warnings

import numpy as np
import pandas as pd
import pytest

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor
from sktagembed._utils.params import (
    BOOLEAN,
    FRACTION,
    POSITIVE_INT,
    Interval,
    Options,
    validate_params,
)
from sktagembed.embedding._build import TAG_OPTION_PARAMETERS, method_options
from sktagembed.exceptions import (
    IgnoredParameterWarning,
    InputError,
    InvalidParameterError,
)
from sktagembed.nn import METHODS, OPTION_DEFAULTS

TRAINING_BAD_VALUES = {
    "max_epochs": -1, "lr": 0.0, "batch_size": 0, "weight_decay": -1.0,
    "validation_fraction": 1.0, "patience": -1, "device": "gpu",
    "precision": "half", "compile": "yes", "random_state": "seed",
    "verbose": -1, "callbacks": "print",
}

#: One value per parameter that its table must reject.
BAD_VALUES = {
    TagEmbeddingTransformer: {
        "method": "bogus", "embedding_dim": 0, "objective": "bogus",
        "pooling": "max", "n_heads": 0, "hidden_dim": 0, "dropout": 1.0,
        "hierarchy": "guess", "pretrained": 3, "freeze": "yes",
        "handle_missing": "bogus", "handle_unknown": "bogus", "weighted": "yes",
        "separator": "", **TRAINING_BAD_VALUES,
    },
    TimeXerRegressor: {
        "lookback": 0, "patch_len": 0, "endogenous": 1.5, "mode": "S",
        "group_column": 1.5, "future_covariates": [1.5],
        "horizon": 0, "id_column": 1.5, "time_column": None, "target": 3,
        "feature_tags": {"x0": [1]}, "series_tags": "tags.csv",
        "tag_embedding": "bogus",
        "tag_combine": "multiply", "calendar": "yes", "quantiles": [0.5, 1.0],
        "target_scaling": "bogus", "d_model": 0, "n_heads": 0, "e_layers": 0,
        "d_ff": 0, "dropout": 1.0, "use_norm": "yes", "linear_skip": "yes",
        "lr_schedule": "step", "steps_per_epoch": 0,
        "series_tag_dropout": 1.0, "median_weight": 0.0, "accelerate": "yes",
        **TRAINING_BAD_VALUES,
    },
}
ESTIMATORS = list(BAD_VALUES)


class DataRead(Exception):
    """Raised by :class:`Untouchable` when anything reads it."""


class Untouchable:
    """Data that fails the moment anything looks at it."""

    def __getattr__(self, name):
        raise DataRead(name)

    def __array__(self, *args, **kwargs):
        raise DataRead("__array__")

    def __len__(self):
        raise DataRead("__len__")


def fit_untouchable(estimator):
    estimator.fit(Untouchable(), None if isinstance(
        estimator, TagEmbeddingTransformer) else Untouchable())


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_every_parameter_is_in_the_table(Estimator):
    assert set(Estimator().get_params()) == set(Estimator._parameter_table)
    assert set(BAD_VALUES[Estimator]) == set(Estimator._parameter_table)


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_defaults_satisfy_the_table(Estimator):
    validate_params(Estimator().get_params(), Estimator._parameter_table)


@pytest.mark.parametrize(("Estimator", "name", "value"), [
    (Estimator, name, value)
    for Estimator, values in BAD_VALUES.items() for name, value in values.items()
], ids=lambda v: v.__name__ if isinstance(v, type) else str(v))
def test_bad_value_is_rejected_before_any_data_is_read(Estimator, name, value):
    estimator = Estimator(**{name: value})
    with pytest.raises(InvalidParameterError, match=rf"^{name}=") as error:
        fit_untouchable(estimator)
    assert repr(value) in str(error.value)
    assert isinstance(error.value, ValueError)
    assert isinstance(error.value, TypeError)
    assert isinstance(error.value, InputError)


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_untouchable_data_is_read_with_valid_parameters(Estimator):
    # The positive control: without a bad value, fit goes on to the data.
    with pytest.raises(DataRead):
        fit_untouchable(Estimator())


@pytest.mark.parametrize(("make", "match"), [
    (lambda: TimeXerRegressor(lookback=10, patch_len=3), "divisible by patch_len"),
    (lambda: TimeXerRegressor(d_model=10, n_heads=3), "divisible by n_heads"),
    (lambda: TagEmbeddingTransformer("multihead", embedding_dim=6, n_heads=4),
     "divisible by n_heads"),
    (lambda: TagEmbeddingTransformer("hierarchical", hierarchy=None),
     "needs hierarchy"),
    (lambda: TimeXerRegressor(tag_embedding="sum"), "needs feature_tags"),
    (lambda: TimeXerRegressor(feature_tags=pd.DataFrame({"t": [1]}, index=["a"]),
                              tag_embedding=TagEmbeddingTransformer(
                                  pooling="max")),
     r"tag_embedding__pooling='max' is invalid"),
    (lambda: TimeXerRegressor(feature_tags=pd.DataFrame({"t": [1]}, index=["a"]),
                              tag_embedding=TagEmbeddingTransformer(
                                  "multihead", embedding_dim=6, n_heads=4)),
     r"tag_embedding__embedding_dim=6 must be divisible by "
     r"tag_embedding__n_heads=4"),
], ids=["patch", "heads", "multihead", "hierarchy", "tags", "pooling",
        "nested-heads"])
def test_combinations_are_checked_before_any_data_is_read(make, match):
    with pytest.raises(InputError, match=match):
        fit_untouchable(make())


def test_tag_option_table_covers_the_options_of_every_method():
    read = {name for method in METHODS for name in method_options(method)}
    assert read == set(TAG_OPTION_PARAMETERS)


def test_the_transformer_defaults_are_the_method_table_defaults():
    # The forecaster reads its method options from a transformer, so one set
    # of names and defaults serves both.
    params = TagEmbeddingTransformer().get_params()
    assert {name: params[name] for name in OPTION_DEFAULTS} == OPTION_DEFAULTS


@pytest.mark.parametrize(("constraint", "good", "bad"), [
    (BOOLEAN, [True, False, np.bool_(True)], [1, 0, "True", None]),
    (Options("auto", None), ["auto", None], ["Auto", 0, False]),
    (POSITIVE_INT, [1, np.int64(7)], [0, True, 1.0, "1", -3]),
    (FRACTION, [0, 0.0, 0.5, np.float32(0.99)],
     [1, 1.0, -0.1, float("nan"), True]),
    (Interval("real", 0, None, closed="neither"), [1e-9, 5],
     [0, float("inf"), float("nan")]),
], ids=["bool", "options", "positive-int", "fraction", "positive-real"])
def test_constraints_accept_exactly_their_values(constraint, good, bad):
    assert all(constraint.accepts(value) for value in good)
    assert not any(constraint.accepts(value) for value in bad)


# -- values accepted that cannot act ------------------------------------------------

TAGS = pd.DataFrame({"price": [1, 0, 1], "volume": [0, 1, 1]}, dtype=bool)
SMALL_TRANSFORMER = {"embedding_dim": 4, "max_epochs": 2, "random_state": 0}
REQUIRED = {"hierarchical": {"hierarchy": "infer"},
            "pretrained": {"pretrained": np.ones((2, 4))}}


@pytest.mark.parametrize("method", METHODS)
def test_transformer_defaults_never_warn(method):
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredParameterWarning)
        TagEmbeddingTransformer(method, **SMALL_TRANSFORMER,
                                **REQUIRED.get(method, {})).fit(TAGS)
        TagEmbeddingTransformer(method, max_epochs=0, random_state=0,
                                embedding_dim=4, **REQUIRED.get(method, {})
                                ).fit(TAGS, [0.0, 1.0, 2.0])


def test_an_invalid_option_of_another_method_is_an_error():
    with pytest.raises(InvalidParameterError, match="pooling='bogus'"):
        TagEmbeddingTransformer(method="linear", pooling="bogus").fit(TAGS)


@pytest.mark.parametrize(("method", "option", "value", "readers"), [
    ("attention", "pooling", "mean", "'sum'"),
    ("sum", "n_heads", 2, "'multihead'"),
    ("linear", "hidden_dim", 8, "'mlp' and 'attention'"),
    ("sum", "dropout", 0.5, "'mlp'"),
    ("sum", "hierarchy", {"price": ["volume"]}, "'hierarchical'"),
    ("sum", "handle_missing", "zeros", "'pretrained'"),
    ("mlp", "pretrained", np.ones((2, 4)), "'pretrained'"),
])
def test_option_of_another_method_warns_and_changes_nothing(method, option, value,
                                                           readers):
    with pytest.warns(IgnoredParameterWarning,
                      match=rf"^{option}=.* is ignored: method='{method}' does "
                            rf"not read it, only {readers}\.$"):
        given = TagEmbeddingTransformer(method, **SMALL_TRANSFORMER,
                                        **{option: value}).fit(TAGS)
    default = TagEmbeddingTransformer(method, **SMALL_TRANSFORMER).fit(TAGS)
    np.testing.assert_array_equal(given.transform(TAGS), default.transform(TAGS))


def test_reconstruction_objective_warns_that_y_is_ignored():
    with pytest.warns(IgnoredParameterWarning, match="y is ignored"):
        with_y = TagEmbeddingTransformer(objective="reconstruction",
                                         **SMALL_TRANSFORMER).fit(TAGS, [0, 1, 2])
    without = TagEmbeddingTransformer(objective="reconstruction",
                                      **SMALL_TRANSFORMER).fit(TAGS)
    np.testing.assert_array_equal(with_y.transform(TAGS), without.transform(TAGS))
    assert with_y.objective_ == "reconstruction"


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_training_options_without_training_warn(Estimator):
    estimator = Estimator(max_epochs=0, lr=0.5, batch_size=7)
    with pytest.warns(IgnoredParameterWarning) as record:
        with pytest.raises(DataRead):
            fit_untouchable(estimator)
    assert [str(w.message) for w in record] == [
        "lr=0.5 is ignored: max_epochs=0 trains nothing.",
        "batch_size=7 is ignored: max_epochs=0 trains nothing.",
    ]


@pytest.mark.parametrize("Estimator", ESTIMATORS, ids=lambda e: e.__name__)
def test_patience_without_validation_warns(Estimator):
    with pytest.warns(IgnoredParameterWarning,
                      match="patience=9 is ignored: validation_fraction=0"):
        with pytest.raises(DataRead):
            fit_untouchable(Estimator(patience=9, validation_fraction=0.0))
    with warnings.catch_warnings():  # off, or with a validation set: silent
        warnings.simplefilter("error", IgnoredParameterWarning)
        for params in ({"patience": 0, "validation_fraction": 0.0},
                       {"patience": 9, "validation_fraction": 0.2}):
            with pytest.raises(DataRead):
                fit_untouchable(Estimator(**params))


def series_frame(n_rows=60):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=["x0", "x1", "target"])
    return X, X["target"].shift(-1).ffill().to_numpy()


SMALL_FORECASTER = {"lookback": 4, "patch_len": 2, "d_model": 8, "n_heads": 2,
                    "d_ff": 8, "max_epochs": 1, "random_state": 0}
FEATURE_TAGS = pd.DataFrame({"price": [True, False], "volume": [False, True]},
                            index=["x0", "x1"])


def test_forecaster_defaults_never_warn():
    X, y = series_frame()
    with warnings.catch_warnings():
        warnings.simplefilter("error", IgnoredParameterWarning)
        TimeXerRegressor(**SMALL_FORECASTER).fit(X, y)
        TimeXerRegressor(**SMALL_FORECASTER, feature_tags=FEATURE_TAGS).fit(X, y)
        TimeXerRegressor(**SMALL_FORECASTER, feature_tags=FEATURE_TAGS,
                         tag_embedding=None).fit(X, y)


@pytest.mark.parametrize(("params", "message"), [
    ({"tag_combine": "concat"}, "tag_combine='concat' is ignored: there are no "
                                "feature_tags or series_tags to embed."),
    ({"feature_tags": FEATURE_TAGS, "tag_embedding": None,
      "tag_combine": "concat"},
     "tag_combine='concat' is ignored: tag_embedding=None embeds no tags."),
    ({"patience": 5}, "patience=5 is ignored: validation_fraction=0 holds out "
                      "nothing to stop early on."),
], ids=["combine", "combine-none", "patience"])
def test_forecaster_option_that_cannot_act_warns_and_changes_nothing(params,
                                                                     message):
    X, y = series_frame()
    with pytest.warns(IgnoredParameterWarning) as record:
        given = TimeXerRegressor(**SMALL_FORECASTER, **params).fit(X, y)
    assert [str(w.message) for w in record
            if w.category is IgnoredParameterWarning] == [message]
    baseline = {key: value for key, value in params.items()
                if key in ("feature_tags", "tag_embedding")}
    plain = TimeXerRegressor(**SMALL_FORECASTER, **baseline).fit(X, y)
    np.testing.assert_array_equal(given.predict(X), plain.predict(X))
