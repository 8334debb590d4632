"""Exceptions and warnings of sktagembed.

The input errors subclass the built-in :class:`ValueError` and
:class:`TypeError`, so ``except ValueError`` keeps working; catching
:class:`InputError` separates a problem with the caller's data or parameters
from a bug.
"""

from __future__ import annotations

__all__ = ["IgnoredParameterWarning", "InputError", "InputTypeError",
           "InputValueError", "InvalidParameterError", "OptionalDependencyError",
           "SlowBfloat16Warning", "VersionMismatchWarning"]


class InputError(Exception):
    """Base of the errors that blame the caller's data or parameters.

    The estimators raise these where user input is checked; the command line
    reports them as one-line usage errors and lets any other exception, which
    would be a bug, show its traceback.
    """


class InputValueError(InputError, ValueError):
    """A value the caller passed is wrong (it is a :class:`ValueError`)."""


class InputTypeError(InputError, TypeError):
    """A value the caller passed has the wrong type (it is a :class:`TypeError`)."""


class InvalidParameterError(InputValueError, InputTypeError):
    """A hyperparameter has a value of the wrong type or out of its range.

    Raised at the start of ``fit``, before any data is read, naming the
    parameter and the value. Like scikit-learn's own, it is both a
    :class:`ValueError` and a :class:`TypeError`.
    """


class OptionalDependencyError(ImportError):
    """An optional dependency that the requested feature needs is missing.

    The message ends with the one-line install command, such as
    ``pip install "sktagembed[plot]"``.

    Parameters
    ----------
    message : str
        What is missing and the command that installs it.
    package : str
        The missing package.

    Attributes
    ----------
    package : str
        The missing package.
    """

    def __init__(self, message: str, package: str):
        super().__init__(message, name=package)
        self.package = package


class IgnoredParameterWarning(UserWarning):
    """A parameter was set to a value that cannot act in the estimator's
    configuration (an option of another method, early stopping without a
    validation set, ...).

    Such a value is accepted, so that one search can span configurations
    where it does and does not apply, but it changes nothing; the message
    names the parameter and why.
    """


class SlowBfloat16Warning(UserWarning):
    """``precision="bfloat16"`` on hardware without native bfloat16 matrix
    products (a CPU without AVX-512 BF16 or AMX): training runs, slower than
    in float32."""


class VersionMismatchWarning(UserWarning):
    """A fitted estimator was saved by another version of sktagembed.

    Loading it may work, but nothing guarantees the same behaviour; refit, or
    share the learned table with
    :meth:`~sktagembed.TagEmbeddingTransformer.export_embeddings` instead.

    Parameters
    ----------
    message : str
        The warning's text.
    saved_version : str
        The sktagembed version that fitted the estimator.
    current_version : str
        The sktagembed version loading it.

    Attributes
    ----------
    saved_version : str
        The sktagembed version that fitted the estimator.
    current_version : str
        The sktagembed version loading it.
    """

    def __init__(self, message: str, saved_version: str, current_version: str):
        super().__init__(message)
        self.saved_version = saved_version
        self.current_version = current_version


class UnseenTagWarning(UserWarning):
    """A column new to a fitted forecaster carries none of the tags it was
    trained with, so nothing tells the model what the column is."""
