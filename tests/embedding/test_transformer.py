"""Behaviour of TagEmbeddingTransformer through its public API."""

import itertools
import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from scipy.optimize import nnls
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

from sktagembed import TagEmbeddingTransformer
from sktagembed.nn import METHODS

N_TAGS = 6


def random_tags(n_rows=60, n_tags=N_TAGS, seed=0, density=0.4):
    rng = np.random.default_rng(seed)
    values = rng.random((n_rows, n_tags)) < density
    values[0] = False  # a row with no tag
    values[1] = True  # a row with every tag
    values[2] = False
    values[2, 1] = True  # a row with one tag
    return pd.DataFrame(values, columns=[f"t{i}" for i in range(n_tags)])


def method_params(method):
    if method == "hierarchical":
        return {"hierarchy": {"t0": ["t1", "t2"], "t1": ["t3"]}}
    if method == "pretrained":
        rng = np.random.default_rng(1)
        table = pd.DataFrame(
            rng.normal(size=(N_TAGS, 8)), index=[f"t{i}" for i in range(N_TAGS)]
        )
        return {"pretrained": table}
    return {}


def make(method, **params):
    params = {"embedding_dim": 8, "max_epochs": 3, "random_state": 0, **params}
    return TagEmbeddingTransformer(method, **{**method_params(method), **params})


@pytest.mark.parametrize("method", METHODS)
def test_transform_shape_names_and_dtype(method):
    X = random_tags()
    emb = make(method).fit(X)
    out = emb.transform(X)
    n_out = 16 if method in ("interaction", "bilinear") else 8
    assert out.shape == (len(X), n_out)
    assert out.dtype == np.float32
    assert np.isfinite(out).all()
    names = list(emb.get_feature_names_out())
    expected = [f"embed_{i}" for i in range(8)]
    if n_out == 16:
        expected += [f"pair_{i}" for i in range(8)]
    assert names == expected
    assert list(emb.embeddings_.index) == list(X.columns)
    assert list(emb.embeddings_.columns) == expected


@pytest.mark.parametrize("method", METHODS)
def test_embeddings_are_the_transform_of_each_tag_alone(method):
    X = random_tags()
    emb = make(method).fit(X)
    single = pd.DataFrame(np.eye(N_TAGS, dtype=bool), columns=X.columns)
    np.testing.assert_allclose(
        emb.transform(single), emb.embeddings_.to_numpy(), rtol=1e-6, atol=1e-6
    )


@pytest.mark.parametrize("method", ["sum", "pretrained"])
def test_sum_and_pretrained_are_exactly_linear_in_x(method):
    X = random_tags(n_rows=40, seed=3)
    emb = make(method).fit(X)
    expected = X.to_numpy(np.float64) @ emb.embeddings_.to_numpy(np.float64)
    np.testing.assert_allclose(emb.transform(X), expected, rtol=1e-5, atol=1e-5)


def test_frozen_pretrained_table_is_returned_unchanged_after_training():
    X = random_tags()
    params = method_params("pretrained")
    emb = make("pretrained", max_epochs=5).fit(X, np.arange(len(X), dtype=float))
    np.testing.assert_allclose(
        emb.embeddings_.to_numpy(), params["pretrained"].to_numpy(), rtol=1e-6
    )


def test_pretrained_dataframe_is_aligned_by_name():
    X = random_tags()
    table = method_params("pretrained")["pretrained"]
    shuffled = table.iloc[::-1]
    emb = make("pretrained", pretrained=shuffled, max_epochs=0).fit(X)
    np.testing.assert_allclose(emb.embeddings_.to_numpy(), table.to_numpy(),
                               rtol=1e-6)


def test_interaction_second_half_is_the_pairwise_product_sum():
    X = random_tags(seed=5)
    emb = make("interaction").fit(X)
    table = emb.embeddings_.to_numpy()[:, :8]
    out = emb.transform(X)
    for row, active in zip(out, X.to_numpy(), strict=True):
        idx = np.flatnonzero(active)
        pairs = sum(
            (table[j] * table[k] for j, k in itertools.combinations(idx, 2)),
            np.zeros(8),
        )
        np.testing.assert_allclose(row[:8], table[idx].sum(axis=0), atol=1e-5)
        np.testing.assert_allclose(row[8:], pairs, atol=1e-5)


