"""Reduced precision, compilation and the sampled reconstruction objective."""

import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from sklearn.base import clone

import sktagembed._utils.torch_utils
import sktagembed.embedding._transformer
from sktagembed import TagEmbeddingTransformer, TimeXerRegressor
from sktagembed._utils.torch_utils import has_fast_bfloat16, resolve_precision
from sktagembed.exceptions import SlowBfloat16Warning

SMALL = {"lookback": 8, "patch_len": 4, "d_model": 16, "n_heads": 2, "d_ff": 16,
         "max_epochs": 2, "batch_size": 16, "random_state": 0, "device": "cpu"}


def series(n_rows=160):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=["a", "b", "y"])
    return X, X["a"].shift(1).fillna(0).to_numpy()


def tag_frame(n_rows=200, n_tags=8):
    rng = np.random.default_rng(0)
    return pd.DataFrame(rng.random((n_rows, n_tags)) < 0.3,
                        columns=[f"t{i}" for i in range(n_tags)])


@pytest.mark.filterwarnings("ignore::sktagembed.exceptions.SlowBfloat16Warning")
def test_bfloat16_training_stays_close_to_float32_and_outputs_float():
    X, y = series()
    full = TimeXerRegressor(**SMALL).fit(X, y)
    half = TimeXerRegressor(**SMALL, precision="bfloat16").fit(X, y)
    assert all(p.dtype == torch.float32 for p in half.net_.module_.parameters())
    pred = half.predict(X)
    assert pred.dtype == np.float64 and np.isfinite(pred).all()
    # bfloat16 keeps 8 bits of mantissa: close, not equal.
    assert np.abs(pred - full.predict(X)).max() < 0.2 * np.abs(full.predict(X)).max()
    emb = TagEmbeddingTransformer("attention", 4, max_epochs=2, random_state=0,
                                  precision="bfloat16", device="cpu")
    out = emb.fit(tag_frame()).transform(tag_frame())
    assert out.dtype == np.float32 and np.isfinite(out).all()


def test_bfloat16_on_hardware_without_it_says_so():
    X, y = series()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        TimeXerRegressor(**SMALL, precision="bfloat16").fit(X, y)
    slow = [w for w in caught if issubclass(w.category, SlowBfloat16Warning)]
    assert bool(slow) == (not has_fast_bfloat16("cpu"))


@pytest.mark.parametrize(("avx512_bf16", "amx", "expected"), [
    (True, False, True), (False, True, True), (False, False, False)])
def test_an_x86_cpu_has_fast_bfloat16_with_avx512_bf16_or_amx(
        monkeypatch, avx512_bf16, amx, expected):
    # Not plain AVX-512, on which oneDNN runs bfloat16 emulated.
    monkeypatch.setattr(sktagembed._utils.torch_utils, "_is_x86", lambda: True)
    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: avx512_bf16)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)
    assert has_fast_bfloat16("cpu") is expected


@pytest.mark.parametrize(("major", "expected"), [(7, False), (8, True), (9, True)])
def test_a_cuda_gpu_has_fast_bfloat16_from_compute_capability_8(
        monkeypatch, major, expected):
    # torch.cuda.is_bf16_supported() is true on earlier GPUs, by emulation.
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.version, "hip", None)
    monkeypatch.setattr(torch.cuda, "get_device_capability",
                        lambda device=None: (major, 0))
    assert has_fast_bfloat16("cuda") is expected
    assert resolve_precision("auto", "cuda") == ("bfloat16" if expected
                                                 else "float32")


@pytest.mark.parametrize("fast", [True, False])
def test_auto_precision_is_bfloat16_only_where_it_is_native(monkeypatch, fast):
    monkeypatch.setattr(sktagembed._utils.torch_utils, "has_fast_bfloat16",
                        lambda device: fast)
    expected = "bfloat16" if fast else "float32"
    assert resolve_precision("auto", "cpu") == expected
    assert resolve_precision("float32", "cpu") == "float32"
    assert resolve_precision("bfloat16", "cpu") == "bfloat16"


