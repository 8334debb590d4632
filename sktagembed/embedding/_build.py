"""Building the tag-embedding module of an estimator from its fitted tags.

Both estimators build their module here, so ``hierarchy="infer"`` and
pretrained tables are resolved against the fitted tag names the same way.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import torch

from .._utils.params import (
    BOOLEAN,
    FRACTION,
    NONE,
    POSITIVE_INT,
    Constraint,
    InstanceOf,
    Options,
    Satisfies,
    is_default,
    validate_params,
    warn_ignored,
)
from ..exceptions import InputValueError
from ..nn import (
    METHOD_OPTIONS,
    METHODS,
    TagBags,
    TagEmbedding,
    build_tag_embedding,
    infer_hierarchy,
)
from ..nn.sum import POOLINGS
from ._pretrained import HANDLE_MISSING, load_pretrained_table

#: Options read by the estimators themselves rather than by a module.
TABLE_OPTIONS = {"pretrained": ("handle_missing",)}


def _is_table(value: object) -> bool:
    return isinstance(value, (pd.DataFrame, np.ndarray, list, tuple)) or (
        hasattr(value, "__array__") and not isinstance(value, str))


#: The table entries of the tag methods' options: the transformer's
#: parameters, and the keys of the forecaster's ``tag_options``.
TAG_OPTION_PARAMETERS: dict[str, list[Constraint]] = {
    "pooling": [Options(*POOLINGS)],
    "num_heads": [POSITIVE_INT],
    "hidden_dim": [POSITIVE_INT],
    "dropout": [FRACTION],
    "hierarchy": [NONE, Options("infer"),
                  InstanceOf(Mapping, "a {parent: [children]} mapping")],
    "pretrained": [NONE, InstanceOf((str, os.PathLike), "a path"),
                   Satisfies(_is_table, "an array or a DataFrame indexed by tag "
                                        "name")],
    "freeze": [BOOLEAN],
    "handle_missing": [Options(*HANDLE_MISSING)],
}


def method_options(method: str) -> tuple[str, ...]:
    """The options a user may give for ``method`` (tag names excluded: they
    come from the data)."""
    names = METHOD_OPTIONS[method] + TABLE_OPTIONS.get(method, ())
    return tuple(name for name in names if name != "tag_names")


def check_method_options(method: str, options: Mapping | None,
                         name: str = "tag_options") -> dict:
    """``options`` as a dict, rejecting keys ``method`` would not read."""
    options = dict(options or {})
    valid = method_options(method)
    unused = [key for key in options if key not in valid]
    if unused:
        users = {key: [m for m in METHOD_OPTIONS if key in method_options(m)]
                 for key in unused}
        detail = "; ".join(
            f"{key!r} is read by {', '.join(map(repr, methods))}" if methods
            else f"{key!r} is read by no method"
            for key, methods in users.items()
        )
        accepted = ", ".join(map(repr, valid)) or "none"
        raise InputValueError(
            f"{name} has keys that tag method {method!r} does not use ({detail}); "
            f"it accepts: {accepted}."
        )
    return options


def check_tag_option_values(options: Mapping, name: str = "tag_options") -> None:
    """Check the value of every known key of ``options`` against
    :data:`TAG_OPTION_PARAMETERS` (the error names ``name[key]``)."""
    known = {key: value for key, value in options.items()
             if key in TAG_OPTION_PARAMETERS}
    validate_params(known, {key: TAG_OPTION_PARAMETERS[key] for key in known},
                    name_format=name + "[{!r}]")


def readers(option: str) -> list[str]:
    """The methods that read ``option``."""
    return [method for method in METHODS if option in method_options(method)]


def warn_unread_options(method: str, values: Mapping, defaults: Mapping) -> None:
    """Warn about each option in ``values`` set away from its default that
    ``method`` does not read."""
    for option, value in values.items():
        if method in readers(option) or is_default(value, defaults[option]):
            continue
        by = " and ".join(map(repr, readers(option)))
        warn_ignored(option, value, f"method={method!r} does not read it, only {by}")


def build_tag_module(method: str, tags, tag_names: Sequence[str],
                     embedding_dim: int, *, random_state=None,
                     handle_missing: str = "error", **options) -> TagEmbedding:
    """The module of ``method`` for the fitted ``tags`` (an ``(n, K)`` tag
    matrix) named ``tag_names``.

    ``hierarchy="infer"`` is derived from ``tags``; a ``pretrained`` table is
    read and aligned to ``tag_names`` (``handle_missing`` fills tags it
    lacks, seeded by ``random_state``). Other options go to
    :func:`~sktagembed.nn.build_tag_embedding`.
    """
    hierarchy = options.get("hierarchy")
    if method == "hierarchical" and isinstance(hierarchy, str) and (
        hierarchy == "infer"
    ):
        options["hierarchy"] = infer_hierarchy(tags, tag_names=tag_names)
    if method == "pretrained":
        if options.get("pretrained") is None:
            raise InputValueError(
                "The 'pretrained' method needs a tag table: an array, a "
                "DataFrame indexed by tag name, or a .csv/.npy/.safetensors path."
            )
        options["pretrained"] = load_pretrained_table(
            options["pretrained"], tag_names, handle_missing=handle_missing,
            embedding_dim=embedding_dim, random_state=random_state,
        )
    return build_tag_embedding(method, len(tag_names), embedding_dim,
                               tag_names=list(tag_names), **options)


def output_names(output_dim: int, method: str) -> list[str]:
    """Names of a method's output columns: ``embed_*``, then ``pair_*`` for
    the second half of ``interaction`` and ``bilinear``."""
    if method in ("interaction", "bilinear"):
        half = output_dim // 2
        return [f"embed_{i}" for i in range(half)] + [f"pair_{i}" for i in range(half)]
    return [f"embed_{i}" for i in range(output_dim)]


@torch.no_grad()
def single_tag_table(embedding: TagEmbedding, tag_names: Sequence[str],
                     method: str) -> pd.DataFrame:
    """The embedding of each tag alone, one row per tag (a sparse batch of
    one-tag rows, so a vocabulary of any size works)."""
    device = next(itertools.chain(embedding.parameters(), embedding.buffers())).device
    indices = torch.arange(len(tag_names), device=device)
    ones = torch.ones(len(tag_names), device=device)
    table = embedding(TagBags(indices, indices.clone(), ones)).cpu().numpy()
    return pd.DataFrame(table, index=pd.Index(list(tag_names), name="tag"),
                        columns=output_names(table.shape[1], method))
