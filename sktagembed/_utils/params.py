"""Checks of scalar parameters, shared by the torch modules and the estimators.

This module imports neither pandas nor scikit-learn, so :mod:`sktagembed.nn`
can use it; the checks of user data and of fitted feature names live in
:mod:`sktagembed._utils.checks`. It also holds the constraints the
estimators' tables of hyperparameters are written in (:func:`validate_params`).
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from ..exceptions import IgnoredParameterWarning, InputValueError, InvalidParameterError


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


# -- declarative tables of hyperparameters -------------------------------------
#
# Each estimator declares, in ``_parameter_table``, the kinds of value every
# constructor parameter accepts (in the spirit of scikit-learn's
# ``_parameter_constraints``); ``validate_params`` checks them all at the start
# of ``fit``, before any data is read. scikit-learn's own table is not used: it
# takes ``True`` for an integer, and its errors are not ours.


class Constraint:
    """One kind of value a hyperparameter accepts."""

    description = ""

    def accepts(self, value: object) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.description})"


class Interval(Constraint):
    """Integers (``kind="int"``, never a bool) or finite real numbers
    (``kind="real"``) from ``low`` to ``high`` (None: unbounded), the ends
    included as ``closed`` says: ``"both"``, ``"left"``, ``"right"`` or
    ``"neither"``."""

    def __init__(self, kind: str, low: float | None, high: float | None, *,
                 closed: str = "both", description: str | None = None):
        self.kind, self.low, self.high, self.closed = kind, low, high, closed
        self.description = description or self._describe()

    def accepts(self, value: object) -> bool:
        if self.kind == "int" and not is_integer(value):
            return False
        if not is_real(value) or not math.isfinite(value):
            return False
        low_ok = self.low is None or (
            value >= self.low if self.closed in ("both", "left") else value > self.low)
        high_ok = self.high is None or (
            value <= self.high if self.closed in ("both", "right")
            else value < self.high)
        return low_ok and high_ok

    def _describe(self) -> str:
        what = "an integer" if self.kind == "int" else "a number"
        if self.high is None:
            sign = ">=" if self.closed in ("both", "left") else ">"
            return f"{what} {sign} {self.low}"
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        low = "-inf" if self.low is None else self.low
        return f"{what} in {left}{low}, {self.high}{right}"


class Options(Constraint):
    """One of a few scalars: strings, bools, None. ``1`` is not ``True`` and
    ``"True"`` is not ``True``."""

    def __init__(self, *values: object):
        self.values = values
        listed = ", ".join(map(repr, values))
        self.description = listed if len(values) == 1 else f"one of {listed}"

    def accepts(self, value: object) -> bool:
        return any(_same_option(value, option) for option in self.values)


class InstanceOf(Constraint):
    """An instance of ``types`` (bools are not integers)."""

    def __init__(self, types: type | tuple[type, ...], description: str):
        self.types, self.description = types, description

    def accepts(self, value: object) -> bool:
        return isinstance(value, self.types) and not isinstance(value, bool)


class Satisfies(Constraint):
    """A value for which ``predicate`` is true."""

    def __init__(self, predicate: Callable[[object], bool], description: str):
        self.predicate, self.description = predicate, description

    def accepts(self, value: object) -> bool:
        return bool(self.predicate(value))


BOOLEAN = Options(False, True)
NONE = Options(None)
POSITIVE_INT = Interval("int", 1, None, description="a positive integer")
NONNEGATIVE_INT = Interval("int", 0, None)
POSITIVE_REAL = Interval("real", 0, None, closed="neither",
                         description="a positive number")
NONNEGATIVE_REAL = Interval("real", 0, None)
FRACTION = Interval("real", 0, 1, closed="left")

#: A parameter's table entry: the constraints of which one must hold.
ParameterTable = Mapping[str, Sequence[Constraint]]


def validate_params(params: Mapping[str, object], table: ParameterTable, *,
                    name_format: str = "{}") -> None:
    """Check every parameter of ``params`` against its entry in ``table``.

    ``name_format`` names a parameter in the error (``"tag_embedding__{}"``
    for the parameters of a nested estimator).

    Raises
    ------
    InvalidParameterError
        Naming the first parameter whose value no constraint accepts, and
        the value.
    """
    unknown = sorted(set(params) ^ set(table))
    if unknown:  # a parameter added without its entry: a bug, not user input
        raise RuntimeError(f"parameters without a table entry: {unknown}.")
    for name, constraints in table.items():
        value = params[name]
        if not any(constraint.accepts(value) for constraint in constraints):
            wanted = " or ".join(c.description for c in constraints)
            raise InvalidParameterError(
                f"{name_format.format(name)}={short_repr(value)} is invalid: it "
                f"must be {wanted}."
            )


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)``, or its type when that is long or spans lines (a
    table, an array)."""
    text = repr(value)
    if len(text) <= limit and "\n" not in text:
        return text
    return f"a {type(value).__name__}"


def warn_ignored(name: str, value: object, reason: str, *,
                 stacklevel: int = 5) -> None:
    """Warn that ``name=value`` cannot act, and why."""
    warnings.warn(
        f"{name}={short_repr(value)} is ignored: {reason}.",
        # warn_ignored <- a check <- _check_params <- fit <- the caller
        IgnoredParameterWarning, stacklevel=stacklevel,
    )


def is_default(value: object, default: object) -> bool:
    """Whether a hyperparameter holds its default (a scalar or None)."""
    if default is None or isinstance(default, bool):
        return value is default or (isinstance(default, bool) and isinstance(
            value, np.bool_) and bool(value) is default)
    if isinstance(default, str):
        return isinstance(value, str) and value == default
    return is_real(value) and value == default


def _same_option(value: object, option: object) -> bool:
    if option is None:
        return value is None
    if isinstance(option, bool):
        return isinstance(value, (bool, np.bool_)) and bool(value) is option
    if isinstance(option, str):
        return isinstance(value, str) and value == option
    return type(value) is type(option) and value == option
