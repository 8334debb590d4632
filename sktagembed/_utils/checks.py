"""Checks the estimators share: training parameters, targets, column names.

Scalar parameter checks that the torch modules use too live in
:mod:`sktagembed._utils.params`; tag input is checked in
:mod:`sktagembed.embedding._schema`, time-series input in
:mod:`sktagembed.forecasting._layout`.
"""

from __future__ import annotations

import inspect

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.validation import validate_data

from ..exceptions import InputTypeError, InputValueError
from .params import (
    BOOLEAN,
    FRACTION,
    NONE,
    NONNEGATIVE_INT,
    NONNEGATIVE_REAL,
    POSITIVE_INT,
    POSITIVE_REAL,
    Constraint,
    InstanceOf,
    Interval,
    Options,
    Satisfies,
    is_default,
    warn_ignored,
)
from .torch_utils import PRECISION_OPTIONS, is_device

#: Options of training that act only while training runs.
_TRAINING_OPTIONS = ("lr", "lr_schedule", "batch_size", "weight_decay",
                     "validation_fraction", "patience")


def first_flagged_cell(flags: np.ndarray) -> tuple[int, int]:
    """``(row, column)`` of the first flagged cell of the first column that
    has one: what an error message about a 2-D block names."""
    column = int(np.flatnonzero(flags.any(axis=0))[0])
    return int(np.flatnonzero(flags[:, column])[0]), column


def check_unique_columns(names) -> None:
    """Reject repeated column names, naming them."""
    index = pd.Index([str(name) for name in names], dtype=object)
    repeated = sorted(set(index[index.duplicated()]))
    if repeated:
        raise InputValueError(f"X has duplicate column names: {repeated}.")


def check_target(y, n_rows: int, *, numeric: bool = True, allow_nan: bool = False,
                 max_magnitude: float | None = None) -> np.ndarray:
    """``y`` as an array of ``n_rows`` rows, checked.

    Parameters
    ----------
    y : array-like of shape (n_rows,) or (n_rows, n_outputs)
    n_rows : int
        Rows of ``X``.
    numeric : bool, default=True
        Convert to float64, rejecting infinity, and NaN unless ``allow_nan``;
        otherwise only missing values are rejected (class labels).
    allow_nan : bool, default=False
        Let NaN through (it marks values to leave out).
    max_magnitude : float, optional
        Largest magnitude accepted.
    """
    y = np.asarray(y)
    if y.ndim == 0:  # a scalar, or a sparse matrix
        raise InputValueError(
            f"y must be array-like of shape (n_samples,) or (n_samples, "
            f"n_targets), got {type(y.item()).__name__}."
        )
    if y.ndim > 2 or y.shape[0] != n_rows:
        raise InputValueError(
            f"y must have shape ({n_rows},) or ({n_rows}, n_outputs), one row "
            f"per row of X, got shape {y.shape}."
        )
    if not numeric:
        if pd.isna(y).any():
            raise InputValueError("y contains missing values.")
        return y
    try:
        y = y.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise InputValueError("y must be numeric.") from exc
    flat = y.reshape(n_rows, -1)
    bad = np.isinf(flat) if allow_nan else ~np.isfinite(flat)
    if bad.any():
        row = int(np.flatnonzero(bad.any(axis=1))[0])
        what = "infinity" if allow_nan else "NaN or infinity"
        raise InputValueError(f"y contains {what} (row {row}).")
    if max_magnitude is not None:
        with np.errstate(invalid="ignore"):
            huge = (np.abs(flat) > max_magnitude).any(axis=1)
        if huge.any():
            row = int(np.flatnonzero(huge)[0])
            raise InputValueError(
                f"y contains values beyond {max_magnitude:.0e} (row {row}), "
                "which overflow float32 training: rescale y."
            )
    return y


#: The table entries of the hyperparameters both estimators share: training,
#: device and seeding.
TRAINING_PARAMETERS: dict[str, list[Constraint]] = {
    "max_epochs": [NONNEGATIVE_INT],
    "lr": [POSITIVE_REAL],
    "batch_size": [POSITIVE_INT],
    "weight_decay": [NONNEGATIVE_REAL],
    "validation_fraction": [FRACTION],
    "patience": [NONNEGATIVE_INT],
    "device": [Satisfies(is_device, "'auto', 'cpu', 'cuda', 'cuda:N' or a "
                                    "torch.device")],
    "precision": [Options(*PRECISION_OPTIONS)],
    "compile": [BOOLEAN],
    "random_state": [NONE, Interval("int", 0, 2**32 - 1),
                     InstanceOf(np.random.RandomState, "a RandomState")],
    "verbose": [NONNEGATIVE_INT, BOOLEAN],
    "callbacks": [NONE, InstanceOf((list, tuple), "a list of skorch callbacks")],
}


def default_params(estimator: BaseEstimator) -> dict[str, object]:
    """The defaults of the estimator's constructor parameters."""
    signature = inspect.signature(type(estimator).__init__)
    return {name: parameter.default
            for name, parameter in signature.parameters.items() if name != "self"}


def warn_idle_training_params(estimator: BaseEstimator) -> None:
    """Warn about training options set away from their defaults that cannot
    act: every one of them with ``max_epochs=0``, a ``patience`` without a
    validation set to stop on. A value of 0 (off) never warns."""
    params = estimator.get_params(deep=False)
    defaults = default_params(estimator)
    # 0 turns validation, early stopping and weight decay off: never ignored.
    changed = [name for name in _TRAINING_OPTIONS if name in params
               and not is_default(params[name], defaults[name])
               and not is_default(params[name], 0)]
    if params["max_epochs"] == 0:
        for name in changed:
            warn_ignored(name, params[name], "max_epochs=0 trains nothing")
    elif "patience" in changed and params["validation_fraction"] == 0:
        warn_ignored("patience", params["patience"],
                     "validation_fraction=0 holds out nothing to stop early on")


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


def check_input_features(estimator: BaseEstimator, input_features) -> None:
    """Check ``get_feature_names_out(input_features)`` against ``fit``: the
    same names as ``feature_names_in_``, or as many as ``n_features_in_``."""
    if input_features is None:
        return
    given = np.asarray(input_features, dtype=object)
    fitted = getattr(estimator, "feature_names_in_", None)
    if fitted is not None and (len(given) != len(fitted) or
                               not np.array_equal(given, fitted)):
        raise InputValueError(
            f"input_features {list(given)} are not the columns seen in fit, "
            f"{list(fitted)}."
        )
    if len(given) != estimator.n_features_in_:
        raise InputValueError(
            f"input_features has {len(given)} names, but fit saw "
            f"{estimator.n_features_in_} columns."
        )


def _validate_feature_names(estimator: BaseEstimator, X, *, reset: bool) -> None:
    columns = pd.Index([str(c) for c in getattr(X, "columns", [])], dtype=object)
    check_unique_columns(columns)
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