@pytest.mark.filterwarnings("ignore::sktagembed.exceptions.SlowBfloat16Warning")
@pytest.mark.parametrize("fast", [True, False])
def test_both_estimators_record_the_precision_auto_ran(monkeypatch, fast):
    monkeypatch.setattr(sktagembed._utils.torch_utils, "has_fast_bfloat16",
                        lambda device: fast)
    expected = "bfloat16" if fast else "float32"
    X, y = series()
    auto = TimeXerRegressor(**SMALL, precision="auto")
    assert clone(auto).get_params()["precision"] == "auto"
    auto.fit(X, y)
    assert auto.precision_ == expected and auto.precision == "auto"
    assert clone(auto).get_params()["precision"] == "auto"
    # "auto" trains and predicts exactly as the precision it resolved to.
    same = TimeXerRegressor(**SMALL, precision=expected).fit(X, y)
    np.testing.assert_array_equal(auto.predict(X), same.predict(X))

    tags = tag_frame()
    params = {"method": "sum", "embedding_dim": 4, "max_epochs": 1,
              "random_state": 0, "device": "cpu"}
    emb = TagEmbeddingTransformer(**params, precision="auto").fit(tags)
    assert emb.precision_ == expected
    assert clone(emb).get_params()["precision"] == "auto"
    np.testing.assert_array_equal(
        emb.transform(tags),
        TagEmbeddingTransformer(**params, precision=expected).fit(tags)
        .transform(tags))


@pytest.mark.filterwarnings("ignore::sktagembed.exceptions.SlowBfloat16Warning")
def test_a_model_pickled_before_precision_was_recorded_still_predicts():
    X, y = series()
    tags = tag_frame()
    models = [
        (TimeXerRegressor(**SMALL, precision="bfloat16").fit(X, y), "predict", X),
        (TagEmbeddingTransformer("attention", 4, max_epochs=1, random_state=0,
                                 device="cpu", precision="bfloat16").fit(tags),
         "transform", tags),
    ]
    for model, infer, data in models:
        old = pickle.loads(pickle.dumps(model))
        del old.precision_  # as a model fitted before the attribute existed
        # It runs its precision parameter: bfloat16, bit for bit.
        np.testing.assert_array_equal(getattr(old, infer)(data),
                                      getattr(model, infer)(data))


def test_bad_precision_and_bfloat16_with_accelerate_are_named():
    X, y = series()
    with pytest.raises(ValueError, match="precision='half'.*'auto'"):
        TimeXerRegressor(**SMALL, precision="half").fit(X, y)
    with pytest.raises(ValueError, match="precision='half'.*'auto'"):
        TagEmbeddingTransformer(precision="half").fit(tag_frame())
    with pytest.raises(ValueError, match="precision='half' is not one of"):
        resolve_precision("half", "cpu")
    with pytest.raises(ValueError, match="mixed_precision"):
        TimeXerRegressor(**SMALL, precision="bfloat16", accelerate=True).fit(X, y)


def test_compile_falls_back_with_a_warning_naming_its_error(monkeypatch):
    def unavailable(module, **kwargs):
        raise RuntimeError("no compiler here")

    monkeypatch.setattr(torch, "compile", unavailable)
    X, y = series()
    with pytest.warns(RuntimeWarning,
                      match="torch.compile failed.*RuntimeError: no compiler here"):
        model = TimeXerRegressor(**SMALL, compile=True).fit(X, y)
    np.testing.assert_array_equal(model.predict(X),
                                  TimeXerRegressor(**SMALL).fit(X, y).predict(X))


class _FailsCompiled(torch.nn.Module):
    """What torch.compile returns here: a module whose every call fails."""

    def __init__(self, module):
        super().__init__()
        self.module = module

    def forward(self, x):
        raise RuntimeError("BackendCompilerFailed: inductor crashed")


def test_compile_names_the_compilers_error_and_falls_back(monkeypatch):
    from sktagembed._utils.torch_utils import compiled

    monkeypatch.setattr(torch, "compile", lambda module, **kw: _FailsCompiled(module))
    module = torch.nn.Linear(3, 1)

    def trial(candidate):
        candidate(torch.ones(2, 3)).sum().backward()

    with pytest.warns(RuntimeWarning, match="BackendCompilerFailed: inductor crashed"):
        assert compiled(module, trial) is module
    assert module.weight.grad is None  # the trial's gradients are cleared


