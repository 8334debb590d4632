"""Device resolution and seeding shared by the estimators."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np
import torch
from sklearn.utils import check_random_state

from .exceptions import InputTypeError, InputValueError


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
