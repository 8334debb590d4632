"""Matplotlib figures: tag-embedding maps, method comparisons, forecasts.

Each function returns the :class:`matplotlib.figure.Figure` it drew on (a new
one, or the one of ``ax`` when given). matplotlib is an optional dependency:
``pip install sktagembed[plot]``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._utils.optional import import_optional

EMBEDDING_MAPS = ("pca", "tsne")


def _pyplot():
    return import_optional("matplotlib.pyplot", "Plotting")


def _figure_and_axes(ax, figsize):
    if ax is not None:
        return ax.figure, ax
    fig, ax = _pyplot().subplots(figsize=figsize)
    return fig, ax


def embedding_map(embeddings: pd.DataFrame, method: str = "pca",
                  random_state=None) -> pd.DataFrame:
    """Two-dimensional coordinates of each tag's embedding.

    Parameters
    ----------
    embeddings : DataFrame of shape (n_tags, n_dims)
        One row per tag, indexed by tag name.
    method : {"pca", "tsne"}, default="pca"
        Projection to two dimensions.
    random_state : int or None
        Seed of t-SNE.

    Returns
    -------
    DataFrame with columns ``x`` and ``y``, indexed like ``embeddings``.
    """
    if method not in EMBEDDING_MAPS:
        raise ValueError(f"method must be one of {EMBEDDING_MAPS}, got {method!r}.")
    if len(embeddings) < 2:
        raise ValueError(
            f"A map needs at least 2 tags, got {len(embeddings)}."
        )
    values = np.asarray(embeddings, dtype=np.float64)
    if method == "pca":
        from sklearn.decomposition import PCA

        n_components = min(2, values.shape[1])
        coords = PCA(n_components=n_components).fit_transform(values)
        if n_components == 1:
            coords = np.column_stack([coords, np.zeros(len(coords))])
    else:
        from sklearn.manifold import TSNE

        perplexity = min(30.0, len(values) - 1.0)
        coords = TSNE(n_components=2, perplexity=perplexity, init="pca",
                      random_state=random_state).fit_transform(values)
    return pd.DataFrame(coords, index=embeddings.index, columns=["x", "y"])


def plot_tag_embeddings(transformer, method: str = "pca", *, ax=None,
                        annotate: bool = True, random_state=None):
    """Map the tag embeddings to 2-D (PCA or t-SNE) and plot them.

    Parameters
    ----------
    transformer : TagEmbeddingTransformer or DataFrame
        A fitted transformer (its ``embeddings_`` are used) or a table of
        embeddings, one row per tag.
    method : {"pca", "tsne"}, default="pca"
        Projection to two dimensions.
    ax : matplotlib Axes, optional
        Axes to draw on; None draws a new figure.
    annotate : bool, default=True
        Write each tag's name next to its point.
    random_state : int or None
        Seed of t-SNE.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sktagembed import TagEmbeddingTransformer
    >>> from sktagembed.plotting import plot_tag_embeddings
    >>> tags = pd.DataFrame({"a": [1, 0, 1], "b": [0, 1, 1], "c": [1, 1, 0]},
    ...                     dtype=bool)
    >>> emb = TagEmbeddingTransformer(max_epochs=0, random_state=0).fit(tags)
    >>> fig = plot_tag_embeddings(emb)
    >>> len(fig.axes[0].texts)
    3
    """
    embeddings = (transformer if isinstance(transformer, pd.DataFrame)
                  else transformer.embeddings_)
    coords = embedding_map(embeddings, method, random_state)
    fig, ax = _figure_and_axes(ax, (6, 5))
    ax.scatter(coords["x"], coords["y"])
    if annotate:
        for name, (x, y) in coords.iterrows():
            ax.annotate(str(name), (x, y), textcoords="offset points",
                        xytext=(4, 4), fontsize=8)
    label = "PCA" if method == "pca" else "t-SNE"
    ax.set_xlabel(f"{label} 1")
    ax.set_ylabel(f"{label} 2")
    ax.set_title(f"Tag embeddings ({label})")
    return fig


def comparison_table(cv_results, param: str | None = None,
                     higher_is_better: bool = True) -> pd.DataFrame:
    """Mean and standard deviation of the test score per searched value.

    ``cv_results`` is a ``GridSearchCV.cv_results_`` dict (or DataFrame), or a
    DataFrame with columns ``name``, ``mean`` and ``std``. Rows come sorted
    best first.
    """
    frame = pd.DataFrame(cv_results)
    if {"name", "mean", "std"} <= set(frame.columns):
        table = frame[["name", "mean", "std"]]
    else:
        if param is None:
            varying = [c for c in frame.columns if c.startswith("param_")
                       and frame[c].astype(str).nunique() > 1]
            if len(varying) != 1:
                raise ValueError(
                    "Cannot tell which searched parameter to compare: name it "
                    f"with param= (candidates: {varying or 'none'})."
                )
            param = varying[0]
        if param not in frame.columns:
            raise ValueError(f"{param!r} is not a column of cv_results.")
        table = pd.DataFrame({
            "name": frame[param].astype(str),
            "mean": frame["mean_test_score"],
            "std": frame["std_test_score"],
        })
    return table.sort_values("mean", ascending=not higher_is_better).reset_index(
        drop=True)


def plot_method_comparison(cv_results, *, param: str | None = None, ax=None,
                           score_label: str = "mean test score",
                           higher_is_better: bool = True):
    """Horizontal bars of the test score (mean +/- std) per method, best on top.

    Parameters
    ----------
    cv_results : dict or DataFrame
        ``GridSearchCV.cv_results_``, or a DataFrame with columns ``name``,
        ``mean`` and ``std``.
    param : str, optional
        The ``param_*`` column to compare; found automatically when exactly
        one searched parameter varies.
    ax : matplotlib Axes, optional
        Axes to draw on; None draws a new figure.
    score_label : str
        Label of the score axis.
    higher_is_better : bool, default=True
        False for errors such as the MSE: the lowest bar is then the best.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.
    """
    table = comparison_table(cv_results, param, higher_is_better)
    fig, ax = _figure_and_axes(ax, (7, 0.45 * len(table) + 1.5))
    positions = np.arange(len(table))[::-1]  # best at the top
    ax.barh(positions, table["mean"], xerr=table["std"], capsize=3,
            color="tab:blue", alpha=0.8)
    ax.set_yticks(positions, table["name"])
    ax.set_xlabel(score_label)
    ax.set_title("Method comparison")
    fig.tight_layout()
    return fig


def plot_forecast(y_true, y_pred, *, index=None, step: int = 0, ax=None,
                  title: str | None = None, max_points: int | None = None):
    """Actual against predicted values.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n,) or (n, horizon)
        For 2-D input the ``step``-th column (forecast step) is drawn.
    index : array-like of shape (n,), optional
        Values of the x axis (e.g. timestamps).
    step : int, default=0
        Forecast step (column of 2-D input) to draw.
    ax : matplotlib Axes, optional
        Axes to draw on; None draws a new figure.
    title : str, optional
        Title of the plot.
    max_points : int, optional
        Draw only the last ``max_points`` points.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.
    """
    true = _one_step(y_true, step, "y_true")
    pred = _one_step(y_pred, step, "y_pred")
    if len(true) != len(pred):
        raise ValueError(
            f"y_true has {len(true)} values but y_pred has {len(pred)}."
        )
    x = np.arange(len(true)) if index is None else np.asarray(index)
    if len(x) != len(true):
        raise ValueError(f"index has {len(x)} values but y has {len(true)}.")
    if max_points is not None:
        x, true, pred = x[-max_points:], true[-max_points:], pred[-max_points:]
    fig, ax = _figure_and_axes(ax, (9, 4))
    ax.plot(x, true, label="actual", color="black", linewidth=1)
    ax.plot(x, pred, label="forecast", color="tab:orange", linewidth=1)
    ax.legend()
    ax.set_title(title or "Forecast against actual")
    if np.issubdtype(np.asarray(x).dtype, np.datetime64):
        fig.autofmt_xdate()
    return fig


def plot_future(history, forecast: pd.DataFrame, *, series=None, ax=None,
                title: str | None = None, history_points: int | None = 336):
    """The end of a series' history, its forecast and the forecast interval.

    Parameters
    ----------
    history : Series
        The target's past values, indexed by time (or step).
    forecast : DataFrame
        A table from :meth:`TimeXerRegressor.forecast`: ``timestamp`` (or
        ``step``), ``prediction`` and quantile columns; the band spans the
        lowest and highest quantile levels.
    series : object, optional
        For a panel's table, the series to draw (its id column is the first
        column).
    ax : matplotlib Axes, optional
        Axes to draw on; None draws a new figure.
    title : str, optional
        Title of the plot.
    history_points : int or None, default=336
        Draw only the last points of the history.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sktagembed.plotting import plot_future
    >>> history = pd.Series([1.0, 2.0, 1.5], index=pd.RangeIndex(3))
    >>> table = pd.DataFrame({"step": [1, 2], "prediction": [1.6, 1.7],
    ...                       "0.1": [1.2, 1.1], "0.9": [2.0, 2.3]})
    >>> len(plot_future(history, table).axes[0].collections)  # the band
    1
    """
    if series is not None:
        forecast = forecast[forecast.iloc[:, 0] == series]
    x = (forecast["timestamp"] if "timestamp" in forecast
         else _after(history.index, forecast["step"]))
    levels = sorted((float(c), c) for c in forecast.columns if _is_level(c))
    if history_points is not None:
        history = history.iloc[-history_points:]
    fig, ax = _figure_and_axes(ax, (9, 4))
    ax.plot(history.index, history.to_numpy(), color="black", linewidth=1,
            label="history")
    ax.plot(x, forecast["prediction"], color="tab:orange", linewidth=1.5,
            label="forecast")
    if len(levels) >= 2:
        (low, low_name), (high, high_name) = levels[0], levels[-1]
        ax.fill_between(x, forecast[low_name], forecast[high_name],
                        color="tab:orange", alpha=0.25,
                        label=f"{low:.0%}-{high:.0%} interval")
    ax.legend()
    ax.set_title(title or "Forecast")
    if np.issubdtype(np.asarray(x).dtype, np.datetime64):
        fig.autofmt_xdate()
    return fig


def plot_tag_importance(importance: pd.DataFrame, *, top: int | None = 20,
                        ax=None, title: str | None = None):
    """Draw each tag's importance as a bar (with its spread), and its attention.

    Parameters
    ----------
    importance : DataFrame
        From :meth:`TimeXerRegressor.tag_importance`: indexed by tag, with
        ``importance``, ``importance_std`` and ``attention``.
    top : int or None, default=20
        Draw the ``top`` most important tags (and the least important one,
        so that a negative control shows).
    ax : matplotlib Axes, optional
        Axes for the importance bars; the attention goes on a twin axis.
    title : str, optional
        Title of the plot.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from sktagembed.plotting import plot_tag_importance
    >>> table = pd.DataFrame({"importance": [0.2, 0.05, -0.01],
    ...                       "importance_std": [0.02, 0.01, 0.01],
    ...                       "attention": [0.3, 0.2, 0.1]},
    ...                      index=["kind=temperature", "location=kitchen",
    ...                             "kind=random"])
    >>> len(plot_tag_importance(table).axes[0].patches)
    3
    """
    table = importance.sort_values("importance", ascending=False)
    if top is not None and len(table) > top:
        table = pd.concat([table.iloc[:top - 1], table.iloc[-1:]])
    fig, ax = _figure_and_axes(ax, (8, 0.35 * len(table) + 1.5))
    positions = np.arange(len(table))[::-1]
    ax.barh(positions, 100 * table["importance"],
            xerr=100 * table["importance_std"], capsize=2, color="tab:blue",
            alpha=0.8, label="error growth without the tag")
    ax.set_yticks(positions, [str(name) for name in table.index])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("MSE growth when the tag is removed (%)")
    if "attention" in table:
        twin = ax.twiny()
        twin.plot(table["attention"], positions, "o", color="tab:orange",
                  label="mean cross-attention")
        twin.set_xlabel("mean cross-attention weight of its variables",
                        color="tab:orange")
    ax.set_title(title or "Which tags matter", pad=30)
    fig.tight_layout()
    return fig


def plot_variable_embeddings(model, tags: pd.DataFrame,
                             by: tuple[str, ...] = ("kind", "location"), *,
                             method: str = "pca", random_state=None):
    """Map each tagged variable's learned embedding to 2-D, coloured by tag.

    A variable's embedding is the tag embedding of its tag row (what joins
    its variate token); the map is a PCA or t-SNE of those of every tagged
    variable, one panel per column of ``tags`` named in ``by``.

    Parameters
    ----------
    model : TimeXerRegressor
        Fitted with ``feature_tags``.
    tags : DataFrame
        Categorical tag table indexed by variable (the ``feature_tags``).
    by : tuple of str, default=("kind", "location")
        Columns of ``tags`` to colour by, one panel each.
    method : {"pca", "tsne"}, default="pca"
        Projection to two dimensions.
    random_state : int or None
        Seed of t-SNE.

    Returns
    -------
    matplotlib.figure.Figure
        The figure drawn on.
    """
    embeddings = model.variable_embeddings_
    coords = embedding_map(embeddings, method, random_state)
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(by), figsize=(6 * len(by), 5), squeeze=False)
    for ax, column in zip(axes[0], by, strict=True):
        labels = tags.reindex(coords.index)[column].astype(str)
        names = sorted(labels.unique())
        # Past ten labels the default cycle repeats colours: twenty colours,
        # then a new marker for each further twenty.
        colours = plt.get_cmap("tab10" if len(names) <= 10 else "tab20")
        for number, label in enumerate(names):
            at = labels == label
            ax.scatter(coords.loc[at, "x"], coords.loc[at, "y"], label=label,
                       color=colours(number % colours.N),
                       marker="os^Dv<>p"[number // colours.N % 8])
        for name, (x, y) in coords.iterrows():
            ax.annotate(str(name), (x, y), textcoords="offset points",
                        xytext=(3, 3), fontsize=7)
        ax.set_title(f"Variable embeddings by {column} ({method})")
        ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig


def _after(index: pd.Index, steps: pd.Series):
    """Where ``steps`` after the end of ``index`` fall: step positions for
    a plain index, times for a DatetimeIndex (its frequency, else its most
    common step)."""
    if not isinstance(index, pd.DatetimeIndex):
        return index[-1] + steps
    step = index.freq
    if step is None and len(index) >= 2:
        gaps = pd.Series(np.diff(index.to_numpy()))
        step = pd.Timedelta(gaps.mode().iloc[0])
    if step is None:
        raise ValueError("plot_future needs a forecast with timestamps, or a "
                         "history of two timestamps or more.")
    return pd.DatetimeIndex([index[-1] + int(k) * step for k in steps])


def _is_level(name) -> bool:
    try:
        return 0 < float(name) < 1
    except (TypeError, ValueError):
        return False


def _one_step(values, step: int, name: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 2:
        if not 0 <= step < array.shape[1]:
            raise ValueError(
                f"step={step} is out of range for {name} with {array.shape[1]} "
                "steps."
            )
        array = array[:, step]
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D or 2-D, got shape {array.shape}.")
    return array
