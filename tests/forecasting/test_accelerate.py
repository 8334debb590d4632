"""TimeXerRegressor trained through Hugging Face Accelerate.

The single-process CPU run goes through the same code as a multi-GPU run
(the Accelerator, the prepared model, optimiser and data loader); it must
train exactly like the plain net. A two-process CPU run (torch's gloo
backend on loopback) checks what only several processes show: the batches
are shared out, and every process sees the same validation losses, so early
stopping agrees.
"""

import json
import os
import pickle
import socket
import subprocess
import sys

import joblib
import numpy as np
import pandas as pd
import pytest

from sktagembed import TimeXerRegressor

pytest.importorskip("accelerate")

SMALL = {"lookback": 16, "patch_len": 8, "d_model": 16, "n_heads": 2,
         "d_ff": 32, "max_epochs": 3, "patience": 1, "batch_size": 16,
         "random_state": 0, "device": "cpu", "lr_schedule": "halving",
         "validation_fraction": 0.1}


def series(n_rows=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=["a", "b", "target"])
    y = X["target"].shift(-1).ffill().to_numpy()
    return X, y


def test_accelerated_fit_trains_like_the_plain_fit():
    X, y = series()
    plain = TimeXerRegressor(**SMALL).fit(X, y)
    accelerated = TimeXerRegressor(**SMALL, accelerate=True).fit(X, y)

    assert type(accelerated.net_).__name__ == "AcceleratedNet"
    assert accelerated.device_ == "cpu"
    np.testing.assert_allclose(accelerated.net_.history[:, "valid_loss"],
                               plain.net_.history[:, "valid_loss"], rtol=1e-6)
    np.testing.assert_allclose(accelerated.predict(X), plain.predict(X),
                               rtol=1e-5, atol=1e-6)
    # The learning rate halves once per epoch after the second, as without
    # Accelerate.
    epochs = len(accelerated.net_.history)
    np.testing.assert_allclose(
        accelerated.net_.optimizer_.param_groups[0]["lr"],
        accelerated.lr * 0.5 ** (epochs - 1))


def test_accelerated_model_pickles_and_predicts_after_loading(tmp_path):
    X, y = series()
    model = TimeXerRegressor(**SMALL, accelerate={"mixed_precision": "no"})
    model.fit(X, y)
    joblib.dump(model, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")

    assert loaded.net_.accelerator is None
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    assert pickle.loads(pickle.dumps(model)).get_params()["accelerate"] == {
        "mixed_precision": "no"}


def test_auto_precision_under_accelerate_is_float32(monkeypatch):
    import sktagembed._utils.torch_utils

    # Even where bfloat16 is native: Accelerate's mixed_precision decides.
    monkeypatch.setattr(sktagembed._utils.torch_utils, "has_fast_bfloat16",
                        lambda device: True)
    X, y = series()
    plain = TimeXerRegressor(**SMALL, accelerate=True).fit(X, y)
    auto = TimeXerRegressor(**SMALL, accelerate=True, precision="auto").fit(X, y)
    assert auto.precision_ == "float32" and auto.precision == "auto"
    np.testing.assert_array_equal(auto.predict(X), plain.predict(X))


@pytest.mark.parametrize(("options", "device", "error", "message"), [
    ("yes", "cpu", TypeError,
     "accelerate='yes' is invalid: it must be one of False, True or a dict"),
    (True, "cuda", ValueError, "device must be 'auto' or 'cpu'"),
    ({"device_placement": True}, "cpu", ValueError, "'device_placement'"),
])
def test_bad_accelerate_options_are_named(options, device, error, message):
    X, y = series(n_rows=60)
    model = TimeXerRegressor(**{**SMALL, "device": device}, accelerate=options)
    with pytest.raises(error, match=message):
        model.fit(X, y)
    assert not hasattr(model, "net_")


TWO_PROCESS_SCRIPT = """
import json, sys
import numpy as np, pandas as pd, torch
from accelerate import PartialState
from sktagembed import TimeXerRegressor

torch.set_num_threads(1)
rng = np.random.default_rng(0)
X = pd.DataFrame(rng.normal(size=(300, 3)), columns=["a", "b", "target"])
y = X["target"].shift(-1).ffill().to_numpy()
options = json.loads(sys.argv[1])
model = TimeXerRegressor(**options, accelerate=True).fit(X, y)
state = PartialState()
report = {
    "rank": state.process_index,
    "processes": state.num_processes,
    "module": type(model.net_.module_).__name__,
    "valid_loss": list(model.net_.history[:, "valid_loss"]),
    "train_batches": len(model.net_.history[-1, "batches"]),
}
with open(sys.argv[2] + f".{state.process_index}.json", "w") as f:
    json.dump(report, f)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_two_cpu_processes_share_batches_and_agree_on_validation(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(TWO_PROCESS_SCRIPT)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
         "--master_addr", "127.0.0.1", "--master_port", str(free_port()),
         str(script), json.dumps(SMALL), str(tmp_path / "report")],
        check=True, env=env, timeout=300, capture_output=True,
    )
    reports = [json.loads((tmp_path / f"report.{rank}.json").read_text())
               for rank in (0, 1)]
    single = TimeXerRegressor(**SMALL).fit(*series())

    assert [r["processes"] for r in reports] == [2, 2]
    assert [r["module"] for r in reports] == ["TimeXer", "TimeXer"]
    assert reports[0]["valid_loss"] == reports[1]["valid_loss"]
    n_batches = len(single.net_.history[-1, "batches"])
    assert reports[0]["train_batches"] == -(-n_batches // 2)
