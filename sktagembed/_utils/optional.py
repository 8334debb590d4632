"""Importing optional dependencies, with one message shape for all of them."""

from __future__ import annotations

import importlib
from types import ModuleType

from ..exceptions import OptionalDependencyError

#: Top-level package -> the extra of sktagembed that installs it.
EXTRAS = {
    "matplotlib": "plot",
    "pyarrow": "parquet",
    "dask": "dask",
    "distributed": "dask",
    "accelerate": "accelerate",
    "safetensors": "safetensors",
}


def install_hint(package: str) -> str:
    """The one-line install command of ``package``'s extra."""
    return f'pip install "sktagembed[{EXTRAS[package]}]"'


def import_optional(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`OptionalDependencyError`.

    Parameters
    ----------
    module : str
        Dotted module name; its top-level package must be in :data:`EXTRAS`.
    purpose : str
        What needs it, the start of the message ("Plotting", "Reading
        Parquet files").

    Examples
    --------
    >>> from sktagembed._utils.optional import import_optional
    >>> import_optional("matplotlib", "Plotting").__name__
    'matplotlib'
    """
    package = module.split(".")[0]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise OptionalDependencyError(
            f"{purpose} needs {package}: {install_hint(package)}",
            package=package,
        ) from exc