def test_a_batch_that_fails_without_compiling_raises_its_own_error(monkeypatch):
    from sktagembed._utils.torch_utils import compiled

    monkeypatch.setattr(torch, "compile", lambda module, **kw: _FailsCompiled(module))

    def trial(candidate):  # the batch does not fit the module: not a compiler fault
        candidate(torch.ones(2, 5)).sum().backward()

    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "compile failed"
        with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
            compiled(torch.nn.Linear(3, 1), trial)


@pytest.mark.slow  # two compilations of tens of seconds each
# torch's compiler stack uses an API torch itself deprecates (torch 2.13).
@pytest.mark.filterwarnings("ignore:`torch.jit.script_method` is deprecated")
@pytest.mark.parametrize("kind", ["timexer", "transformer"])
def test_compiled_training_learns_like_eager_and_pickles(kind):
    import pickle

    if kind == "timexer":
        X, y = series()
        make = lambda **p: TimeXerRegressor(**SMALL, **p)  # noqa: E731
        infer = "predict"
    else:
        X, y = tag_frame(), None
        make = lambda **p: TagEmbeddingTransformer(  # noqa: E731
            "sum", 4, max_epochs=2, random_state=0, device="cpu", **p)
        infer = "transform"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no fallback here
        compiled = make(compile=True).fit(X, y)
    eager = make().fit(X, y)
    out = getattr(compiled, infer)(X)
    if kind == "transformer":  # no dropout: the same arithmetic, reordered
        np.testing.assert_allclose(out, getattr(eager, infer)(X), rtol=1e-3,
                                   atol=1e-3)
    else:  # compiled dropout draws other masks: compare how well both learn
        losses = [model.net_.history[-1, "train_loss"] for model in (compiled,
                                                                     eager)]
        assert abs(losses[0] - losses[1]) < 0.25 * losses[1], losses
    loaded = pickle.loads(pickle.dumps(compiled))
    np.testing.assert_array_equal(getattr(loaded, infer)(X), out)


def test_sampled_reconstruction_is_picked_above_the_threshold(monkeypatch):
    monkeypatch.setattr(sktagembed.embedding._transformer,
                        "SAMPLED_RECONSTRUCTION_ABOVE", 5)
    X = tag_frame(n_tags=8)
    assert TagEmbeddingTransformer(max_epochs=1, random_state=0).fit(
        X).objective_ == "sampled_reconstruction"
    assert TagEmbeddingTransformer(max_epochs=1, random_state=0).fit(
        X[["t0", "t1", "t2"]]).objective_ == "reconstruction"


@pytest.mark.parametrize("method", ["linear", "attention", "mlp"])
def test_sampled_reconstruction_learns_on_a_large_sparse_vocabulary(method):
    rng = np.random.default_rng(0)
    n_rows, n_tags = 3000, 50_000
    groups = rng.integers(0, 100, size=n_rows)  # rows of a group share tags
    columns = groups[:, None] * 500 + rng.integers(0, 5, size=(n_rows, 4))
    X = sp.csr_matrix((np.ones(columns.size, np.float32),
                       (np.repeat(np.arange(n_rows), 4), columns.ravel())),
                      shape=(n_rows, n_tags))
    X.data[:] = 1.0
    model = TagEmbeddingTransformer(method, 8, max_epochs=5, random_state=0,
                                    device="cpu").fit(X)
    assert model.objective_ == "sampled_reconstruction"
    history = model.net_.history[:, "train_loss"]
    assert history[-1] < 0.8 * history[0]
    out = model.transform(X)
    # Rows of one group land closer together than rows of different groups.
    same = np.linalg.norm(out[groups == 0][:5] - out[groups == 0][5:10], axis=1)
    other = np.linalg.norm(out[groups == 0][:5] - out[groups == 1][:5], axis=1)
    assert same.mean() < other.mean()


def test_sampled_reconstruction_takes_sample_weights():
    X = tag_frame()
    weight = np.r_[np.zeros(50), np.ones(150)]
    params = {"method": "sum", "embedding_dim": 4, "objective":
              "sampled_reconstruction", "max_epochs": 2, "random_state": 0}
    weighted = TagEmbeddingTransformer(**params).fit(X, sample_weight=weight)
    dropped = TagEmbeddingTransformer(**params).fit(X.iloc[50:])
    np.testing.assert_allclose(weighted.transform(X), dropped.transform(X),
                               rtol=1e-5, atol=1e-6)
