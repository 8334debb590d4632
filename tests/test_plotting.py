"""Figures of sktagembed.plotting, rendered with the Agg backend."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402

from sktagembed import TagEmbeddingTransformer  # noqa: E402
from sktagembed.plotting import (  # noqa: E402
    embedding_map,
    plot_forecast,
    plot_method_comparison,
    plot_tag_embeddings,
)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def fitted_transformer():
    rng = np.random.default_rng(0)
    tags = pd.DataFrame(rng.random((30, 5)) < 0.4, columns=list("abcde"))
    return TagEmbeddingTransformer(embedding_dim=4, max_epochs=0,
                                   random_state=0).fit(tags)


def test_tag_map_points_are_the_pca_of_the_embeddings():
    emb = fitted_transformer()
    fig = plot_tag_embeddings(emb)
    ax = fig.axes[0]
    points = ax.collections[0].get_offsets()
    expected = PCA(n_components=2).fit_transform(emb.embeddings_.to_numpy())
    np.testing.assert_allclose(points, expected, rtol=1e-5, atol=1e-6)
    assert [t.get_text() for t in ax.texts] == list("abcde")


def test_tsne_map_and_errors():
    emb = fitted_transformer()
    coords = embedding_map(emb.embeddings_, "tsne", random_state=0)
    assert coords.shape == (5, 2) and np.isfinite(coords.to_numpy()).all()
    with pytest.raises(ValueError, match="method"):
        plot_tag_embeddings(emb, method="umap")
    with pytest.raises(ValueError, match="at least 2 tags"):
        plot_tag_embeddings(emb.embeddings_.iloc[:1])


def test_method_comparison_bars_are_sorted_means():
    cv_results = {
        "param_method": ["sum", "mlp", "attention"],
        "param_embedding_dim": [8, 8, 8],
        "mean_test_score": [0.5, 0.9, 0.7],
        "std_test_score": [0.1, 0.05, 0.02],
    }
    fig = plot_method_comparison(cv_results)
    ax = fig.axes[0]
    bars = sorted(ax.patches, key=lambda bar: -bar.get_y())  # top first
    assert [round(bar.get_width(), 6) for bar in bars] == [0.9, 0.7, 0.5]
    ticks = zip(ax.get_yticks(), (t.get_text() for t in ax.get_yticklabels()),
                strict=True)
    assert [label for _, label in sorted(ticks, reverse=True)] == [
        "mlp", "attention", "sum"]


def test_method_comparison_accepts_a_plain_table():
    table = pd.DataFrame({"name": ["a", "b"], "mean": [1.0, 2.0], "std": [0, 0]})
    fig = plot_method_comparison(table)
    assert len(fig.axes[0].patches) == 2
    with pytest.raises(ValueError, match="param="):
        plot_method_comparison({"param_a": [1, 2], "param_b": [3, 4],
                                "mean_test_score": [0, 1],
                                "std_test_score": [0, 0]})


def test_forecast_lines_hold_the_data():
    y_true = np.arange(10.0)
    y_pred = np.column_stack([y_true + 1, y_true + 2])
    fig = plot_forecast(y_true, y_pred, step=1)
    actual, forecast = fig.axes[0].get_lines()
    np.testing.assert_array_equal(actual.get_ydata(), y_true)
    np.testing.assert_array_equal(forecast.get_ydata(), y_true + 2)
    with pytest.raises(ValueError, match="y_pred has 9"):
        plot_forecast(y_true, y_true[:9])


def test_plot_future_places_steps_after_an_irregular_datetime_history():
    # Timestamps without a frequency (a skipped hour) and a forecast table
    # without timestamps: the steps follow the history's most common step.
    from sktagembed.plotting import plot_future

    index = pd.to_datetime(["2024-01-01 00:00", "2024-01-01 01:00",
                            "2024-01-01 03:00", "2024-01-01 04:00"])
    history = pd.Series([1.0, 2.0, np.nan, 3.0], index=index)
    table = pd.DataFrame({"step": [1, 2], "prediction": [3.5, 4.0]})
    fig = plot_future(history, table)
    forecast_line = fig.axes[0].lines[1]
    assert list(pd.DatetimeIndex(forecast_line.get_xdata())) == list(
        pd.to_datetime(["2024-01-01 05:00", "2024-01-01 06:00"]))
    plt.close(fig)
