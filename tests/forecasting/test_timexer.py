"""TimeXerRegressor through its public API."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor, make_forecast_frame
from sktagembed._utils.training import BatchLoader
from sktagembed.exceptions import IgnoredParameterWarning
from sktagembed.forecasting._forecast_frame import calendar_features

SMALL = {"lookback": 8, "patch_len": 4, "d_model": 8, "n_heads": 2, "d_ff": 16,
         "max_epochs": 2, "batch_size": 16, "random_state": 0}


def series_frame(n_rows=120, n_exog=3, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, n_exog + 1)),
                     columns=[f"x{i}" for i in range(n_exog)] + ["target"])
    y = X["x0"].shift(1).fillna(0.0) + 0.1 * rng.normal(size=n_rows)
    return X, y.to_numpy()


def test_predict_gives_one_finite_row_per_input_row():
    X, y = series_frame()
    model = TimeXerRegressor(**SMALL).fit(X, y)
    pred = model.predict(X)
    assert pred.shape == (len(X),)
    assert np.isfinite(pred).all()
    assert model.exogenous_columns_ == ["x0", "x1", "x2"]
    assert model.endogenous_columns_ == ["target"]


def test_linear_skip_learns_a_lagged_linear_relation_the_paper_model_misses():
    # The target follows an exogenous column three steps later: its next
    # value is one weight of the skip on that column's window.
    rng = np.random.default_rng(0)
    driver = rng.normal(size=400)
    X = pd.DataFrame({"driver": driver, "noise": rng.normal(size=400),
                      "target": np.r_[np.zeros(3), driver[:-3]]})
    y = np.r_[X["target"].to_numpy()[1:], 0.0]
    errors = {}
    for skip in (False, True):
        model = TimeXerRegressor(**{**SMALL, "lookback": 16, "max_epochs": 10,
                                    "lr": 1e-2},
                                 linear_skip=skip).fit(X[:-1], y[:-1])
        assert any("skip" in name for name, _ in
                   model.net_.module_.named_parameters()) == skip
        errors[skip] = np.mean((model.predict(X)[16:-1] - y[16:-1]) ** 2)
    assert errors[True] < 0.5 * errors[False], errors


def test_the_skips_level_part_standardises_with_the_training_columns_statistics():
    X, y = series_frame()
    X = X.assign(x1=X["x1"] * 50.0 + 1000.0, target=X["target"] * 3.0 - 7.0)
    X.loc[[3, 40], "x2"] = np.nan
    X["x3"] = 5.0  # no spread: scale 1
    X = X[["x0", "x1", "x2", "x3", "target"]]
    model = TimeXerRegressor(**{**SMALL, "max_epochs": 1},
                             future_covariates=["x0"]).fit(X, y)
    module = model.net_.module_
    # Endogenous, exogenous, then future columns; missing values left out.
    order = ["target", "x1", "x2", "x3", "x0"]
    np.testing.assert_allclose(module.level_location.numpy(),
                               X[order].mean().to_numpy(), rtol=1e-5)
    expected_scale = X[order].std(ddof=0).to_numpy().copy()
    expected_scale[order.index("x3")] = 1.0
    np.testing.assert_allclose(module.level_scale.numpy(), expected_scale,
                               rtol=1e-5)
    # Saved with the model: a copy forecasts the same.
    copy = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(copy.net_.module_.level_scale.numpy(),
                               expected_scale, rtol=1e-5)
    np.testing.assert_allclose(copy.predict(X), model.predict(X))


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, True),
        ({"feature_tags": "tags"}, True),
        ({"feature_tags": "tags", "tag_embedding": None}, True),
        ({"feature_tags": "tags", "linear_skip": False}, False),
        ({"linear_skip": False}, False),
    ],
)
def test_linear_skip_auto_is_on_with_or_without_tags(params, expected):
    X, y = series_frame()
    if params.get("feature_tags") == "tags":
        params = {**params, "feature_tags": exogenous_tags()}
    model = TimeXerRegressor(**{**SMALL, "max_epochs": 1}, **params).fit(X, y)
    assert model.linear_skip_ is expected
    assert model.net_.module_.linear_skip is expected
    assert model.get_params()["linear_skip"] == params.get("linear_skip", "auto")


def test_linear_skip_tags_reads_the_exogenous_columns_through_their_tags():
    X, y = series_frame()
    model = TimeXerRegressor(**{**SMALL, "max_epochs": 1}, linear_skip="tags",
                             feature_tags=exogenous_tags()).fit(X, y)
    module = model.net_.module_
    assert model.linear_skip_ is True and not module.skip_variable_weights
    # Only the calendar would keep weights of its own; this X has none.
    assert module.skip_shared.in_features == 0
    assert module.skip_level_shared.in_features == 0
    with pytest.warns(IgnoredParameterWarning, match="linear_skip='tags'"):
        plain = TimeXerRegressor(**{**SMALL, "max_epochs": 1},
                                 linear_skip="tags").fit(X, y)
    assert plain.net_.module_.skip_variable_weights
    assert plain.net_.module_.skip_shared.in_features == 8 * 3


def test_multi_step_target():
    X, _ = series_frame()
    X2, y2 = make_forecast_frame(X, "target", horizon=4)
    model = TimeXerRegressor(**SMALL).fit(X2, y2)
    assert model.predict(X2).shape == (len(X2), 4)
    assert model.net_.module_.horizon == 4


def test_same_random_state_is_deterministic():
    X, y = series_frame()
    first = TimeXerRegressor(**SMALL).fit(X, y).predict(X)
    second = TimeXerRegressor(**SMALL).fit(X, y).predict(X)
    other = TimeXerRegressor(**{**SMALL, "random_state": 1}).fit(X, y).predict(X)
    np.testing.assert_array_equal(first, second)
    assert not np.allclose(first, other)


def learning_rates_of_each_step(monkeypatch, **params):
    """Fit, recording the learning rate at every optimiser step."""
    seen = []
    step = torch.optim.AdamW.step

    def recording_step(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return step(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.AdamW, "step", recording_step)
    X, y = series_frame()
    TimeXerRegressor(**{**SMALL, **params}).fit(X, y)
    return np.array(seen)


def test_halving_schedule_is_the_reference_timexers(monkeypatch):
    lr, n_epochs = 1e-2, 5
    seen = learning_rates_of_each_step(monkeypatch, lr=lr, max_epochs=n_epochs,
                                       lr_schedule="halving")
    # The reference's loop: train an epoch, then adjust_learning_rate(epoch + 1)
    # with lradj "type1", which sets lr * 0.5 ** (epoch + 1 - 1).
    expected, current = [], lr
    for epoch in range(n_epochs):
        expected.append(current)
        current = lr * 0.5 ** epoch
    steps = len(seen) // n_epochs
    np.testing.assert_allclose(seen, np.repeat(expected, steps))


def test_weight_decay_shrinks_every_parameter_decoupled_from_the_gradient():
    # One step at a constant rate: AdamW's update is Adam's plus -lr * wd * p,
    # so two fits apart only in weight_decay differ by exactly that.
    X, y = series_frame()
    lr, decay = 1e-2, 3.0
    one_step = {**SMALL, "max_epochs": 1, "batch_size": 256, "lr": lr,
                "lr_schedule": "halving"}

    def parameters(**params):
        model = TimeXerRegressor(**{**one_step, **params}).fit(X, y)
        return dict(model.net_.module_.named_parameters())

    with pytest.warns(IgnoredParameterWarning, match="max_epochs=0 trains nothing"):
        start = parameters(max_epochs=0)
    plain = parameters()
    decayed = parameters(weight_decay=decay)
    assert start.keys() == plain.keys() == decayed.keys()
    for name, initial in start.items():
        torch.testing.assert_close(decayed[name] - plain[name],
                                   -lr * decay * initial, rtol=1e-4,
                                   atol=1e-6, msg=name)
    assert not all(torch.equal(plain[n], start[n]) for n in start)


def test_cosine_schedule_warms_up_then_decays_to_zero(monkeypatch):
    lr = 1e-2
    seen = learning_rates_of_each_step(monkeypatch, lr=lr, max_epochs=4,
                                       lr_schedule="cosine")
    total = len(seen)
    warmup = int(np.ceil(0.05 * total))
    assert warmup >= 1
    np.testing.assert_allclose(seen[:warmup], lr * np.arange(1, warmup + 1) / warmup)
    progress = np.arange(total - warmup) / (total - warmup)
    np.testing.assert_allclose(seen[warmup:], lr * 0.5 * (1 + np.cos(np.pi * progress)))


def test_steps_per_epoch_caps_the_optimiser_steps_and_the_schedule(monkeypatch):
    # series_frame: 113 windows of lookback 8, i.e. 8 batches of 16 an epoch.
    lr, n_epochs, steps = 1e-2, 3, 3
    seen = learning_rates_of_each_step(monkeypatch, lr=lr, max_epochs=n_epochs,
                                       steps_per_epoch=steps)
    assert len(seen) == n_epochs * steps
    # The cosine schedule runs to its end over the capped steps.
    total = n_epochs * steps
    assert seen[-1] == pytest.approx(lr * 0.5 * (1 + np.cos(np.pi * (total - 2)
                                                            / (total - 1))))


def test_steps_per_epoch_draws_a_fresh_subset_of_windows_each_epoch():
    loader = BatchLoader(_Items(100), batch_size=10, shuffle=True, max_batches=3)
    torch.manual_seed(0)
    epochs = [torch.cat([batch for batch, _ in loader]) for _ in range(4)]
    for items in epochs:
        assert len(items) == 30 and len(set(items.tolist())) == 30
    assert len(set(torch.cat(epochs).tolist())) > 30
    assert len(BatchLoader(_Items(100), batch_size=10, max_batches=30)) == 10


class _Items:
    """A dataset whose batch is the item indices themselves."""

    def __init__(self, n_items):
        self.n_items = n_items

    def __len__(self):
        return self.n_items

    def batch(self, items):
        return items, items


def test_steps_per_epoch_auto_leaves_a_short_series_untouched():
    X, y = series_frame()
    auto = TimeXerRegressor(**SMALL).fit(X, y).predict(X)
    every = TimeXerRegressor(**SMALL, steps_per_epoch=None).fit(X, y).predict(X)
    np.testing.assert_array_equal(auto, every)


def test_panel_by_groups_and_by_group_column_agree():
    X, y = series_frame(n_rows=90)
    groups = np.repeat(["a", "b", "c"], 30)
    by_groups = TimeXerRegressor(**SMALL).fit(X, y, groups=groups)
    with_column = X.assign(series=groups)
    by_column = TimeXerRegressor(**SMALL, group_column="series").fit(with_column, y)
    np.testing.assert_allclose(by_groups.predict(X, groups=groups),
                               by_column.predict(with_column), rtol=1e-6)


# -- tags -----------------------------------------------------------------------


def tagged_panel(n_series, n_steps=64, n_vars=6, seed=0, group_seed=0):
    """The target at row t is the mean of the group-A variables at t.

    Variables are iid and group A is a random half of the columns, so nothing
    but the tags tells group A from group B: neither the series' statistics
    nor the column positions for TimeXer's cross-attention, which treats
    exogenous tokens as an unordered set (the linear skip does not).
    """
    rng = np.random.default_rng(seed)
    names = [f"v{i}" for i in range(n_vars)]
    shuffled = np.random.default_rng(group_seed).permutation(names)
    group_a = sorted(shuffled[: n_vars // 2])
    X = pd.DataFrame(rng.normal(size=(n_series * n_steps, n_vars)), columns=names)
    y = X[group_a].mean(axis=1).to_numpy()
    X["target"] = np.r_[0.0, y[:-1]]  # the past target is the endogenous series
    groups = np.repeat(np.arange(n_series), n_steps)
    tags = pd.DataFrame({"group": ["A" if n in group_a else "B" for n in names]},
                        index=names)
    return X, y, groups, tags


def test_tag_aware_timexer_beats_plain_timexer_when_tags_carry_identity():
    X, y, groups, tags = tagged_panel(n_series=10)
    X_test, y_test, groups_test, _ = tagged_panel(n_series=4, seed=1)
    # With feature_tags given, linear_skip="auto" leaves the skip out of both.
    # The claim is about the squared error, so the squared-error model.
    params = {**SMALL, "max_epochs": 10, "lr": 1e-2, "d_model": 16, "patience": 0,
              "feature_tags": tags, "quantiles": None}
    errors = {}
    for method in (None, "sum"):
        model = TimeXerRegressor(**params, tag_embedding=method)
        model.fit(X, y, groups=groups)
        pred = model.predict(X_test, groups=groups_test)
        errors[method] = np.mean((pred - y_test) ** 2)
    assert errors["sum"] <= 0.8 * errors[None], errors


# -- estimator contract -----------------------------------------------------------


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda X, y: (X.assign(x2=np.inf), y), "'x2'.*infinity"),
        (lambda X, y: (X, np.r_[np.inf, y[1:]]), "y contains infinity"),
        (lambda X, y: (X, y, None, -np.ones(len(y))), "non-negative"),
        (lambda X, y: (X.iloc[:5], y[:5]), "lookback=8"),
        (lambda X, y: (X.assign(x0="a"), y), "'x0'.*not numeric"),
        (lambda X, y: (X, y[:10]), "shape"),
    ],
)
def test_bad_input_names_what_is_wrong(change, match):
    X, y = series_frame()
    X, y, *weights = change(X, y)
    model = TimeXerRegressor(**SMALL)
    with pytest.raises(ValueError, match=match):
        model.fit(X, y, sample_weight=weights[-1] if weights else None)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"endogenous": "nope"}, "endogenous='nope'"),
        ({"patch_len": 3}, "divisible"),
        ({"tag_embedding": "sum"}, "feature_tags"),
        ({"tag_embedding": "sum", "feature_tags": pd.DataFrame(
            {"t": [True, False]}, index=["x0", "x1"])}, r"\['x2'\]"),
        ({"tag_embedding": "bogus"}, "bogus"),
        ({"linear_skip": "yes"}, "linear_skip"),
        ({"steps_per_epoch": 0}, "steps_per_epoch"),
        ({"series_tag_dropout": 1.0}, "series_tag_dropout"),
        ({"steps_per_epoch": "all"}, "steps_per_epoch"),
    ],
)
def test_bad_parameters_name_what_is_wrong(params, match):
    X, y = series_frame()
    with pytest.raises(ValueError, match=match):
        TimeXerRegressor(**{**SMALL, **params}).fit(X, y)


def exogenous_tags():
    return pd.DataFrame({"price": [True, False, True], "volume": [False, True, True]},
                        index=["x0", "x1", "x2"])


@pytest.mark.parametrize("method", ["sum", "attention", "interaction", "mlp"])
def test_tag_methods_train_end_to_end(method):
    X, y = series_frame()
    model = TimeXerRegressor(**SMALL, feature_tags=exogenous_tags(),
                             tag_embedding=method).fit(X, y)
    assert model.tag_names_ == ["price", "volume"]
    assert np.isfinite(model.predict(X)).all()
    assert model.net_.module_.tag_embedding is not None


@pytest.mark.parametrize(
    "method, options",
    [
        ("hierarchical", {}),
        ("hierarchical", {"hierarchy": {"price": ["volume"]}}),
        ("pretrained", {"pretrained": pd.DataFrame(
            [[1.0, 0.0, 0.5, 0.5], [0.0, 1.0, 0.5, -0.5]],
            index=["volume", "price"])}),
        ("multihead", {"n_heads": 2}),
    ],
)
def test_tag_options_reach_the_tag_module(method, options):
    X, y = series_frame()
    embedding = TagEmbeddingTransformer(method, embedding_dim=4, **options)
    model = TimeXerRegressor(**SMALL, feature_tags=exogenous_tags(),
                             tag_embedding=embedding).fit(X, y)
    table = model.tag_embeddings_
    assert list(table.index) == ["price", "volume"]
    if method == "pretrained":  # frozen, aligned by name
        np.testing.assert_allclose(table.to_numpy(),
                                   [[0.0, 1.0, 0.5, -0.5], [1.0, 0.0, 0.5, 0.5]])
    if method == "multihead":
        assert model.net_.module_.tag_embedding.n_heads == 2


def test_extra_feature_tag_rows_are_ignored_and_order_follows_x():
    X, y = series_frame()
    table = pd.concat([exogenous_tags(), pd.DataFrame(
        {"price": [True], "volume": [True]}, index=["unused"])]).iloc[::-1]
    model = TimeXerRegressor(**SMALL, feature_tags=table, tag_embedding="sum").fit(
        X, y)
    np.testing.assert_array_equal(model.layout_.tag_matrix,
                                  exogenous_tags().to_numpy(np.float32))


def test_calendar_tokens_from_a_datetime_index():
    X, y = series_frame()
    X.index = pd.date_range("2024-01-01", periods=len(X), freq="h")
    model = TimeXerRegressor(**SMALL, calendar=True).fit(X, y)
    assert model.net_.module_.n_calendar == 4
    assert np.isfinite(model.predict(X)).all()
    with pytest.raises(ValueError, match="DatetimeIndex"):
        TimeXerRegressor(**SMALL, calendar=True).fit(X.reset_index(drop=True), y)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_calendar_auto_follows_the_index_and_predict_needs_the_same_kind():
    X, y = series_frame()
    plain = TimeXerRegressor(**SMALL).fit(X, y)
    assert plain.calendar_ is False
    assert plain.net_.module_.n_calendar == 0
    X.index = pd.date_range("2024-01-01", periods=len(X), freq="h")
    dated = TimeXerRegressor(**SMALL).fit(X, y)
    assert dated.calendar_ is True
    assert dated.net_.module_.n_calendar == 4
    off = TimeXerRegressor(**SMALL, calendar=False).fit(X, y)
    assert off.calendar_ is False
    # The calendar reaches the forecast: moving the timestamps moves it.
    shifted = X.set_axis(X.index + pd.Timedelta(hours=7))
    assert not np.allclose(dated.predict(X), dated.predict(shifted))
    np.testing.assert_array_equal(off.predict(X), off.predict(shifted))
    for bare in (X.reset_index(drop=True), X.to_numpy()):
        with pytest.raises(ValueError, match="calendar tokens.*DatetimeIndex"):
            dated.predict(bare)


@pytest.mark.parametrize("calendar", ["yes", 1, None])
def test_calendar_rejects_other_values(calendar):
    X, y = series_frame()
    with pytest.raises(ValueError, match="calendar="):
        TimeXerRegressor(**SMALL, calendar=calendar).fit(X, y)


def test_calendar_features_are_scaled_like_the_papers_time_features():
    index = pd.DatetimeIndex(["2024-01-01 00:00", "2024-12-31 23:00",
                              "2023-07-05 12:00"])
    expected = [
        [-0.5, -0.5, -0.5, -0.5],  # Monday 1 January, midnight
        [0.5, 1 / 6 - 0.5, 0.5, 0.5],  # Tuesday 31 December (day 366), 23:00
        [12 / 23 - 0.5, 2 / 6 - 0.5, 4 / 30 - 0.5, 185 / 365 - 0.5],
    ]
    np.testing.assert_allclose(calendar_features(index), expected, atol=1e-6)


def test_m_mode_predicts_every_column():
    X, _ = series_frame()
    y = X.shift(-1).ffill().to_numpy()  # next step of each of the 4 columns
    model = TimeXerRegressor(**SMALL, mode="M").fit(X, y)
    assert model.predict(X).shape == (len(X), 4)
    assert model.endogenous_columns_ == list(X.columns)


def test_interrupted_fit_leaves_estimator_unfitted(monkeypatch):
    from sktagembed.nn import TimeXer

    calls = {"n": 0}
    original = TimeXer.forward

    def interrupt(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(TimeXer, "forward", interrupt)
    X, y = series_frame()
    model = TimeXerRegressor(**SMALL)
    with pytest.raises(KeyboardInterrupt):
        model.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(model)


def test_pipeline_after_column_transformer_and_joblib_round_trip(tmp_path):
    X, y = series_frame()
    pipe = Pipeline([
        ("scale", ColumnTransformer([("num", StandardScaler(), list(X.columns))])),
        ("model", TimeXerRegressor(**SMALL)),
    ]).fit(X, y)
    path = tmp_path / "pipe.joblib"
    joblib.dump(pipe, path)
    loaded = joblib.load(path)  # unpickling runs code: trusted files only
    np.testing.assert_array_equal(pipe.predict(X), loaded.predict(X))


def test_grid_search_over_tag_method_with_time_series_split():
    X, y = series_frame(n_rows=160)
    search = GridSearchCV(
        TimeXerRegressor(**SMALL, feature_tags=exogenous_tags()),
        {"tag_embedding": [None, "sum", "attention"]},
        cv=TimeSeriesSplit(2), error_score="raise",
    ).fit(X, y)
    # By hand: each method fitted on each fold, scored by its own score().
    by_hand = []
    for method in [None, "sum", "attention"]:
        scores = []
        for train, test in TimeSeriesSplit(2).split(X):
            model = TimeXerRegressor(**SMALL, feature_tags=exogenous_tags(),
                                     tag_embedding=method)
            model.fit(X.iloc[train], y[train])
            scores.append(model.score(X.iloc[test], y[test]))
        by_hand.append(np.mean(scores))
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], by_hand,
                               rtol=1e-5)
    assert len(set(np.round(by_hand, 6))) == 3  # a ranking without ties
    expected_rank = 1 + np.argsort(np.argsort(-np.array(by_hand)))
    assert search.cv_results_["rank_test_score"].tolist() == expected_rank.tolist()
    assert search.best_params_ == {
        "tag_embedding": [None, "sum", "attention"][int(np.argmax(by_hand))]}


def test_groups_are_routed_through_a_pipeline():
    X, y = series_frame(n_rows=90)
    groups = np.repeat([0, 1, 2], 30)
    with sklearn.config_context(enable_metadata_routing=True):
        model = TimeXerRegressor(**SMALL).set_fit_request(groups=True)
        model.set_predict_request(groups=True)
        pipe = Pipeline([("scale", StandardScaler().set_output(transform="pandas")),
                         ("model", model)])
        pipe.fit(X, y, groups=groups)
        routed = pipe.predict(X, groups=groups)
    direct = TimeXerRegressor(**SMALL).fit(
        StandardScaler().set_output(transform="pandas").fit_transform(X), y,
        groups=groups)
    np.testing.assert_allclose(
        routed,
        direct.predict(StandardScaler().set_output(transform="pandas")
                       .fit_transform(X), groups=groups),
        rtol=1e-5,
    )


def test_cuda_trained_model_loads_on_cpu_only_machine():
    if torch.cuda.is_available():
        pytest.skip("checks the mapping done on machines without CUDA")
    X, y = series_frame()
    model = TimeXerRegressor(**SMALL, feature_tags=exogenous_tags(),
                             tag_embedding="sum").fit(X, y)
    expected = model.predict(X)
    model.net_.device = "cuda"  # as if trained on a GPU
    with pytest.warns(UserWarning):
        loaded = pickle.loads(pickle.dumps(model))
    assert str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.predict(X), expected)


def test_make_forecast_frame_has_no_leakage():
    df = pd.DataFrame({
        "series": np.repeat(["a", "b"], 5),
        "load": np.arange(10.0),
        "price": np.arange(10.0) * 10,
    })
    X, y = make_forecast_frame(df, "price", horizon=2, group_column="series")
    assert list(X.columns) == ["series", "load", "price"]
    assert len(X) == 2 * 3  # the last two rows of each series have no future
    for index, row in X.iterrows():
        future = df[(df["series"] == row["series"]) & (df.index > index)]["price"]
        np.testing.assert_array_equal(y.loc[index].to_numpy(), future.iloc[:2])
    _, last = make_forecast_frame(df, "price", horizon=2, all_steps=False,
                                  group_column="series")
    np.testing.assert_array_equal(last.to_numpy(), y.iloc[:, 1].to_numpy())


# -- options that a mode or method would ignore ----------------------------------


@pytest.mark.parametrize(
    "params, match",
    [
        ({"tag_embedding": TagEmbeddingTransformer("attention"),
          "feature_tags": None}, "needs feature_tags"),
        ({"mode": "M", "endogenous": "x1"}, "no effect in mode='M'"),
    ],
)
def test_options_that_would_be_ignored_are_errors(params, match):
    X, y = series_frame()
    params = {"feature_tags": exogenous_tags(), **params}
    with pytest.raises(ValueError, match=match):
        TimeXerRegressor(**{**SMALL, **params}).fit(X, y)


def test_tag_embedding_options_the_method_does_not_read_warn():
    X, y = series_frame()
    embedding = TagEmbeddingTransformer("attention", pooling="mean")
    with pytest.warns(IgnoredParameterWarning,
                      match="tag_embedding__pooling='mean' is ignored: "
                            "tag_embedding__method='attention' does not read it"
                      ) as record:
        TimeXerRegressor(**SMALL, feature_tags=exogenous_tags(),
                         tag_embedding=embedding).fit(X, y)
    assert record[0].filename == __file__  # the warning points at the caller


def test_series_tag_dropout_without_series_tags_warns():
    X, y = series_frame()
    with pytest.warns(IgnoredParameterWarning,
                      match="series_tag_dropout=0.2 is ignored: no series tags"):
        TimeXerRegressor(**SMALL, feature_tags=exogenous_tags(),
                         series_tag_dropout=0.2).fit(X, y)


def test_tag_embedding_auto_uses_sum_and_none_is_the_plain_baseline():
    X, y = series_frame()
    auto = TimeXerRegressor(**SMALL, feature_tags=exogenous_tags()).fit(X, y)
    assert type(auto.net_.module_.tag_embedding).__name__ == "SumTagEmbedding"
    assert list(auto.tag_embeddings_.index) == ["price", "volume"]
    baseline = TimeXerRegressor(**SMALL, feature_tags=exogenous_tags(),
                                tag_embedding=None).fit(X, y)
    # The baseline is the default model without tags, skip included.
    plain = TimeXerRegressor(**SMALL).fit(X, y)
    assert baseline.net_.module_.tag_embedding is None
    assert baseline.tag_embeddings_ is None
    np.testing.assert_array_equal(baseline.predict(X), plain.predict(X))
