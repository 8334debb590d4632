"""The "Forecasting" page's recipes run as written and give what it says."""

import os

import numpy as np
import pandas as pd
import pytest
from docs_pages import run_page


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """The page run once, from a folder of its own: the namespace and the
    folder."""
    folder = tmp_path_factory.mktemp("forecasting")
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield run_page("forecasting", folder), folder
    finally:
        os.chdir(before)


def test_forecasting_page_runs_and_keeps_its_promises(page):
    namespace, tmp_path = page
    df, forecast = namespace["df"], namespace["forecast"]
    last_known = df["price"].last_valid_index()
    # The page uses the default levels: the nine deciles.
    assert forecast.columns.tolist() == ["timestamp", "step", "prediction",
                                         *(f"0.{k}" for k in range(1, 10))]
    assert forecast["timestamp"].iloc[0] == last_known + pd.Timedelta(hours=1)
    assert len(forecast) == 24
    assert ((forecast["0.1"] <= forecast["prediction"])
            & (forecast["prediction"] <= forecast["0.9"])).all()
    cli = pd.read_csv(tmp_path / "forecast.csv", parse_dates=["timestamp"])
    assert cli["timestamp"].tolist() == forecast["timestamp"].tolist()
    assert namespace["errors"].shape == (3,)


def test_the_long_panel_recipe_forecasts_each_series_after_its_history(page):
    namespace, tmp_path = page
    history, forecast = namespace["history"], namespace["panel_forecast"]
    assert forecast.columns.tolist() == ["unique_id", "ds", "prediction",
                                         *(f"0.{k}" for k in range(1, 10))]
    assert forecast["unique_id"].tolist() == [
        zone for zone in ["north", "south", "west"] for _ in range(24)]
    last = history["ds"].max()
    assert forecast["ds"].tolist() == [last + pd.Timedelta(hours=k)
                                       for _ in range(3) for k in range(1, 25)]
    # Near the data: each zone's level is known, so forecasts stay in range.
    assert forecast["prediction"].between(history["y"].min() - 30,
                                          history["y"].max() + 30).all()
    cli = pd.read_csv(tmp_path / "load_forecast.csv", parse_dates=["timestamp"])
    assert cli["unique_id"].tolist() == forecast["unique_id"].tolist()
    assert cli["timestamp"].tolist() == forecast["ds"].tolist()


def test_the_long_panel_is_cross_validated_by_time(page):
    namespace, _ = page
    history, by_time = namespace["history"], namespace["by_time"]
    # cross_val_score turns a failed fold into NaN with a warning only.
    assert np.isfinite(namespace["fold_scores"]).all()
    assert namespace["fold_scores"].shape == (3,)
    times = sorted(history["ds"].unique())
    for k, (train, test) in enumerate(by_time.split(history)):
        first = times[len(times) - 72 * (3 - k)]
        assert history["ds"].iloc[train].max() < first
        assert history["ds"].iloc[test].min() == times[times.index(first) - 47]
        assert set(history["unique_id"].iloc[test]) == {"north", "south", "west"}


def test_a_fitted_transformer_feeds_the_forecaster_frozen(page):
    namespace, _ = page
    tagged, embedding = namespace["tagged"], namespace["embedding"]
    table = tagged.tag_embeddings_
    assert table.to_numpy().tolist() == (
        embedding.embeddings_.loc[table.index].to_numpy().tolist())
    assert set(namespace["search"].best_params_) == {
        "tag_embedding__method", "tag_embedding__hidden_dim"}
