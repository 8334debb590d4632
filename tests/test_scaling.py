"""Method search on a Dask cluster: two worker processes on loopback.

The cluster search must rank the methods exactly as the local search does
on the same seeds, the estimators must travel to the workers and back, and
``device="auto"`` must be resolved by the worker that trains.
"""

import numpy as np
import pandas as pd
import pytest
import torch
from joblib import parallel_config
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline

from sktagembed import TagEmbeddingTransformer, TimeXerRegressor

distributed = pytest.importorskip("distributed")
from sktagembed.scaling import TorchThreads  # noqa: E402

METHODS = ["sum", "linear", "mlp", "attention"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
        local_directory=str(tmp_path_factory.mktemp("dask")),
    )
    with cluster, distributed.Client(cluster) as client:
        client.register_plugin(TorchThreads(1))
        yield client


def tagged_rows(n_rows=120, n_tags=6, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n_rows, n_tags)) < 0.4,
                     columns=[f"tag{i}" for i in range(n_tags)])
    weights = rng.normal(size=n_tags)
    # An interaction term separates the methods that model tag pairs.
    y = X.to_numpy(float) @ weights + 2.0 * (X["tag0"] & X["tag1"])
    return X, y.to_numpy()


def method_search():
    pipeline = make_pipeline(
        TagEmbeddingTransformer(embedding_dim=4, max_epochs=5, batch_size=32,
                                random_state=0),
        Ridge(),
    )
    return GridSearchCV(
        pipeline, {"tagembeddingtransformer__method": METHODS},
        cv=KFold(3), error_score="raise",
    )


def test_workers_get_the_thread_count(client):
    assert set(client.run(torch.get_num_threads).values()) == {1}
    assert len(client.scheduler_info()["workers"]) == 2


def test_cluster_search_ranks_methods_like_local_search(client):
    X, y = tagged_rows()
    local = method_search().fit(X, y)
    with parallel_config(backend="dask"):
        remote = method_search().fit(X, y)

    np.testing.assert_allclose(remote.cv_results_["mean_test_score"],
                               local.cv_results_["mean_test_score"], rtol=1e-5)
    np.testing.assert_array_equal(remote.cv_results_["rank_test_score"],
                                  local.cv_results_["rank_test_score"])
    # The methods do differ, so equal ranks are not a tie.
    assert len(np.unique(np.round(local.cv_results_["mean_test_score"], 4))) > 1
    assert remote.best_params_ == local.best_params_


def test_device_auto_is_resolved_on_the_worker(client, monkeypatch):
    # The client claims a GPU that the workers do not have: a device chosen
    # on the client would send the workers to CUDA and the fit would fail.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "target"])
    y = X["target"].shift(-1).ffill().to_numpy()
    model = TimeXerRegressor(lookback=8, patch_len=4, d_model=8, n_heads=2,
                             d_ff=16, max_epochs=1, device="auto", random_state=0)

    fitted = client.submit(lambda est: est.fit(X, y), model).result()

    assert model.device == "auto"
    assert fitted.device_ == "cpu"
    assert np.isfinite(fitted.predict(X)).all()


@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame")
def test_fitted_transformer_embeds_partitions_on_the_workers(client):
    dd = pytest.importorskip("dask.dataframe")
    X, y = tagged_rows(n_rows=400)
    transformer = TagEmbeddingTransformer(
        "attention", embedding_dim=3, max_epochs=2, random_state=0
    ).set_output(transform="pandas").fit(X, y)
    meta = dict.fromkeys(transformer.get_feature_names_out(), "float32")

    # compute() on the client's cluster: the fitted transformer is pickled
    # into the task graph and runs in the worker processes.
    partitions = dd.from_pandas(X, npartitions=4)
    with distributed.get_task_stream(client) as tasks:
        remote = partitions.map_partitions(transformer.transform,
                                           meta=meta).compute()

    assert {task["worker"] for task in tasks.data} <= set(
        client.scheduler_info()["workers"])
    assert len(tasks.data) >= 4
    pd.testing.assert_frame_equal(remote, transformer.transform(X),
                                  check_exact=False, rtol=1e-6)
