"""Nothing lost: persistence across versions and devices, interrupted and
failed fits, concurrent inference, and no network at run time.

The property-based tests of bad input are in ``test_fuzz.py``.
"""

import os
import pickle
import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import ThreadPoolExecutor

import joblib
import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted

import sktagembed
from sktagembed import TagEmbeddingTransformer, TimeXerRegressor
from sktagembed._utils.persistence import library_versions
from sktagembed.exceptions import VersionMismatchWarning

SMALL_TIMEXER = {"lookback": 8, "patch_len": 4, "d_model": 8, "n_heads": 2,
                 "d_ff": 16, "max_epochs": 2, "batch_size": 16, "random_state": 0}


def tag_rows(n_rows=80, n_tags=6, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n_rows, n_tags)) < 0.4,
                     columns=[f"t{i}" for i in range(n_tags)])
    return X, X.to_numpy(float) @ rng.normal(size=n_tags)


def series(n_rows=120, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=["x0", "x1", "target"])
    return X, X["x0"].shift(1).fillna(0.0).to_numpy()


def fitted_transformer(**params):
    X, y = tag_rows()
    params = {"method": "attention", "embedding_dim": 4, "max_epochs": 3,
              "random_state": 0, **params}
    return TagEmbeddingTransformer(**params).fit(X, y), X


def fitted_timexer(**params):
    X, y = series()
    feature_tags = pd.DataFrame({"price": [1, 0], "load": [0, 1]},
                                index=["x0", "x1"], dtype=bool)
    model = TimeXerRegressor(**{**SMALL_TIMEXER, "feature_tags": feature_tags,
                                "tag_embedding": "sum", **params})
    return model.fit(X, y), X


def infer(estimator, X):
    if hasattr(estimator, "transform"):
        return estimator.transform(X)
    return estimator.predict(X)


def fitted_state(estimator):
    """Everything fit set, for comparing before and after a failed refit."""
    return {key: value for key, value in vars(estimator).items()
            if key.endswith("_") and not key.startswith("__")}


# -- versions ----------------------------------------------------------------


@pytest.mark.parametrize("make", [fitted_transformer, fitted_timexer])
def test_fit_records_library_versions(make):
    estimator, _ = make()
    assert estimator.fitted_versions_ == library_versions()
    assert estimator.fitted_versions_["sktagembed"] == sktagembed.__version__
    assert estimator.fitted_versions_["torch"] == torch.__version__


@pytest.mark.parametrize("make", [fitted_transformer, fitted_timexer])
def test_loading_under_another_version_warns_with_both(make):
    estimator, X = make()
    expected = infer(estimator, X)
    estimator.fitted_versions_["sktagembed"] = "0.0.1"
    with pytest.warns(VersionMismatchWarning, match="0.0.1") as record:
        loaded = pickle.loads(pickle.dumps(estimator))
    warning = record[0].message
    assert sktagembed.__version__ in str(warning)
    assert (warning.saved_version, warning.current_version) == (
        "0.0.1", sktagembed.__version__)
    np.testing.assert_array_equal(infer(loaded, X), expected)


@pytest.mark.parametrize("make", [fitted_transformer, fitted_timexer])
def test_loading_under_the_same_version_is_silent(make):
    estimator, _ = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pickle.loads(pickle.dumps(estimator))


@pytest.mark.skipif(torch.cuda.is_available(),
                    reason="checks the mapping done on machines without CUDA")