def test_attention_output_lies_in_the_convex_hull_of_active_tags():
    X = random_tags(seed=7)
    emb = make("attention", max_epochs=5).fit(X, np.arange(len(X), dtype=float))
    table = emb.embeddings_.to_numpy().astype(np.float64)
    out = emb.transform(X).astype(np.float64)
    for row, active in zip(out, X.to_numpy(), strict=True):
        idx = np.flatnonzero(active)
        if len(idx) == 0:
            np.testing.assert_array_equal(row, 0.0)
            continue
        # Non-negative weights summing to one that rebuild the row.
        system = np.vstack([table[idx].T, 1e3 * np.ones(len(idx))])
        weights, residual = nnls(system, np.append(row, 1e3))
        assert residual < 1e-3, (idx, residual)
        assert abs(weights.sum() - 1) < 1e-4


def test_supervised_embedding_supports_a_linear_model():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((600, 8)) < 0.35,
                     columns=[f"t{i}" for i in range(8)])
    effects = rng.normal(size=8)
    interaction = 1.5 * (X["t0"] & X["t1"])
    y = X.to_numpy(float) @ effects + interaction
    emb = TagEmbeddingTransformer(
        "mlp", embedding_dim=8, max_epochs=60, lr=0.01, random_state=0
    ).fit(X.iloc[:400], y[:400])
    train, test = emb.transform(X.iloc[:400]), emb.transform(X.iloc[400:])
    model = LinearRegression().fit(train, y[:400])
    assert r2_score(y[400:], model.predict(test)) > 0.9


def test_classification_target_is_detected():
    X = random_tags(n_rows=80)
    y = np.where(X["t0"], "yes", "no")
    emb = make("sum").fit(X, y)
    assert emb.objective_ == "classification"
    assert emb.net_.module_.head.out_features == 2


def reconstruction_auc(emb, X) -> float:
    """AUC of the training head's tag scores, read from the embeddings,
    against the rows' real tags."""
    from sklearn.metrics import roc_auc_score

    with torch.no_grad():
        logits = emb.net_.module_.head(
            torch.tensor(emb.transform(X), dtype=torch.float32)).numpy()
    return roc_auc_score(X.to_numpy().ravel(), logits.ravel())


def test_unsupervised_fit_reconstructs_tags():
    X = random_tags(n_rows=80)
    emb = make("sum", max_epochs=30, lr=0.05).fit(X)
    assert emb.objective_ == "reconstruction"
    assert emb.net_.module_.head.out_features == N_TAGS
    # Each row's tag set comes back from its embedding (chance: 0.5) ...
    assert reconstruction_auc(emb, X) > 0.95
    # ... which the seeded, untrained embedding and head do not give.
    assert reconstruction_auc(make("sum", max_epochs=0).fit(X), X) < 0.65


def test_same_random_state_gives_identical_embeddings():
    X = random_tags()
    y = np.arange(len(X), dtype=float)
    first = make("attention", random_state=3).fit(X, y).embeddings_
    second = make("attention", random_state=3).fit(X, y).embeddings_
    other = make("attention", random_state=4).fit(X, y).embeddings_
    pd.testing.assert_frame_equal(first, second)
    assert not np.allclose(first, other)


def test_max_epochs_zero_keeps_the_seeded_initialisation():
    X = random_tags()
    y = np.arange(len(X), dtype=float)
    untrained = make("sum", max_epochs=0).fit(X, y)
    again = make("sum", max_epochs=0).fit(X)
    trained = make("sum", max_epochs=5).fit(X, y)
    pd.testing.assert_frame_equal(untrained.embeddings_, again.embeddings_)
    assert not np.allclose(untrained.embeddings_, trained.embeddings_)
    assert len(untrained.net_.history) == 0


def test_fitting_does_not_change_the_global_torch_rng():
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    make("mlp").fit(random_tags())
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_set_output_pandas():
    X = random_tags()
    emb = make("interaction").set_output(transform="pandas").fit(X)
    out = emb.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(emb.get_feature_names_out())
    assert out.index.equals(X.index)


