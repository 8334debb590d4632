"""Checks of scalar hyperparameters and of the fitted feature names.

The one place where the estimators and the torch modules check the
parameters a user sets; the tag input itself is checked in
:mod:`sktagembed.tags`.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data

from .exceptions import InputError, InputTypeError, InputValueError  # noqa: F401


def is_integer(value: object) -> bool:
    """True for an integer that is not a bool (``True`` is not a size)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def first_flagged_cell(flags: np.ndarray) -> tuple[int, int]:
    """``(row, column)`` of the first flagged cell of the first column that
    has one: what an error message about a 2-D block names."""
    column = int(np.flatnonzero(flags.any(axis=0))[0])
    return int(np.flatnonzero(flags[:, column])[0]), column


def check_int(value: object, name: str, *, minimum: int = 1) -> None:
    """Raise ``ValueError`` unless ``value`` is an integer >= ``minimum``."""
    if is_integer(value) and value >= minimum:
        return
    wanted = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    raise InputValueError(f"{name} must be {wanted}, got {value!r}.")


def check_positive_real(value: object, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a finite number > 0."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and (
        0 < value < float("inf")
    ):
        return
    raise InputValueError(f"{name} must be a positive number, got {value!r}.")


def check_fraction(value: object, name: str) -> None:
    """Raise ``ValueError`` unless ``value`` is a number in ``[0, 1)``."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and (
        0 <= value < 1
    ):
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


def check_training_params(estimator: object) -> None:
    """The training hyperparameters both estimators share."""
    for name in ("max_epochs", "patience"):
        check_int(getattr(estimator, name), name, minimum=0)
    check_int(estimator.batch_size, "batch_size")
    check_positive_real(estimator.lr, "lr")
    check_fraction(estimator.validation_fraction, "validation_fraction")


class FeatureNameRecorder(BaseEstimator):
    """Takes ``n_features_in_``/``feature_names_in_`` from
    :func:`sklearn.utils.validation.validate_data` during ``fit``, so they
    reach the estimator only once the fit has succeeded."""

    def record(self, X) -> FeatureNameRecorder:
        _validate_feature_names(self, X, reset=True)
        return self

    def apply_to(self, estimator: object) -> None:
        """Set the recorded attributes on ``estimator``, removing a
        ``feature_names_in_`` left from an earlier fit on named columns."""
        estimator.n_features_in_ = self.n_features_in_
        if hasattr(self, "feature_names_in_"):
            estimator.feature_names_in_ = self.feature_names_in_
        elif hasattr(estimator, "feature_names_in_"):
            del estimator.feature_names_in_


def check_feature_names(estimator: BaseEstimator, X) -> None:
    """Check the columns of ``X`` against those seen in ``fit``.

    scikit-learn's check (same number of columns; with ``feature_names_in_``,
    the same names in the same order), raising the input errors; a column out
    of place is named.

    Parameters
    ----------
    estimator : BaseEstimator
        A fitted estimator.
    X : DataFrame or array-like
        Input to ``transform`` or ``predict``.
    """
    _validate_feature_names(estimator, X, reset=False)


def _validate_feature_names(estimator: BaseEstimator, X, *, reset: bool) -> None:
    columns = pd.Index([str(c) for c in getattr(X, "columns", [])], dtype=object)
    repeated = sorted(set(columns[columns.duplicated()]))
    if repeated:
        raise InputValueError(f"X has duplicate column names: {repeated}.")
    try:
        validate_data(estimator, X, reset=reset, skip_check_array=True)
    except TypeError as exc:  # e.g. column names of mixed types
        raise InputTypeError(str(exc)) from exc
    except ValueError as exc:
        message = str(exc)
        fitted = getattr(estimator, "feature_names_in_", None)
        if fitted is not None and len(fitted) == len(columns) and set(
            fitted
        ) == set(columns):
            for i in np.flatnonzero(columns != fitted)[:1]:
                message += (f"Column {i} of X is {columns[i]!r}, but was "
                            f"{fitted[i]!r} in fit.")
        raise InputValueError(message) from exc