@pytest.mark.parametrize("kind", ["transformer", "timexer"])
def test_gpu_trained_pipeline_loads_and_predicts_on_cpu(tmp_path, kind):
    if kind == "transformer":
        X, y = tag_rows()
        pipe = Pipeline([
            ("embed", TagEmbeddingTransformer("mlp", embedding_dim=4,
                                              max_epochs=2, random_state=0)),
            ("ridge", Ridge()),
        ]).fit(X, y)
    else:
        X, y = series()
        pipe = Pipeline([
            ("scale", StandardScaler().set_output(transform="pandas")),
            ("forecast", TimeXerRegressor(**SMALL_TIMEXER)),
        ]).fit(X, y)
    expected = pipe.predict(X)
    # As saved from a GPU: skorch records the net's device and, on a machine
    # without CUDA, maps the tensors to the CPU when it is loaded.
    step = pipe[-2] if kind == "transformer" else pipe[-1]
    step.net_.device = "cuda"
    step.device_ = "cuda"
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    with pytest.warns(UserWarning, match="CUDA"):
        loaded = joblib.load(tmp_path / "pipe.joblib")
    loaded_step = loaded[-2] if kind == "transformer" else loaded[-1]
    assert str(loaded_step.net_.device) == "cpu"
    assert loaded_step.device_ == "cpu"
    assert all(p.device.type == "cpu"
               for p in loaded_step.net_.module_.parameters())
    np.testing.assert_array_equal(loaded.predict(X), expected)


LOAD_ON_CPU = """
import sys, warnings
import joblib, numpy as np, torch
assert not torch.cuda.is_available()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # skorch's note that CUDA is gone
    estimator, X = joblib.load(sys.argv[1])
assert estimator.device_ == "cpu", estimator.device_
assert all(p.device.type == "cpu" for p in estimator.net_.module_.parameters())
infer = getattr(estimator, "transform", None) or estimator.predict
np.save(sys.argv[2], infer(X))
"""


