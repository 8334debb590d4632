"""Devices, numeric precision, compilation and seeding, for both estimators."""

from __future__ import annotations

import contextlib
import platform
import warnings
from collections.abc import Iterator

import numpy as np
import torch
from sklearn.utils import check_random_state

from ..exceptions import InputTypeError, InputValueError, SlowBfloat16Warning


def is_device(device: object) -> bool:
    """True for ``"auto"``, a string torch parses as a device, or a
    :class:`torch.device`."""
    if isinstance(device, torch.device):
        return True
    if not isinstance(device, str):
        return False
    if device == "auto":
        return True
    try:
        torch.device(device)
    except RuntimeError:
        return False
    return True


def resolve_device(device: str | torch.device | None) -> str:
    """Turn ``device="auto"`` into ``"cuda"`` when CUDA is available.

    skorch has no ``"auto"``; every estimator resolves it here, at fit time,
    so that the device is chosen on the machine that trains.
    """
    if device is None or device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if isinstance(device, torch.device):
        return str(device)
    if not isinstance(device, str):
        raise InputTypeError(
            f"device must be 'auto', 'cpu', 'cuda', 'cuda:N' or a torch.device, "
            f"got {device!r}."
        )
    try:
        torch.device(device)
    except RuntimeError as exc:
        raise InputValueError(
            f"device={device!r} is not a valid torch device."
        ) from exc
    return device


def torch_seed_from(random_state) -> int:
    """Draw a torch seed from a scikit-learn style ``random_state``."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def seeded_torch(seed: int, device: str = "cpu") -> Iterator[None]:
    """Seed torch inside the block without touching the caller's RNG state."""
    devices = [torch.device(device)] if torch.device(device).type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


PRECISIONS = ("float32", "bfloat16")
#: What the estimators' ``precision`` accepts: a precision, or ``"auto"``.
PRECISION_OPTIONS = ("auto", *PRECISIONS)


def autocast(device: str | torch.device, precision: str):
    """The context in which a forward pass runs: bfloat16 autocast (weights
    and optimiser state stay float32), or nothing for float32."""
    if precision == "float32":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)


def has_fast_bfloat16(device: str | torch.device) -> bool:
    """Whether ``device`` computes bfloat16 matrix products natively (a CUDA
    GPU of compute capability 8 or later, a ROCm GPU, an x86 CPU with
    AVX-512 BF16 or AMX, another CPU that oneDNN runs bfloat16 on)."""
    device = torch.device(device)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            return False
        if torch.version.hip:
            return True
        # Earlier GPUs have no bfloat16 tensor cores; torch's
        # is_bf16_supported() counts their emulation as support.
        return torch.cuda.get_device_capability(device)[0] >= 8
    if device.type != "cpu":  # unknown here: "auto" stays float32
        return False
    avx512_bf16 = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    if _is_x86() and avx512_bf16 is not None and amx is not None:
        # oneDNN's own check also accepts plain AVX-512, where it emulates
        # bfloat16 at a fraction of the float32 speed.
        return bool(avx512_bf16() or amx())
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch build without oneDNN
        return False


def _is_x86() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


def resolve_precision(precision: str, device: str | torch.device) -> str:
    """Turn ``precision="auto"`` into ``"bfloat16"`` where ``device``
    computes bfloat16 matrix products natively, else ``"float32"``.

    ``"auto"`` never picks the emulated bfloat16 path; an explicit precision
    is returned as it is.
    """
    if precision == "auto":
        return "bfloat16" if has_fast_bfloat16(device) else "float32"
    if precision not in PRECISIONS:
        listed = ", ".join(map(repr, PRECISION_OPTIONS))
        raise InputValueError(f"precision={precision!r} is not one of {listed}.")
    return precision


def warn_if_slow_bfloat16(device: str, precision: str) -> None:
    if (precision == "bfloat16" and torch.device(device).type in ("cpu", "cuda")
            and not has_fast_bfloat16(device)):
        warnings.warn(
            f"precision='bfloat16' on {device!r}, which has no native bfloat16 "
            "matrix products (on a CPU they need AVX-512 BF16 or AMX): training "
            "runs, but slower than in float32.",
            SlowBfloat16Warning, stacklevel=3,
        )


def compiled(module: torch.nn.Module, trial) -> torch.nn.Module:
    """``torch.compile(module)``, tried on one batch (forward and backward).

    ``trial()`` runs the batch through a module. Where the compiled module
    fails the batch but the module as it is runs it, a warning names the
    compiler's error and the module as it is is returned; where both fail,
    the error is the batch's or the module's, not the compiler's, and it is
    raised.
    """
    try:
        candidate = torch.compile(module)
        trial(candidate)
    except Exception as exc:  # compilers fail in many ways; fall back to eager
        module.zero_grad(set_to_none=True)
        with torch.random.fork_rng():  # the check leaves training's draws alone
            trial(module)  # raises the real error when eager fails as well
        module.zero_grad(set_to_none=True)
        message = str(exc).splitlines()[0] if str(exc) else ""
        warnings.warn(
            f"torch.compile failed on the first batch, which runs without it "
            f"({type(exc).__name__}: {message}); training runs without "
            "compiling.", RuntimeWarning, stacklevel=3,
        )
        return module
    module.zero_grad(set_to_none=True)
    return candidate