def test_sparse_input_equals_dense_input():
    X = random_tags(n_rows=50)
    emb = make("multihead").fit(X.to_numpy(np.float32))
    dense = emb.transform(X.to_numpy(np.float32))
    sparse = emb.transform(sp.csr_matrix(X.to_numpy(np.float32)))
    np.testing.assert_allclose(dense, sparse, rtol=1e-5, atol=1e-6)


def test_categorical_columns_become_tags():
    frame = pd.DataFrame(
        {
            "SensorType": ["Temperature", "Pressure", "Humidity", "Pressure"],
            "Location": ["North", "South", "East", "North"],
            "Unit": ["Metric", "Imperial", "Metric", "Metric"],
        }
    )
    emb = make("sum", max_epochs=0).fit(frame)
    assert len(emb.tag_names_) == 8
    assert "SensorType=Temperature" in emb.tag_names_
    table = emb.embeddings_
    expected = (
        table.loc["SensorType=Pressure"]
        + table.loc["Location=South"]
        + table.loc["Unit=Imperial"]
    )
    np.testing.assert_allclose(emb.transform(frame)[1], expected, rtol=1e-6)


def test_unknown_category_is_ignored_or_rejected():
    frame = pd.DataFrame({"kind": ["a", "b", "a"], "unit": ["x", "x", "y"]})
    new = pd.DataFrame({"kind": ["c"], "unit": ["x"]})
    emb = make("sum", max_epochs=0).fit(frame)
    np.testing.assert_allclose(
        emb.transform(new)[0], emb.embeddings_.loc["unit=x"], rtol=1e-6
    )
    strict = make("sum", max_epochs=0, handle_unknown="error").fit(frame)
    with pytest.raises(ValueError, match="c"):
        strict.transform(new)


@pytest.mark.parametrize(
    "bad, match",
    [
        (pd.DataFrame({"t0": [1, 2], "t1": [0, 1]}), "t0"),
        (pd.DataFrame({"t0": [1.0, np.nan], "t1": [0, 1]}), "t0"),
    ],
)
def test_bad_tag_values_name_the_column(bad, match):
    with pytest.raises(ValueError, match=match):
        make("sum").fit(bad)


def test_transform_with_different_columns_is_rejected():
    emb = make("sum", max_epochs=0).fit(random_tags())
    other = random_tags().rename(columns={"t3": "zzz"})
    with pytest.raises(ValueError, match="zzz"):
        emb.transform(other)


def test_invalid_parameters_are_rejected_at_fit():
    X = random_tags()
    with pytest.raises(ValueError, match="'sum', 'linear'"):
        TagEmbeddingTransformer("nope").fit(X)
    with pytest.raises(ValueError, match="pretrained"):
        TagEmbeddingTransformer("pretrained").fit(X)
    with pytest.raises(ValueError, match="n_heads"):
        TagEmbeddingTransformer("multihead", embedding_dim=6, n_heads=4).fit(X)


def test_failed_fit_leaves_estimator_unfitted():
    emb = make("sum")
    with pytest.raises(ValueError):
        emb.fit(random_tags(), np.arange(5))  # wrong length
    with pytest.raises(NotFittedError):
        check_is_fitted(emb)


def test_failed_refit_keeps_the_previous_fitted_state():
    X = random_tags()
    emb = make("sum").fit(X)
    before = emb.embeddings_.copy()
    with pytest.raises(ValueError):
        emb.fit(X.replace({True: 2}).astype(int))
    pd.testing.assert_frame_equal(emb.embeddings_, before)
    np.testing.assert_allclose(emb.transform(X), X.to_numpy(float) @ before,
                               rtol=1e-5, atol=1e-5)


def test_interrupted_fit_leaves_estimator_unfitted(monkeypatch):
    from sktagembed.embedding import _training as _tag_training

    calls = {"n": 0}
    original = _tag_training.EmbeddingWithHead.forward

    def interrupt_on_third_batch(self, tags):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return original(self, tags)

    monkeypatch.setattr(_tag_training.EmbeddingWithHead, "forward",
                        interrupt_on_third_batch)
    emb = make("sum", batch_size=8, max_epochs=5)
    with pytest.raises(KeyboardInterrupt):
        emb.fit(random_tags())
    with pytest.raises(NotFittedError):
        check_is_fitted(emb)