def predict_in_a_cpu_only_process(estimator, X, folder):
    """Pickle ``estimator``, load it in a process that sees no GPU, and
    return what it infers there."""
    joblib.dump((estimator, X), folder / "model.joblib")
    subprocess.run([sys.executable, "-c", LOAD_ON_CPU, str(folder / "model.joblib"),
                    str(folder / "out.npy")], check=True,
                   env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
    return np.load(folder / "out.npy")


@pytest.mark.parametrize("make", [fitted_transformer, fitted_timexer])
def test_the_cpu_only_loader_reproduces_a_cpu_trained_model(tmp_path, make):
    # The CUDA test's code path, on any machine: a fault in the script (it
    # once ended in a NameError) fails here, not only where CUDA exists.
    estimator, X = make(device="cpu")
    np.testing.assert_array_equal(
        predict_in_a_cpu_only_process(estimator, X, tmp_path), infer(estimator, X))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("make", [fitted_transformer, fitted_timexer])
def test_cuda_trained_model_predicts_the_same_on_a_cpu_only_machine(tmp_path, make):
    estimator, X = make(device="cuda")
    assert estimator.device_ == "cuda"
    assert all(p.device.type == "cuda"
               for p in estimator.net_.module_.parameters())
    on_gpu = infer(estimator, X)
    # The same weights on another device: equal up to the kernels' rounding.
    np.testing.assert_allclose(predict_in_a_cpu_only_process(estimator, X, tmp_path),
                               on_gpu, rtol=1e-4, atol=1e-5)


# -- failed and interrupted fits -----------------------------------------------


def interrupt_training(monkeypatch, module_class, after_calls=2):
    calls = {"n": 0}
    original = module_class.forward

    def forward(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == after_calls:
            raise KeyboardInterrupt
        return original(self, *args, **kwargs)

    monkeypatch.setattr(module_class, "forward", forward)


def module_class(kind):
    if kind == "transformer":
        from sktagembed.embedding._training import EmbeddingWithHead

        return EmbeddingWithHead
    from sktagembed.nn import TimeXer

    return TimeXer


@pytest.mark.parametrize("kind", ["transformer", "timexer"])
def test_interrupted_refit_keeps_the_previous_model(monkeypatch, kind):
    make = fitted_transformer if kind == "transformer" else fitted_timexer
    estimator, X = make()
    before = fitted_state(estimator)
    expected = infer(estimator, X)
    interrupt_training(monkeypatch, module_class(kind))
    y = tag_rows()[1] if kind == "transformer" else series()[1]
    with pytest.raises(KeyboardInterrupt):
        estimator.set_params(random_state=1).fit(X, y)
    assert fitted_state(estimator).keys() == before.keys()
    for key, value in before.items():
        assert fitted_state(estimator)[key] is value, key
    np.testing.assert_array_equal(infer(estimator, X), expected)


@pytest.mark.parametrize("kind", ["transformer", "timexer"])
def test_interrupted_first_fit_leaves_nothing(monkeypatch, kind):
    estimator = (TagEmbeddingTransformer("sum", max_epochs=3, batch_size=8)
                 if kind == "transformer" else TimeXerRegressor(**SMALL_TIMEXER))
    X, y = tag_rows() if kind == "transformer" else series()
    interrupt_training(monkeypatch, module_class(kind))
    with pytest.raises(KeyboardInterrupt):
        estimator.fit(X, y)
    with pytest.raises(NotFittedError):
        check_is_fitted(estimator)
    assert fitted_state(estimator) == {}


def test_timexer_refit_on_bad_input_keeps_the_previous_model():
    model, X = fitted_timexer()
    before = fitted_state(model)
    expected = model.predict(X)
    bad = X.copy()
    bad.iloc[5, 0] = np.inf
    with pytest.raises(ValueError, match="x0"):
        model.fit(bad, series()[1])
    assert all(fitted_state(model)[key] is value for key, value in before.items())
    np.testing.assert_array_equal(model.predict(X), expected)


@pytest.mark.parametrize("estimator", [TagEmbeddingTransformer(),
                                       TimeXerRegressor(lookback=4)])
def test_no_partial_fit_or_warm_start_to_get_wrong(estimator):
    # Every fit starts from scratch; offering either would need the same
    # all-or-nothing guarantees as fit.
    assert not hasattr(estimator, "partial_fit")
    assert "warm_start" not in estimator.get_params()


# -- concurrent inference --------------------------------------------------------


@pytest.mark.parametrize("make", [fitted_transformer, fitted_timexer])
def test_concurrent_inference_matches_serial(make):
    estimator, X = make()
    chunks = [X.iloc[i:i + 40] for i in range(0, len(X), 20)] * 3
    serial = [infer(estimator, chunk) for chunk in chunks]
    with ThreadPoolExecutor(max_workers=6) as pool:
        parallel = list(pool.map(lambda chunk: infer(estimator, chunk), chunks))
    for got, want in zip(parallel, serial, strict=True):
        np.testing.assert_array_equal(got, want)


# -- no network ----------------------------------------------------------------


def test_documented_calls_work_without_network(tmp_path):
    script = textwrap.dedent(f"""
        import socket

        def refuse(*args, **kwargs):
            raise OSError("network access attempted")

        socket.socket.connect = socket.socket.connect_ex = refuse
        socket.create_connection = socket.getaddrinfo = refuse

        import numpy as np, pandas as pd
        import sktagembed
        from sktagembed import TagEmbeddingTransformer, TimeXerRegressor
        from sktagembed.datasets import load_etth1, make_tagged_sensors

        frame, tags = load_etth1()
        sensors = make_tagged_sensors(random_state=0)
        emb = TagEmbeddingTransformer("pretrained", embedding_dim=2,
                                      pretrained=np.ones((tags.shape[1], 2)),
                                      max_epochs=1).fit(tags.astype(bool))
        emb.export_embeddings({str(tmp_path / "t.safetensors")!r})
        X = frame.iloc[:200]
        model = TimeXerRegressor(lookback=8, patch_len=4, d_model=8, n_heads=2,
                                 d_ff=8, max_epochs=1).fit(X, X["OT"])
        assert np.isfinite(model.predict(X)).all()
        print("ok")
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"


# -- optional extras stay optional ---------------------------------------------


def test_core_package_does_not_import_the_optional_extras():
    script = textwrap.dedent("""
        import sys
        import sktagembed, sktagembed.cli, sktagembed.plotting
        from sktagembed import TagEmbeddingTransformer, TimeXerRegressor
        # (pyarrow is left out: pandas imports it whenever it is installed)
        extras = ("dask", "distributed", "accelerate", "skorch.hf")
        print(sorted(m for m in extras if m in sys.modules))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
