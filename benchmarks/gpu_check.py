"""One prepared run for a lent GPU: speed, accuracy and portability on CUDA.

Run on the GPU machine (the project's ``device`` tool), with a checkout of
the reference TimeXer (thuml/TimeXer, kept outside this project) at
``--reference``; it takes well under ten minutes:

1. training windows/s in the paper's NP configuration (look-back 168,
   d_model 512, 3 layers, d_ff 512) on CUDA, ours in float32 and bfloat16
   beside the reference in float32, at batch 4 and 256 (``bench_timexer.py
   speed`` on CUDA);
2. the NP paper protocol (``reproduce_timexer_epf.py``) for one seed in
   float32 and in bfloat16: test MSE of each;
3. a model trained on CUDA, saved with joblib and loaded in a process that
   sees no GPU, predicts as it did on the GPU: on ETTh1 with tags and
   quantiles here, and the test suite's own CUDA tests (both estimators,
   ``tests/contract/test_robustness.py``), which must run, not be skipped.

Run: ``python benchmarks/gpu_check.py --reference /path/to/TimeXer
[--epochs 10] [--seed 2021]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import joblib
import numpy as np
import torch

HERE = Path(__file__).resolve().parent

LOAD_ON_CPU = """
import sys, warnings, joblib, numpy as np, torch
assert not torch.cuda.is_available()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model, X = joblib.load(sys.argv[1])
np.save(sys.argv[2], model.predict(X))
print("loaded on", model.device_)
"""


def step(title: str, command: list[str]) -> None:
    print(f"\n== {title}\n$ {' '.join(command)}", flush=True)
    subprocess.run(command, check=True)


def portability() -> None:
    from sktagembed import TimeXerRegressor, make_forecast_frame
    from sktagembed.datasets import load_etth1

    frame, tags = load_etth1()
    X, y = make_forecast_frame(frame.iloc[-3000:], "OT", 24)
    model = TimeXerRegressor(96, patch_len=16, d_model=64, n_heads=4,
                             feature_tags=tags, quantiles=[0.1, 0.9],
                             max_epochs=2, device="cuda", random_state=0)
    model.fit(X, y)
    on_gpu = model.predict(X)
    with tempfile.TemporaryDirectory() as folder:
        saved = Path(folder) / "model.joblib"
        joblib.dump((model, X), saved)
        out = Path(folder) / "out.npy"
        subprocess.run([sys.executable, "-c", LOAD_ON_CPU, str(saved), str(out)],
                       check=True, env={**os.environ, "CUDA_VISIBLE_DEVICES": ""})
        on_cpu = np.load(out)
    difference = np.abs(on_cpu - on_gpu).max()
    print(f"trained on {torch.cuda.get_device_name()}, loaded on a CPU-only "
          f"process: largest prediction difference {difference:.2e} "
          f"(scale {np.abs(on_gpu).max():.2f})")
    assert np.allclose(on_cpu, on_gpu, rtol=1e-4, atol=1e-4)


def suite_cuda_tests() -> None:
    """The test suite's CUDA-to-CPU tests; a skip is a failure here."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               "-rs", str(HERE.parent / "tests" / "contract" / "test_robustness.py"),
               "-k", "cuda_trained or cpu_only_loader"]
    print(f"\n== the test suite's CUDA tests\n$ {' '.join(command)}", flush=True)
    result = subprocess.run(command, capture_output=True, text=True)
    print(result.stdout[-3000:], result.stderr[-3000:], flush=True)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if result.returncode != 0 or "skipped" in summary or "passed" not in summary:
        sys.exit(f"the suite's CUDA tests did not all run and pass: {summary!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("gpu_check.py needs CUDA")
    python = sys.executable
    for precision in ("float32", "bfloat16"):
        step(f"speed, {precision}", [
            python, str(HERE / "bench_timexer.py"), "speed", "--device", "cuda",
            "--precision", precision, "--reference", str(args.reference),
            "--repeats", "3", "--steps", "200"])
    for precision in ("float32", "bfloat16"):
        step(f"NP paper protocol, {precision}", [
            python, str(HERE / "reproduce_timexer_epf.py"), "--market", "NP",
            "--device", "cuda", "--precision", precision, "--seed",
            str(args.seed), "--max-epochs", str(args.epochs), "--verbose", "0"])
    print("\n== a CUDA-trained model on a CPU-only machine", flush=True)
    portability()
    suite_cuda_tests()


if __name__ == "__main__":
    main()