@pytest.mark.parametrize("method", METHODS)
def test_clone_and_params_round_trip(method):
    emb = make(method, n_heads=2, hidden_dim=7, verbose=0)
    params = emb.get_params()
    cloned = clone(emb)
    assert cloned.get_params().keys() == params.keys()
    for key, value in params.items():
        other = cloned.get_params()[key]
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(other, value)
        else:
            assert other == value, key
    cloned.set_params(embedding_dim=4, n_heads=4)
    assert cloned.embedding_dim == 4 and emb.embedding_dim == 8


def feature_frame(n_rows=120, seed=0):
    rng = np.random.default_rng(seed)
    tags = random_tags(n_rows=n_rows, seed=seed)
    frame = tags.assign(
        size=rng.normal(size=n_rows), price=rng.normal(loc=100, size=n_rows)
    )
    effects = rng.normal(size=N_TAGS)
    y = tags.to_numpy(float) @ effects + 0.3 * frame["size"]
    return frame, y


def tag_pipeline(method="sum"):
    columns = ColumnTransformer(
        [
            ("tags", make(method), [f"t{i}" for i in range(N_TAGS)]),
            ("numeric", StandardScaler(), ["size", "price"]),
        ]
    )
    return Pipeline([("features", columns), ("model", Ridge(alpha=1e-3))])


def test_grid_search_over_all_methods_ranks_them():
    X, y = feature_frame()
    # hierarchical and pretrained read their extra parameters from the grid.
    grid = [
        {"features__tags__method": [m for m in METHODS
                                    if m not in ("hierarchical", "pretrained")]},
        {"features__tags__method": ["hierarchical"],
         "features__tags__hierarchy": ["infer"]},
        {"features__tags__method": ["pretrained"],
         "features__tags__pretrained": [method_params("pretrained")["pretrained"]]},
    ]
    search = GridSearchCV(tag_pipeline(), grid, cv=KFold(3),
                          error_score="raise").fit(X, y)
    results = pd.DataFrame(search.cv_results_).set_index(
        "param_features__tags__method")
    assert sorted(results.index) == sorted(METHODS)
    # Ranks follow the mean scores, and the scores tell the methods apart.
    by_score = results["mean_test_score"].rank(ascending=False, method="min")
    np.testing.assert_array_equal(results["rank_test_score"], by_score)
    # y is a sum of per-tag effects: a bag of tags (sum) explains it, while
    # attention pooling (a weighted mean of the active tags) cannot.
    assert results.loc["sum", "mean_test_score"] > 0.99
    assert results.loc["attention", "mean_test_score"] < 0.9
    assert results.loc["attention", "rank_test_score"] > results.loc[
        "sum", "rank_test_score"]
    assert search.best_params_["features__tags__method"] in results.index[
        results["rank_test_score"] == 1]


@pytest.mark.parametrize("method", ["sum", "attention", "interaction"])
def test_joblib_round_trip_of_fitted_pipeline_is_bit_identical(method, tmp_path):
    X, y = feature_frame()
    pipe = tag_pipeline(method).fit(X, y)
    path = tmp_path / "pipe.joblib"
    joblib.dump(pipe, path)
    loaded = joblib.load(path)  # loading a pickle runs code: trusted files only
    before = pipe[:-1].transform(X)
    after = loaded[:-1].transform(X)
    np.testing.assert_array_equal(before, after)
    np.testing.assert_array_equal(pipe.predict(X), loaded.predict(X))


def test_cuda_fitted_transformer_loads_on_cpu_only_machine():
    import torch

    if torch.cuda.is_available():
        pytest.skip("checks the mapping done on machines without CUDA")
    X = random_tags()
    emb = make("attention").fit(X)
    expected = emb.transform(X)
    # Pretend the net was trained on CUDA: skorch then maps it back to the
    # CPU when unpickled on a machine without CUDA.
    emb.net_.device = "cuda"
    with pytest.warns(UserWarning, match="CUDA"):
        loaded = pickle.loads(pickle.dumps(emb))
    assert str(loaded.net_.device) == "cpu"
    np.testing.assert_array_equal(loaded.transform(X), expected)


