"""Checks of scalar parameters, shared by the torch modules and the estimators.

This module imports neither pandas nor scikit-learn, so :mod:`sktagembed.nn`
can use it; the checks of user data and of fitted feature names live in
:mod:`sktagembed._utils.checks`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

from ..exceptions import InputValueError


def is_integer(value: object) -> bool:
    """True for an integer that is not a bool (``True`` is not a size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: object) -> bool:
    """True for a real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_int(value: object, name: str, *, minimum: int = 1) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer >= ``minimum``."""
    if is_integer(value) and value >= minimum:
        return
    wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    raise InputValueError(f"{name} must be {wanted}, got {value!r}.")


def check_positive_real(value: object, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number > 0."""
    if is_real(value) and 0 < value < float("inf"):
        return
    raise InputValueError(f"{name} must be a positive number, got {value!r}.")


def check_nonnegative_real(value: object, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number >= 0."""
    if is_real(value) and 0 <= value < float("inf"):
        return
    raise InputValueError(f"{name} must be a number >= 0, got {value!r}.")


def check_fraction(value: object, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a number in ``[0, 1)``."""
    if is_real(value) and 0 <= value < 1:
        return
    raise InputValueError(f"{name} must be a number in [0, 1), got {value!r}.")


def check_option(value: object, name: str, options: Iterable[object]) -> None:
    """Raise ``ValueError`` unless ``value`` is one of ``options``."""
    options = list(options)
    # ``in`` would compare arrays element-wise; a hyperparameter is a scalar.
    if isinstance(value, (str, type(None), bool)) and value in options:
        return
    listed = ", ".join(repr(option) for option in options)
    raise InputValueError(f"{name}={value!r} is not one of {listed}.")
