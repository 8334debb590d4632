"""Run the reference TimeXer (thuml/TimeXer) on the EPF protocol, for comparison.

Runs the reference's own ``run.py`` with the arguments of its
``scripts/forecast_exogenous/EPF/TimeXer.sh`` for one market, on the CPU,
from a checkout kept outside this project. Its data loader expects
``dataset/EPF/<market>.csv`` inside the checkout: copy the file from
``../shared/data`` there first. It prints the validation and test loss of
every epoch and, at the end, the test MSE and MAE of its best checkpoint, on
the same scaled target as ``reproduce_timexer_epf.py``.

Two things are patched in memory, nothing in the checkout:
packages its unused models import (sktime, reformer_pytorch, einops, ...)
become empty modules, and ``numpy.Inf`` (gone in NumPy 2) is aliased to
``numpy.inf`` for its early stopping.

Run (from anywhere): ``python benchmarks/reference_timexer_epf.py
/path/to/TimeXer --market NP [--threads 1] [--epochs 10]``. Tens of
minutes per epoch on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import os
import runpy
import sys
import types
from pathlib import Path

import numpy as np
import torch

#: Packages the reference imports for models and data sets the EPF run does not use.
UNUSED_IMPORTS = ("sktime", "reformer_pytorch", "einops", "patoolib",
                  "local_attention")

#: From the reference's EPF script: market -> arguments that differ.
MARKET_ARGUMENTS = {
    "NP": ["--d_ff", "512", "--batch_size", "4"],
    "PJM": ["--batch_size", "16"],
}


class _EmptyModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports of ``UNUSED_IMPORTS`` give modules whose attributes are no-ops."""

    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in UNUSED_IMPORTS:
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []

        def attribute(name):
            if name.startswith("__"):
                raise AttributeError(name)
            return lambda *args, **kwargs: None

        module.__getattr__ = attribute
        return module

    def exec_module(self, module):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, help="a thuml/TimeXer checkout")
    parser.add_argument("--market", choices=sorted(MARKET_ARGUMENTS), default="NP")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--epochs", type=int, default=10,
                        help="its --train_epochs (the script's own: 10)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = args.checkout / "dataset" / "EPF" / f"{args.market}.csv"
    if not data.exists():
        sys.exit(f"{data} is missing: copy {args.market}.csv from ../shared/data.")

    sys.meta_path.insert(0, _EmptyModules())
    np.Inf = np.inf
    os.chdir(args.checkout)
    sys.path.insert(0, str(args.checkout))
    sys.argv = [
        "run.py", "--is_training", "1", "--task_name", "long_term_forecast",
        "--root_path", "./dataset/EPF/", "--data_path", f"{args.market}.csv",
        "--model_id", f"{args.market}_168_24", "--model", "TimeXer",
        "--data", "custom", "--features", "MS", "--seq_len", "168",
        "--pred_len", "24", "--e_layers", "3", "--enc_in", "3", "--dec_in", "3",
        "--c_out", "1", "--des", "Timexer-MS", "--patch_len", "24",
        "--d_model", "512", "--itr", "1",
        # Its default of 10 loader processes only competes for 2 cores.
        "--num_workers", "0",
        *MARKET_ARGUMENTS[args.market], "--train_epochs", str(args.epochs),
    ]
    runpy.run_path("run.py", run_name="__main__")


if __name__ == "__main__":
    main()
