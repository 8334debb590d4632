"""Panels and messy data: series tags, time gaps, pipelines, large vocabularies,
targets that are not the endogenous series, sample weights."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sktagembed import (
    TagEmbeddingTransformer,
    TimeXerRegressor,
    fill_time_gaps,
    make_forecast_frame,
)
from sktagembed.forecasting._tag_tables import SeriesTagTable, unique_row_share

SMALL = {"lookback": 8, "patch_len": 4, "d_model": 16, "n_heads": 2, "d_ff": 16,
         "max_epochs": 2, "batch_size": 32, "random_state": 0}


def panel(n_series=4, n_steps=60, seed=0):
    """Hourly series whose level depends on their kind."""
    rng = np.random.default_rng(seed)
    frames = []
    for s in range(n_series):
        index = pd.date_range("2024-01-01", periods=n_steps, freq="h")
        kind = "up" if s % 2 else "down"
        level = (5.0 if kind == "up" else -5.0) + np.sin(np.arange(n_steps) / 3)
        frames.append(pd.DataFrame({"symbol": f"s{s}", "x": rng.normal(size=n_steps),
                                    "y": level + 0.1 * rng.normal(size=n_steps)},
                                   index=index))
    tags = pd.DataFrame({"kind": ["up" if s % 2 else "down"
                                  for s in range(n_series)]},
                        index=[f"s{s}" for s in range(n_series)])
    return pd.concat(frames), tags


# -- series tags ----------------------------------------------------------------


@pytest.mark.parametrize("combine", ["add", "concat"])
def test_series_tags_join_the_model_and_every_series_needs_a_row(combine):
    data, tags = panel()
    X, y = make_forecast_frame(data, "y", 2, group_column="symbol")
    model = TimeXerRegressor(**SMALL, group_column="symbol", series_tags=tags,
                             tag_combine=combine).fit(X, y)
    assert model.series_tag_names_ == ["kind=down", "kind=up"]
    assert model.net_.module_.series_tags.combine == combine
    assert np.isfinite(model.predict(X)).all()
    with pytest.raises(ValueError, match=r"no row for the series \['s3'\]"):
        TimeXerRegressor(**SMALL, group_column="symbol",
                         series_tags=tags.iloc[:3]).fit(X, y)
    unseen = X.assign(symbol=X["symbol"].replace("s0", "s9"))
    with pytest.raises(ValueError, match=r"\['s9'\]"):
        model.predict(unseen)


def test_a_series_unseen_in_training_is_forecast_from_its_tags():
    data, tags = panel(n_series=6)
    tags.loc["new"] = ["up"]
    X, y = make_forecast_frame(data, "y", 2, group_column="symbol")
    model = TimeXerRegressor(**{**SMALL, "max_epochs": 3}, group_column="symbol",
                             series_tags=tags).fit(X, y)
    newcomer = data[data["symbol"] == "s1"].assign(symbol="new")
    table = model.forecast(newcomer)
    assert table["symbol"].unique().tolist() == ["new"]
    assert np.isfinite(table["prediction"]).all()


def test_series_tag_dropout_auto_drops_tags_that_identify_their_series():
    data, tags = panel(n_series=4)
    X, y = make_forecast_frame(data, "y", 2, group_column="symbol")

    def fitted(tags, **params):
        return TimeXerRegressor(**{**SMALL, "max_epochs": 1}, group_column="symbol",
                                series_tags=tags, **params).fit(X, y)

    # Two series of each kind: no tag row is one series' alone.
    assert fitted(tags).series_tag_dropout_ == 0.0
    # Three series share a row, one has its own: a quarter are identified.
    skewed = tags.assign(kind=["down", "down", "down", "up"])
    assert fitted(skewed).series_tag_dropout_ == pytest.approx(0.5 * 0.25)
    # A row per series, as an id: the tags say nothing an id would not.
    own = tags.assign(room=["a", "b", "c", "d"])
    assert fitted(own).series_tag_dropout_ == 0.5
    assert fitted(own, series_tag_dropout=0.2).series_tag_dropout_ == 0.2
    assert fitted(own).net_.module_.series_tag_dropout == 0.5
    plain = TimeXerRegressor(**{**SMALL, "max_epochs": 1},
                             group_column="symbol").fit(X, y)
    assert plain.series_tag_dropout_ is None


@pytest.mark.parametrize("sparse", [False, True])
def test_unique_row_share_counts_the_series_with_a_tag_row_of_their_own(sparse):
    matrix = np.array([[1.0, 0, 1], [1.0, 0, 1], [0, 1.0, 0], [0, 0.5, 0],
                       [0, 0, 0]])
    table = SeriesTagTable(["a", "b", "c"],
                           sp.csr_matrix(matrix) if sparse else matrix,
                           pd.Index(["s0", "s1", "s2", "s3", "s4"]))
    labels = np.array(["s0", "s1", "s2", "s3", "s4"], dtype=object)
    assert unique_row_share(table, labels) == pytest.approx(3 / 5)
    # Only the series given count: s1 alone no longer shares s0's row.
    assert unique_row_share(table, labels[1:]) == 1.0


def test_series_tags_need_series_ids():
    data, tags = panel(n_series=1)
    X, y = make_forecast_frame(data.drop(columns="symbol"), "y", 2)
    with pytest.raises(ValueError, match="groups or group_column"):
        TimeXerRegressor(**SMALL, series_tags=tags).fit(X, y)


# -- foot-guns ------------------------------------------------------------------


def test_the_id_column_of_make_forecast_frame_is_not_read_as_a_feature():
    data, _ = panel()
    data["symbol"] = data["symbol"].str[1:].astype(int)  # numeric ids
    X, y = make_forecast_frame(data, "y", 2, group_column="symbol")
    with pytest.raises(ValueError, match="pass group_column='symbol'"):
        TimeXerRegressor(**SMALL).fit(X, y)
    TimeXerRegressor(**SMALL, group_column="symbol").fit(X, y)


def test_column_transformer_prefixes_are_matched_to_tags_and_parameters():
    data, _ = panel(n_series=1)
    data = data.drop(columns="symbol").assign(z=np.arange(60.0))
    X, y = make_forecast_frame(data, "y", 2)
    feature_tags = pd.DataFrame({"kind": ["noise", "trend"]}, index=["x", "z"])
    scale = ColumnTransformer([("num", StandardScaler(), ["x", "z"]),
                               ("keep", "passthrough", ["y"])])
    scale.set_output(transform="pandas")
    pipe = Pipeline([("scale", scale), ("model", TimeXerRegressor(
        **SMALL, feature_tags=feature_tags, future_covariates=["z"],
        endogenous="y"))]).fit(X, y)
    model = pipe[-1]
    assert model.exogenous_columns_ == ["num__x"]
    assert model.future_columns_ == ["num__z"]
    assert model.endogenous_columns_ == ["keep__y"]
    assert model.tag_names_ == ["kind=noise", "kind=trend"]


def test_skipped_or_repeated_timestamps_are_named_and_fill_time_gaps_fixes_them():
    data, _ = panel(n_series=2)
    gappy = data.drop(index=data.index[10])  # the 11th hour of both series
    X, y = make_forecast_frame(gappy, "y", 2, group_column="symbol")
    with pytest.raises(ValueError, match=r"series 's0' skips from "
                                         r"2024-01-01 09:00:00 to 2024-01-01 11:00"):
        TimeXerRegressor(**SMALL, group_column="symbol").fit(X, y)
    repeated = pd.concat([data.iloc[:5], data.iloc[4:60]])
    X, y = make_forecast_frame(repeated, "y", 2)
    with pytest.raises(ValueError, match="repeats the timestamp 2024-01-01 04:00"):
        TimeXerRegressor(**SMALL).fit(X.drop(columns="symbol"), y)
    filled = fill_time_gaps(gappy, group_column="symbol")
    assert len(filled) == len(data)
    assert filled["y"].isna().sum() == 2 and (filled["symbol"].notna()).all()
    X, y = make_forecast_frame(filled, "y", 2, group_column="symbol")
    assert len(X) == len(filled) - 2 * 2  # only the series' last rows go
    assert y.isna().any(axis=1).sum() == 2 * 2  # the rows before each hole
    model = TimeXerRegressor(**SMALL, group_column="symbol").fit(X, y)
    assert np.isfinite(model.predict(X)).all()


def test_large_tag_vocabularies_stay_sparse():
    # 100,000 tags, a handful per variable and per series, given as label
    # lists: the tag matrices stay sparse and the modules read bags.
    rng = np.random.default_rng(0)
    n_tags = 100_000
    data, _ = panel(n_series=3)
    for column in ("a", "b", "c"):
        data[column] = rng.normal(size=len(data))
    X, y = make_forecast_frame(data, "y", 2, group_column="symbol")

    def label_lists(names, per_row):
        labels = [[f"t{i}" for i in rng.choice(n_tags, per_row, replace=False)]
                  for _ in names]
        labels[0] += [f"t{i}" for i in range(n_tags)]  # the whole vocabulary
        return pd.DataFrame({"tags": labels}, index=names)

    model = TimeXerRegressor(**SMALL, group_column="symbol",
                             feature_tags=label_lists(["x", "a", "b", "c"], 5),
                             series_tags=label_lists(["s0", "s1", "s2"], 4),
                             tag_embedding="attention")
    model.fit(X, y)
    assert sp.issparse(model.layout_.tag_matrix)
    assert model.layout_.tag_matrix.shape == (4, n_tags)
    assert len(model.tag_embeddings_) == n_tags
    assert np.isfinite(model.predict(X)).all()


# -- what y is --------------------------------------------------------------------


def test_a_target_that_is_not_the_endogenous_future_comes_out_in_its_units():
    rng = np.random.default_rng(0)
    n_rows = 600
    feature = rng.normal(size=n_rows)
    # A "responder" in its own units, driven by a feature, beside an
    # endogenous series of another scale.
    df = pd.DataFrame({"feature": feature, "other": 100 + 50 * rng.normal(size=n_rows)})
    y = 0.01 * np.r_[feature[1:], 0.0] + 0.001 * rng.normal(size=n_rows)
    model = TimeXerRegressor(**{**SMALL, "max_epochs": 5}).fit(df, y)
    assert model.target_scaling_ == "series"
    forced = TimeXerRegressor(**{**SMALL, "max_epochs": 5},
                              target_scaling="window").fit(df, y)
    error = np.mean((model.predict(df) - y) ** 2)
    forced_error = np.mean((forced.predict(df) - y) ** 2)
    assert error < 0.01 * forced_error  # window statistics of 'other' mislead


# -- sample weights of the transformer ----------------------------------------------


@pytest.mark.parametrize("target", ["regression", "classification", None])
def test_transformer_zero_weights_equal_dropping_the_rows(target):
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"colour": rng.choice(["red", "green", "blue"], 60),
                      "size": rng.choice(["s", "m"], 60)})
    X.loc[:4, "colour"] = "violet"  # a category only the dropped rows hold
    y = None if target is None else (
        rng.normal(size=60) if target == "regression" else rng.integers(0, 2, 60))
    weight = np.ones(60)
    weight[:10] = 0
    params = {"method": "attention", "embedding_dim": 4, "max_epochs": 3,
              "random_state": 0}
    weighted = TagEmbeddingTransformer(**params).fit(X, y, sample_weight=weight)
    dropped = TagEmbeddingTransformer(**params).fit(
        X.iloc[10:], None if y is None else y[10:])
    np.testing.assert_allclose(weighted.transform(X), dropped.transform(X),
                               rtol=1e-5, atol=1e-6)
    assert weighted.tag_names_ == dropped.tag_names_
    assert "colour=violet" not in weighted.tag_names_


@pytest.mark.parametrize("target", ["regression", "classification", None])
def test_transformer_weight_two_equals_a_repeated_row(target):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((80, 5)) < 0.4, columns=list("abcde"))
    y = {"regression": X.to_numpy(float) @ rng.normal(size=5),
         "classification": rng.integers(0, 2, 80), None: None}[target]
    doubled = rng.random(80) < 0.3
    # One batch, no validation split and no dropout: training sees the same
    # loss either way, so only the order of a sum can differ.
    params = {"method": "sum", "embedding_dim": 3, "max_epochs": 10, "lr": 0.05,
              "batch_size": 256, "validation_fraction": 0.0, "random_state": 0}
    weighted = TagEmbeddingTransformer(**params).fit(
        X, y, sample_weight=np.where(doubled, 2.0, 1.0)).transform(X)
    repeated = TagEmbeddingTransformer(**params).fit(
        pd.concat([X, X[doubled]]),
        None if y is None else np.r_[y, y[doubled]]).transform(X)
    np.testing.assert_allclose(weighted, repeated, rtol=1e-5, atol=1e-6)
    # A positive control: the weights do change what is learned.
    plain = TagEmbeddingTransformer(**params).fit(X, y).transform(X)
    assert np.abs(weighted - plain).max() > 100 * np.abs(weighted - repeated).max()