def test_feature_table_gets_embedding_columns_appended():
    # The seed's job: a feature table (name + boolean tags) in, the same table
    # with embed_* columns out.
    rng = np.random.default_rng(0)
    tags = pd.DataFrame(rng.random((30, 17)) < 0.15,
                        columns=[f"tag_{i}" for i in range(17)])
    table = pd.concat(
        [pd.Series([f"feature_{i:02d}" for i in range(30)], name="feature"), tags],
        axis=1,
    )
    emb = TagEmbeddingTransformer("sum", embedding_dim=4, random_state=0)
    emb.set_output(transform="pandas")
    embedded = emb.fit_transform(table[tags.columns])
    result = pd.concat([table, embedded], axis=1)
    assert list(result.columns) == list(table.columns) + [
        f"embed_{i}" for i in range(4)
    ]
    pd.testing.assert_frame_equal(result[table.columns], table)
    np.testing.assert_allclose(
        result[embedded.columns].to_numpy(),
        tags.to_numpy(float) @ emb.embeddings_.to_numpy(),
        rtol=1e-5, atol=1e-6,
    )


def test_verbose_prints_skorch_epoch_table(capsys):
    make("sum", verbose=1, max_epochs=2).fit(random_tags())
    out = capsys.readouterr().out
    assert "epoch" in out and "train_loss" in out
    make("sum", verbose=0, max_epochs=2).fit(random_tags())
    assert capsys.readouterr().out == ""


def test_early_stopping_uses_a_held_out_fraction():
    X = random_tags(n_rows=200)
    noise = np.random.default_rng(0).normal(size=200)  # nothing to learn
    emb = make("mlp", max_epochs=200, patience=2, lr=0.05,
               validation_fraction=0.2).fit(X, noise)
    history = emb.net_.history
    assert "valid_loss" in history[-1]
    assert len(history) < 200  # stopped early
    n_valid = history[-1, "batches", -1, "valid_batch_size"]
    assert n_valid == 40


def test_label_list_column_inside_a_column_transformer():
    # MultiLabelBinarizer cannot sit in a ColumnTransformer; this can.
    frame = pd.DataFrame(
        {
            "labels": [["price", "volume"], ["price"], [], ["volume", "risk"]] * 10,
            "size": np.arange(40, dtype=float),
        }
    )
    columns = ColumnTransformer(
        [("tags", make("sum", max_epochs=0), "labels"), ("num", "passthrough",
                                                          ["size"])]
    )
    out = columns.fit_transform(frame)
    emb = columns.named_transformers_["tags"]
    assert emb.tag_names_ == ["price", "risk", "volume"]
    table = emb.embeddings_
    np.testing.assert_allclose(out[0, :8], table.loc["price"] + table.loc["volume"],
                               rtol=1e-6)
    np.testing.assert_array_equal(out[2, :8], 0.0)
    np.testing.assert_array_equal(out[:, 8], frame["size"])


def test_delimited_strings_are_split_into_labels():
    frame = pd.DataFrame({"tags": ["a|b", "b", "", "c | a"]})
    emb = make("sum", max_epochs=0, separator="|").fit(frame)
    assert emb.tag_names_ == ["a", "b", "c"]
    table = emb.embeddings_
    np.testing.assert_allclose(emb.transform(frame)[3],
                               table.loc["a"] + table.loc["c"], rtol=1e-6)


def test_multi_output_regression_target():
    X = random_tags(n_rows=80)
    y = np.column_stack([X["t0"] * 2.0, X["t1"].astype(float) - X["t2"]])
    emb = make("linear").fit(X, y)
    assert emb.objective_ == "regression"
    assert emb.net_.module_.head.out_features == 2


def test_device_auto_resolves_to_an_available_device():
    import torch

    emb = make("sum", device="auto").fit(random_tags())
    assert emb.device_ == ("cuda" if torch.cuda.is_available() else "cpu")
